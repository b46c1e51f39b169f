"""TANH on int8 (kernel: tg_tanh_s8).

As in TFLite Micro, the result is always produced on the scale 1/128 with zero point 0: TFLM
checks neither the output scale nor its zero point, so neither do we (same bytes out).
"""

from __future__ import annotations

from .activation_utils import check_unary_s8, q4_input_params
from .base import register, unsupported
from .common import ElementwiseOp


@register
class Tanh(ElementwiseOp):
    kind = "TANH"

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        qx, _ = check_unary_s8(op)
        try:
            q4_input_params(qx.s, qx.zp)
        except ValueError as e:
            raise unsupported(op, f"input scale {qx.s}: {e}") from None

    def prepare(self, op):
        x = op.inputs[0]
        return q4_input_params(x.quant.s, x.quant.zp, x.size)


