"""RELU and RELU6 on int8 (kernels: tg_requantize_s8, tg_relu6_s8).

TFLite Micro treats the two differently:
  RELU   rescales input -> output (multiplier = float(in_scale / out_scale)) and clamps at the
         output's zero point.
  RELU6  ignores the output quantization: it clamps the stored input values to
         [input zero point, quantized 6.0] and copies them, as if the output had the input's
         scale and zero point. We do exactly the same (bit-exact with TFLM).
RELU_N1_TO_1 as an operator is not supported by TFLite Micro, so neither by tinygen.
"""

from __future__ import annotations

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, Range
from .activation_utils import RequantizeParams, UnaryOp, check_unary_s8
from .base import register, unsupported


def relu_params(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> RequantizeParams:
    """CalculateReluOpData<int8_t>: the ratio is divided in float32, then widened."""
    ratio = float(np.float32(in_scale) / np.float32(out_scale))
    mult, shift = Q.quantize_multiplier(ratio)
    # act_min = max(-128, zp + (int)roundf(0 / scale)) = max(-128, zp); act_max = 127
    return RequantizeParams(input_offset=-in_zp, output_offset=out_zp, quant=Quant(mult, shift),
                            activation=Range(max(Q.INT8_MIN, out_zp), Q.INT8_MAX))


def quantized_six(scale: float, zero_point: int) -> int:
    """FloatToQuantizedType<int8_t>(6.0f, scale, zp): round(6.0f / scale) + zp, clamped."""
    with np.errstate(all="ignore"):
        r = Q.round_half_away(float(np.float32(6.0) / np.float32(scale)))
    return int(min(max(r + zero_point, Q.INT8_MIN), Q.INT8_MAX))


@register
class Relu(UnaryOp):
    kind = "RELU"
    function = "tg_requantize_s8"

    def check(self, op):
        qx, qy = check_unary_s8(op)
        ratio = float(np.float32(qx.s) / np.float32(qy.s))
        if not np.isfinite(ratio):
            raise unsupported(op, f"input/output scale ratio {ratio} cannot be represented")
        _, s = Q.quantize_multiplier(ratio)
        if s > 30:
            raise unsupported(op, f"input/output scale ratio {ratio} is too large (shift {s})")

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        return relu_params(x.quant.s, x.quant.zp, y.quant.s, y.quant.zp)


@register
class Relu6(UnaryOp):
    kind = "RELU6"
    function = "tg_relu6_s8"

    def check(self, op):
        qx, _ = check_unary_s8(op)
        if float(np.float32(6.0) / np.float32(qx.s)) >= 2.0**31:
            raise unsupported(op, f"input scale {qx.s} is too small to represent 6.0")

    def params(self, op):
        q = op.inputs[0].quant
        return Range(q.zp, quantized_six(q.s, q.zp))


