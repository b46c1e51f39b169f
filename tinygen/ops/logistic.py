"""LOGISTIC (sigmoid) on int8 (kernel: tg_logistic_s8).

As in TFLite Micro: the output zero point must be -128, and the result is always produced on
the scale 1/256 (TFLM does not check the output scale, so neither do we: same bytes out).
"""

from __future__ import annotations

from .activation_utils import Q4Activation
from .base import register, unsupported


@register
class Logistic(Q4Activation):
    kind = "LOGISTIC"
    function = "tg_logistic_s8"

    def check_output(self, op, qy):
        if qy.zp != -128:
            raise unsupported(op, f"output zero point is {qy.zp}; int8 LOGISTIC needs -128 (scale 1/256)")
