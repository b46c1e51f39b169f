"""GATHER: slices of a float32 or int8 tensor picked along one axis by int32 positions, values
copied unchanged (kernel: tg_gather).

TFLite Micro (gather.cc) takes the axis and batch_dims from the options (negative values count
from the end: the input's rank for the axis, the positions' rank for batch_dims), requires
batch_dims <= axis and the batch dimensions of input and positions to match, and does not check
the positions' values (it reads outside the input for one out of range). Constant positions out of
range are refused here; positions computed at run time are checked by the kernel, which then
returns an error before writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_shape

DTYPES = ("float32", "int8")


@dataclass
class GatherAttrs:
    axis: int = 0
    batch_dims: int = 0


@cstruct("tg_gather_params")
@dataclass(frozen=True)
class GatherParams:
    batches: int
    outer: int
    coords: int
    axis_size: int
    inner_bytes: int


def _axes(op) -> tuple[int, int]:
    x, p = op.inputs[0], op.inputs[1]
    a, b = op.attrs.axis, op.attrs.batch_dims
    return a + (x.rank if a < 0 else 0), b + (p.rank if b < 0 else 0)


def _prod(v) -> int:
    return int(np.prod(v, dtype=np.int64)) if len(v) else 1


@register
class Gather(OpDef):
    kind = "GATHER"
    options = "GatherOptions"
    function = "tg_gather"
    moves_values = True
    input_names = ("input", "positions")

    def parse(self, opts, inputs, outputs):
        return GatherAttrs() if opts is None else GatherAttrs(axis=int(opts.axis), batch_dims=int(opts.batchDims))

    def write_options(self, a: GatherAttrs):
        o = schema.GatherOptionsT()
        o.axis, o.batchDims = int(a.axis), int(a.batch_dims)
        return o

    def infer(self, op):
        x, p = op.inputs[0], op.inputs[1]
        a, b = _axes(op)
        return [tuple(x.shape[:a]) + tuple(p.shape[b:]) + tuple(x.shape[a + 1:])]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, positions and one output")
        x, p, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, *DTYPES, what="input")
        check_dtype(op, p, "int32", what="positions")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input is {x.dtype}")
        a, b = _axes(op)
        if not 0 <= a < x.rank:
            raise unsupported(op, f"axis {op.attrs.axis} is out of range for rank {x.rank}")
        if not (0 <= b < x.rank and b <= p.rank and b <= a):
            raise unsupported(op, f"batch_dims {op.attrs.batch_dims} must be in [0, {min(x.rank - 1, p.rank, a)}] "
                                  f"(axis {a}, positions of rank {p.rank})")
        if tuple(x.shape[:b]) != tuple(p.shape[:b]):
            raise unsupported(op, f"the batch dimensions of the input {list(x.shape[:b])} and the positions "
                                  f"{list(p.shape[:b])} differ")
        if any(t.size == 0 for t in (x, y)) or p.size == 0:
            raise unsupported(op, "a tensor has no elements")
        check_shape(op, y, self.infer(op)[0])
        if p.is_const:
            v = np.asarray(p.data).reshape(-1)
            if v.min() < 0 or v.max() >= x.shape[a]:
                raise unsupported(op, f"a position is outside [0, {x.shape[a]}) (TFLite Micro would read outside the input)")

    def prepare(self, op) -> GatherParams:
        x, p = op.inputs[0], op.inputs[1]
        a, b = _axes(op)
        return GatherParams(batches=_prod(x.shape[:b]), outer=_prod(x.shape[b:a]), coords=_prod(p.shape[b:]),
                            axis_size=x.shape[a], inner_bytes=_prod(x.shape[a + 1:]) * x.itemsize)
