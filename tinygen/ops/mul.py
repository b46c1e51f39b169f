"""MUL: int8 elementwise multiplication with broadcasting (kernel: tg_mul_s8).

TFLite Micro (mul_common.cc) requantizes the product of the offset inputs with one multiplier,
double(input1_scale) * double(input2_scale) / double(output_scale).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import quant as Q
from ..frontend.schema import schema
from .add_sub import ActivationAttrs, Broadcast, check_binary, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp
from .common import fused_activation, fused_activation_code


@dataclass
class MulParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    output: tuple[int, int]  # (multiplier, shift)
    act_min: int
    act_max: int
    bcast: Broadcast


def mul_multiplier(op, s1: float, s2: float, so: float) -> tuple[int, int]:
    real = float(s1) * float(s2) / float(so)
    mult, shift = Q.quantize_multiplier(real)
    if shift > 30:
        raise unsupported(op, f"rescaling factor {real:.6g} is too large (shift {shift} > 30)")
    return mult, shift


@register
class Mul(ElementwiseOp):
    kind = "MUL"
    options = "MulOptions"

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ActivationAttrs()
        return ActivationAttrs(activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: ActivationAttrs):
        o = schema.MulOptionsT()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        check_binary(op)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        mul_multiplier(op, x1.quant.s, x2.quant.s, y.quant.s)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        act_min, act_max = Q.activation_range(op.attrs.activation, y.quant.s, y.quant.zp)
        return MulParams(
            input1_offset=-x1.quant.zp, input2_offset=-x2.quant.zp, output_offset=y.quant.zp,
            output=mul_multiplier(op, x1.quant.s, x2.quant.s, y.quant.s),
            act_min=act_min, act_max=act_max, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def macs(self, op):
        return op.outputs[0].size


