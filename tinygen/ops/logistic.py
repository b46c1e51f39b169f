"""LOGISTIC (sigmoid) on int8 (kernel: tg_logistic_s8).

As in TFLite Micro: the output zero point must be -128, and the result is always produced on
the scale 1/256 (TFLM does not check the output scale, so neither do we: same bytes out).
"""

from __future__ import annotations

from .activation_utils import check_unary_s8, q4_input_params
from .base import register, unsupported
from .common import ElementwiseOp


@register
class Logistic(ElementwiseOp):
    kind = "LOGISTIC"

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        qx, qy = check_unary_s8(op)
        if qy.zp != -128:
            raise unsupported(op, f"output zero point is {qy.zp}; int8 LOGISTIC needs -128 (scale 1/256)")
        try:
            q4_input_params(qx.s, qx.zp)
        except ValueError as e:
            raise unsupported(op, f"input scale {qx.s}: {e}") from None

    def prepare(self, op):
        x = op.inputs[0]
        return q4_input_params(x.quant.s, x.quant.zp, x.size)


