"""TANH on int8 (kernel: tg_tanh_s8).

As in TFLite Micro, the result is always produced on the scale 1/128 with zero point 0: TFLM
checks neither the output scale nor its zero point, so neither do we (same bytes out).
"""

from __future__ import annotations

from .activation_utils import Q4Activation
from .base import register


@register
class Tanh(Q4Activation):
    kind = "TANH"
    function = "tg_tanh_s8"
