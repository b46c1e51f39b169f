"""CUMSUM: cumulative sum along a constant axis, int8 or float32, exclusive and reverse options
(kernels: tg_cumsum_s8, tg_cumsum_f32).

TFLite Micro (cumsum.cc): a one-element int32 axis tensor, an output of the input's shape and
type; the int8 path is ADD_N's rescaling (see tinygen.ops.add_n), each sum starting from the
rescaled input offset; float32 adds in axis order from 0.0f.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..ir import Op
from ..schema import schema
from .add_n import SumRescale, sum_rescale
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation


@dataclass
class CumsumAttrs:
    exclusive: bool = False
    reverse: bool = False


@cstruct("tg_cumsum_params")
@dataclass(frozen=True)
class CumsumParams:
    rescale: SumRescale
    outer: int
    depth: int
    inner: int
    exclusive: int
    reverse: int


def _axis(op: Op) -> int | None:
    x, ax = op.inputs[0], op.inputs[1]
    a = int(np.asarray(ax.data).reshape(-1)[0])
    a = a + x.rank if a < 0 else a
    return a if 0 <= a < x.rank else None


@register
class Cumsum(OpDef):
    kind = "CUMSUM"
    options = "CumsumOptions"
    float_types = True

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return CumsumAttrs()
        return CumsumAttrs(exclusive=bool(opts.exclusive), reverse=bool(opts.reverse))

    def write_options(self, a: CumsumAttrs):
        o = schema.CumsumOptionsT()
        o.exclusive, o.reverse = bool(a.exclusive), bool(a.reverse)
        return o

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
            raise unsupported(op, "expects an input, an axis tensor and one output")
        x, ax, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, "int8", "float32", what="input")
        check_dtype(op, ax, "int32", what="axis")
        if not ax.is_const or ax.size != 1:
            raise unsupported(op, f"axis tensor {ax.name!r} must be a constant with one element")
        if x.rank < 1 or x.size == 0:
            raise unsupported(op, f"input {x.name!r} has shape {list(x.shape)}")
        if y.dtype != x.dtype or tuple(y.shape) != tuple(x.shape):
            raise unsupported(op, f"output {y.name!r} is {y.dtype}{list(y.shape)}; expected {x.dtype}{list(x.shape)}")
        if _axis(op) is None:
            raise unsupported(op, f"axis {int(np.asarray(ax.data).reshape(-1)[0])} is out of range for rank {x.rank}")
        if x.dtype == "int8":
            qx, qy = check_int8_activation(op, x, "input"), check_int8_activation(op, y, "output")
            sum_rescale(op, qx.s, qx.zp, qy.s, qy.zp)

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        a = _axis(op)
        if x.dtype == "int8":
            rescale = sum_rescale(op, x.quant.s, x.quant.zp, y.quant.s, y.quant.zp)
        else:  # unused by the float32 kernel
            rescale = sum_rescale(op, 1.0, 0, 1.0, 0)
        return CumsumParams(rescale=rescale, outer=int(np.prod(x.shape[:a], dtype=np.int64)), depth=x.shape[a],
                            inner=int(np.prod(x.shape[a + 1:], dtype=np.int64)),
                            exclusive=int(op.attrs.exclusive), reverse=int(op.attrs.reverse))

    def lower(self, op, target):
        f32 = op.inputs[0].dtype == "float32"
        return self.kernel(op, self.prepare(op), function="tg_cumsum_f32" if f32 else "tg_cumsum_s8",
                           template="ops/reduce.c.j2")

    def macs(self, op):
        return op.inputs[0].size
