"""RSQRT: 1 / sqrt(x) on int8 (kernel: tg_rsqrt_s8).

TFLite Micro (elementwise.cc): the output multiplier is 1 / (sqrt(input_scale) * output_scale),
the square root and the product in float32, the division in double. Each element
x = q - zero_point goes through the fixed-point inverse square root (GetInvSqrtQuantizedMultiplierExp)
with 20 bits of headroom, then that multiplier; x == 0 gives 127. An input below the zero point
(a negative real value) makes TFLite Micro fail the inference; the kernel returns an error there
too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from .activation_utils import UnaryOp, check_unary_s8
from .base import register, unsupported

#: headroom bits of the kernel's intermediate value (kShift in TFLite Micro)
RSQRT_SHIFT = 20


@cstruct("tg_rsqrt_params")
@dataclass(frozen=True)
class RsqrtParams:
    input_zero_point: int
    output_offset: int
    quant: Quant


def rsqrt_multiplier(in_scale: float, out_scale: float) -> tuple[int, int]:
    with np.errstate(all="ignore"):
        denom = np.float32(np.sqrt(np.float32(in_scale))) * np.float32(out_scale)
    return Q.quantize_multiplier(1.0 / float(denom))


@register
class Rsqrt(UnaryOp):
    kind = "RSQRT"
    function = "tg_rsqrt_s8"

    def check(self, op):
        qx, qy = check_unary_s8(op)
        mult, shift = rsqrt_multiplier(qx.s, qy.s)
        # the kernel shifts right by 20 - shift: beyond 31 bits TFLite Micro's shift is undefined
        if shift - RSQRT_SHIFT < -31 or shift > 30:
            raise unsupported(op, f"output rescaling 1/(sqrt({qx.s:.3g}) * {qy.s:.3g}) is out of range")

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        mult, shift = rsqrt_multiplier(x.quant.s, y.quant.s)
        return RsqrtParams(input_zero_point=x.quant.zp, output_offset=y.quant.zp, quant=Quant(mult, shift))
