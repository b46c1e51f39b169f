"""HARD_SWISH on int8 (kernel: tg_hard_swish_s8).

TFLite Micro's Prepare(), in float32 then widened to double:
  hires_input_scale = in_scale / 128
  output multiplier  = hires_input_scale / out_scale       (exponent must be <= 0)
  reluish multiplier = hires_input_scale / (3 / 32768)
each split by QuantizeMultiplier and its Q31 significand rounded to Q15.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import cstruct
from ..schema import schema
from .activation_utils import UnaryOp, check_unary_s8
from .base import register, unsupported


@cstruct("tg_hard_swish_params")
@dataclass(frozen=True)
class HardSwishParams:
    input_offset: int
    output_offset: int
    output_multiplier: int  # Q15
    output_shift: int
    reluish_multiplier: int  # Q15
    reluish_shift: int


def q31_to_q15(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    if m >= Q.INT32_MAX - (1 << 15):
        return Q.INT16_MAX
    return (m + (1 << 15)) >> 16


def hard_swish_params(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> HardSwishParams:
    f = np.float32
    with np.errstate(all="ignore"):
        hires = f(1.0) / f(128.0) * f(in_scale)
        reluish_scale = f(3.0) / f(32768.0)
        out_real = float(hires / f(out_scale))
        reluish_real = float(hires / reluish_scale)
    om, os_ = Q.quantize_multiplier(out_real)
    rm, rs = Q.quantize_multiplier(reluish_real)
    return HardSwishParams(input_offset=-in_zp, output_offset=out_zp, output_multiplier=q31_to_q15(om),
                           output_shift=os_, reluish_multiplier=q31_to_q15(rm), reluish_shift=rs)


@register
class HardSwish(UnaryOp):
    kind = "HARD_SWISH"
    options = "HardSwishOptions"
    function = "tg_hard_swish_s8"

    def write_options(self, a):
        return schema.HardSwishOptionsT()

    def check(self, op):
        qx, qy = check_unary_s8(op)
        p = hard_swish_params(qx.s, qx.zp, qy.s, qy.zp)
        if p.output_shift > 0:
            raise unsupported(op, f"output scale {qy.s} is too small for input scale {qx.s} "
                                  "(TFLM needs in_scale / 128 / out_scale < 1)")
        if not -31 <= p.reluish_shift <= 31:
            raise unsupported(op, f"input scale {qx.s} is out of range")

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        return hard_swish_params(x.quant.s, x.quant.zp, y.quant.s, y.quant.zp)


