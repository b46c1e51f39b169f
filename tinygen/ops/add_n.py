"""ADD_N: elementwise sum of N same-shaped tensors, int8 or float32 (kernels: tg_add_n_s8,
tg_add_n_f32).

TFLite Micro (add_n.cc): at least two inputs of one shape and type; int8 inputs must share one
scale and zero point. The int8 path is ADD's rescaling with twice the input scale as the common
scale (every input multiplier is then 1/2) and a left shift of 20; the output multiplier
2 * input_scale / (2^20 * output_scale) must be below one. As in TFLite Micro, each sum starts from
the rescaled input offset rather than from zero (one extra -zero point term).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import Quant, cstruct
from ..ir import Op
from ..schema import schema
from .add_sub import _smaller_than_one
from .base import register, unsupported
from .common import ElementwiseOp, check_dtype, check_int8_activation

#: headroom bits of the int8 rescaling (kAddNIntegerShift, kCumSumIntegerShift)
LEFT_SHIFT = 20


@cstruct("tg_sum_rescale")
@dataclass(frozen=True)
class SumRescale:
    input_offset: int
    output_offset: int
    left_shift: int
    input: Quant
    output: Quant


def sum_rescale(op: Op, s_in: float, zp_in: int, s_out: float, zp_out: int) -> SumRescale:
    """The int8 rescaling of ADD_N and CUMSUM (double precision from the float32 scales)."""
    twice = 2.0 * float(np.float32(s_in))
    m_in = _smaller_than_one(op, float(np.float32(s_in)) / twice, "input")
    m_out = _smaller_than_one(op, twice / ((1 << LEFT_SHIFT) * float(np.float32(s_out))), "output")
    return SumRescale(input_offset=-zp_in, output_offset=zp_out, left_shift=LEFT_SHIFT, input=Quant(*m_in),
                      output=Quant(*m_out))


@dataclass(frozen=True)
class AddNArgs:
    params: SumRescale | None   # None for float32
    size: int


@register
class AddN(ElementwiseOp):
    kind = "ADD_N"
    options = "AddNOptions"
    float_types = True

    def write_options(self, a):
        return schema.AddNOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        if len(op.inputs) < 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects at least two inputs and one output")
        x0, y = op.inputs[0], op.outputs[0]
        check_dtype(op, x0, "int8", "float32", what="input 0")
        for i, t in enumerate(op.inputs[1:], 1):
            if t.dtype != x0.dtype or tuple(t.shape) != tuple(x0.shape):
                raise unsupported(op, f"input {i} {t.name!r} is {t.dtype}{list(t.shape)}; every input must be "
                                      f"{x0.dtype}{list(x0.shape)} (TFLite Micro requires it)")
        if y.dtype != x0.dtype or tuple(y.shape) != tuple(x0.shape):
            raise unsupported(op, f"output {y.name!r} is {y.dtype}{list(y.shape)}; expected {x0.dtype}{list(x0.shape)}")
        if x0.dtype == "int8":
            q0 = check_int8_activation(op, x0, "input 0")
            for i, t in enumerate(op.inputs[1:], 1):
                q = check_int8_activation(op, t, f"input {i}")
                if np.float32(q.s) != np.float32(q0.s) or q.zp != q0.zp:
                    raise unsupported(op, "inputs have different quantizations (TFLite Micro requires them equal)")
            qy = check_int8_activation(op, y, "output")
            sum_rescale(op, q0.s, q0.zp, qy.s, qy.zp)

    def prepare(self, op):
        x0, y = op.inputs[0], op.outputs[0]
        if x0.dtype == "float32":
            return AddNArgs(params=None, size=x0.size)
        return AddNArgs(params=sum_rescale(op, x0.quant.s, x0.quant.zp, y.quant.s, y.quant.zp), size=x0.size)

    def lower(self, op, target):
        f32 = op.inputs[0].dtype == "float32"
        return self.kernel(op, self.prepare(op), function="tg_add_n_f32" if f32 else "tg_add_n_s8")

    def macs(self, op):
        return op.outputs[0].size * len(op.inputs)
