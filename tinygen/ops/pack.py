"""PACK: stacks equally shaped tensors along a new axis, values copied unchanged (kernel:
tg_concatenation: packing is concatenating along an axis of extent 1).

TFLite Micro (pack.cc) packs `values_count` inputs (from the options) of the first input's size,
and supports float32, int8, int16, int32 and int64 (int64 is refused here: tinygen has no int64
graph inputs to test it with); inputs of different shapes or a values_count other than the number
of inputs (it would read or write past its tensors) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import schema
from .base import OpDef, register, unsupported
from .concatenation import ConcatParams

DTYPES = ("float32", "int8", "int16", "int32")


@dataclass
class PackAttrs:
    values_count: int = 0
    axis: int = 0


@register
class Pack(OpDef):
    kind = "PACK"
    options = "PackOptions"
    function = "tg_concatenation"
    moves_values = True

    def parse(self, opts, inputs, outputs):
        return PackAttrs() if opts is None else PackAttrs(values_count=int(opts.valuesCount), axis=int(opts.axis))

    def write_options(self, a: PackAttrs):
        o = schema.PackOptionsT()
        o.valuesCount, o.axis = int(a.values_count), int(a.axis)
        return o

    def _axis(self, op) -> int:
        r = op.inputs[0].rank + 1
        a = op.attrs.axis
        return a + r if a < 0 else a

    def infer(self, op):
        x = op.inputs[0]
        a = self._axis(op)
        return [tuple(x.shape[:a]) + (len(op.inputs),) + tuple(x.shape[a:])]

    def check(self, op):
        if not op.inputs or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects one or more inputs and one output")
        x, y = op.inputs[0], op.outputs[0]
        if y.dtype not in DTYPES:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype}; supported: {', '.join(DTYPES)}")
        if op.attrs.values_count != len(op.inputs):
            raise unsupported(op, f"values_count={op.attrs.values_count} but the operator has {len(op.inputs)} inputs")
        if not 0 <= self._axis(op) < y.rank:
            raise unsupported(op, f"axis {op.attrs.axis} is out of range for the output's rank {y.rank}")
        for t in op.inputs:
            if t.dtype != y.dtype:
                raise unsupported(op, f"input {t.name!r} has type {t.dtype} but the output is {y.dtype}")
            if tuple(t.shape) != tuple(x.shape):
                raise unsupported(op, f"input {t.name!r} has shape {list(t.shape)}, unlike {list(x.shape)}")
        if any(t.size == 0 for t in (y, *op.inputs)):
            raise unsupported(op, "a tensor has no elements")
        if tuple(y.shape) != self.infer(op)[0]:
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; packing gives {list(self.infer(op)[0])}")

    def prepare(self, op):
        y = op.outputs[0]
        a = self._axis(op)
        outer = int(np.prod(y.shape[:a], dtype=np.int64))
        inner = int(np.prod(y.shape[a + 1:], dtype=np.int64)) * y.itemsize
        return ConcatParams(outer=outer, num_inputs=len(op.inputs),
                            copy_bytes=np.full(len(op.inputs), inner, dtype=np.int32))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/concatenation.c.j2")
