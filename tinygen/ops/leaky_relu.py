"""LEAKY_RELU on int8 (kernel: tg_leaky_relu_s8).

TFLite Micro's Prepare(): identity multiplier float32(in_scale / out_scale), alpha multiplier
float32(in_scale * alpha / out_scale), each widened to double and split by QuantizeMultiplier.
A negative alpha gives a negative Q31 multiplier: the kernel applies its magnitude and negates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from ..schema import schema
from .activation_utils import UnaryOp, check_unary_s8
from .base import register, unsupported


@dataclass
class LeakyReluAttrs:
    alpha: float = 0.0


@cstruct("tg_leaky_relu_params")
@dataclass(frozen=True)
class LeakyReluParams:
    input_offset: int
    output_offset: int
    identity: Quant         # input scale / output scale, for x >= zero point
    alpha: Quant            # |alpha| * input scale / output scale (magnitude >= 0), for x < zero point
    alpha_negative: int     # 1 when alpha < 0


def leaky_relu_multipliers(in_scale: float, alpha: float, out_scale: float):
    s_in, s_out, a = np.float32(in_scale), np.float32(out_scale), np.float32(alpha)
    with np.errstate(all="ignore"):
        alpha_real = float((s_in * a) / s_out)
        identity_real = float(s_in / s_out)
    if not (np.isfinite(alpha_real) and np.isfinite(identity_real)):
        raise ValueError("scale ratio is not finite")
    return Q.quantize_multiplier(identity_real), Q.quantize_multiplier(alpha_real)


@register
class LeakyRelu(UnaryOp):
    kind = "LEAKY_RELU"
    options = "LeakyReluOptions"
    function = "tg_leaky_relu_s8"

    def parse(self, opts, inputs, outputs):
        return LeakyReluAttrs(alpha=float(np.float32(opts.alpha)) if opts is not None else 0.0)

    def write_options(self, a: LeakyReluAttrs):
        o = schema.LeakyReluOptionsT()
        o.alpha = float(a.alpha)
        return o

    def check(self, op):
        qx, qy = check_unary_s8(op)
        a = op.attrs.alpha
        if not np.isfinite(a):
            raise unsupported(op, f"alpha {a} is not finite")
        try:
            (mi, si), (ma, sa) = leaky_relu_multipliers(qx.s, a, qy.s)
        except ValueError as e:
            raise unsupported(op, f"alpha {a}, input scale {qx.s}, output scale {qy.s}: {e}") from None
        if si > 30 or sa > 30:
            raise unsupported(op, f"scale ratio too large for alpha {a} (shifts {si}, {sa})")
        if ma == Q.INT32_MIN:
            raise unsupported(op, f"alpha multiplier for alpha {a} cannot be negated in int32")

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        (mi, si), (ma, sa) = leaky_relu_multipliers(x.quant.s, op.attrs.alpha, y.quant.s)
        return LeakyReluParams(input_offset=-x.quant.zp, output_offset=y.quant.zp, identity=Quant(mi, si),
                               alpha=Quant(abs(ma), sa), alpha_negative=int(ma < 0))


