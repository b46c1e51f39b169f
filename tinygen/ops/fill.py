"""FILL, ZEROS_LIKE and SHAPE: outputs that do not depend on their input's values (kernel:
tg_remap with step-0 dimensions: one element copied to every output position).

TFLite Micro:
  - FILL (fill.cc): constant dims equal to the output's shape, a scalar value (float32, int32 or
    int8; it may be computed at run time) of the output's type, copied everywhere;
  - ZEROS_LIKE (zeros_like.cc): zeros of the input's shape and type (int64, int32, int8, float32;
    tinygen takes int32, int8 and float32);
  - SHAPE (shape.cc): the input's dimensions as an int32 vector (int64 fails TFLite Micro's Eval).
ZEROS_LIKE and SHAPE copy from a constant in flash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import np_dtype
from ..schema import schema
from .base import NoAttrs, OpDef, register, unsupported
from .common import check_dtype, check_shape
from .remap import RemapOp, RemapParams, plan_remap
from .slice import const_vector

FILL_DTYPES = ("float32", "int32", "int8")
ZEROS_DTYPES = ("int32", "int8", "float32")


@dataclass(frozen=True, eq=False)
class ConstCopyArgs:
    """A tg_remap call reading a constant array (in flash) instead of an operator input."""

    params: RemapParams
    source: np.ndarray


def _broadcast_axes(shape) -> list[np.ndarray]:
    return [np.zeros(n, dtype=np.int64) for n in shape]


@register
class Fill(RemapOp):
    kind = "FILL"
    options = "FillOptions"
    data_input = 1
    input_names = ("dims", "value")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.FillOptionsT()

    def infer(self, op):
        return [tuple(int(v) for v in np.asarray(op.inputs[0].data).reshape(-1))]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects dims, a value and one output")
        dims, v, y = op.inputs[0], op.inputs[1], op.outputs[0]
        self.check_types(op, FILL_DTYPES)
        if v.rank != 0:
            raise unsupported(op, f"value {v.name!r} has shape {list(v.shape)}; TFLite Micro needs a scalar")
        shape = const_vector(op, dims, "dims", ("int8", "int16", "int32", "int64"))
        if dims.rank != 1 or tuple(shape) != tuple(y.shape):
            raise unsupported(op, f"dims {shape} differ from the output shape {list(y.shape)}")

    def remap_axes(self, op, output):
        return _broadcast_axes(op.outputs[0].shape)


class _FromConstant(OpDef):
    """Copies a constant (source(op)) to every position of the output."""

    function = "tg_remap"
    moves_values = True

    def source(self, op) -> np.ndarray:
        raise NotImplementedError

    def axes(self, op) -> list[np.ndarray]:
        raise NotImplementedError

    def prepare(self, op) -> ConstCopyArgs:
        src = self.source(op)
        return ConstCopyArgs(params=plan_remap(self.axes(op), src.itemsize), source=src)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/const_copy.c.j2")


@register
class ZerosLike(_FromConstant):
    kind = "ZEROS_LIKE"
    options = "ZerosLikeOptions"

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.ZerosLikeOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        if len(op.inputs) != 1 or op.inputs[0] is None or len(op.outputs) != 1:
            raise unsupported(op, "expects one input and one output")
        x, y = op.inputs[0], op.outputs[0]
        check_dtype(op, x, *ZEROS_DTYPES, what="input")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input is {x.dtype}")
        if y.size == 0:
            raise unsupported(op, "the output has no elements")
        check_shape(op, y, x.shape)

    def source(self, op):
        return np.zeros(1, dtype=np_dtype(op.outputs[0].dtype))

    def axes(self, op):
        return _broadcast_axes(op.outputs[0].shape)


@register
class Shape(_FromConstant):
    kind = "SHAPE"
    options = "ShapeOptions"

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        o = schema.ShapeOptionsT()
        o.outType = schema.TensorType.INT32
        return o

    def infer(self, op):
        return [(op.inputs[0].rank,)]

    def check(self, op):
        if len(op.inputs) != 1 or op.inputs[0] is None or len(op.outputs) != 1:
            raise unsupported(op, "expects one input and one output")
        check_dtype(op, op.outputs[0], "int32", what="output")
        if op.inputs[0].rank == 0:
            raise unsupported(op, "the input is a scalar (its shape has no elements)")
        check_shape(op, op.outputs[0], (op.inputs[0].rank,))

    def source(self, op):
        return np.array(op.inputs[0].shape, dtype=np.int32)

    def axes(self, op):
        return [np.arange(op.inputs[0].rank, dtype=np.int64)]
