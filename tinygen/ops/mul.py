"""MUL: int8 elementwise multiplication with broadcasting (kernel: tg_mul_s8).

TFLite Micro (mul_common.cc) requantizes the product of the offset inputs with one multiplier,
double(input1_scale) * double(input2_scale) / double(output_scale).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant as Q
from ..cstruct import Quant, Range, cstruct
from ..fast.elementwise import binary_view, lower_mul_fast, mul_fast_check
from .add_sub import BinaryArgs, BinaryOp, check_binary, plan_broadcast
from .base import register, unsupported
from .common import activation_range


@cstruct("tg_mul_params")
@dataclass(frozen=True)
class MulParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    output: Quant
    activation: Range


def mul_multiplier(op, s1: float, s2: float, so: float) -> Quant:
    real = float(s1) * float(s2) / float(so)
    mult, shift = Q.quantize_multiplier(real)
    if shift > 30:
        raise unsupported(op, f"rescaling factor {real:.6g} is too large (shift {shift} > 30)")
    return Quant(mult, shift)


@register
class Mul(BinaryOp):
    kind = "MUL"
    options = "MulOptions"
    options_class = "MulOptionsT"
    function = "tg_mul_s8"
    fast_function = "tg_mul_fast_s8"
    fast_scratch_query = "tg_mul_fast_s8_get_buffer_size"

    def fast_params(self, args):
        view = binary_view(args.params)
        return lower_mul_fast(view) if mul_fast_check(view) is None else None

    def check(self, op):
        check_binary(op)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        mul_multiplier(op, x1.quant.s, x2.quant.s, y.quant.s)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        params = MulParams(input1_offset=-x1.quant.zp, input2_offset=-x2.quant.zp, output_offset=y.quant.zp,
                           output=mul_multiplier(op, x1.quant.s, x2.quant.s, y.quant.s),
                           activation=activation_range(op.attrs.activation, y))
        return BinaryArgs(params=params, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))


