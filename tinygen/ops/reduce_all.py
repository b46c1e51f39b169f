"""REDUCE_ALL: logical AND of a bool tensor over the axes of a constant int32 tensor (kernel:
tg_reduce_all).

TFLite Micro (reduce_common.cc, EvalAllHelper): bool only; each output starts true and takes
`in && current` over the reduced elements, in input order; MEAN's options (keep_dims) and axis
rules (negative and duplicate axes) as REDUCE_MAX.
"""

from __future__ import annotations

from .base import register
from .reduce import ReduceMax, check_reduction


@register
class ReduceAll(ReduceMax):
    kind = "REDUCE_ALL"
    function = "tg_reduce_all"
    float_types = False

    def check(self, op):
        check_reduction(op, ("bool",))
