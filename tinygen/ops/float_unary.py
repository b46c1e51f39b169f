"""NEG, SQUARE, SQRT, FLOOR, CEIL and ROUND: the float32-only elementwise operators of TFLite
Micro whose results are exactly rounded, so every target reproduces them bit for bit (kernel:
tg_float_unary). They appear around int8 models at the float boundary (e.g. a NEG or SQRT after
a DEQUANTIZE).

TFLite Micro (neg.cc, elementwise.cc, floor.cc, ceil.cc, round.cc) takes float32 only for these
(int8 fails its Eval or Prepare, measured on the pinned package). ROUND is RoundToNearest (halves
to even). EXP, LOG, SIN, COS and float32 ELU / LOG_SOFTMAX call expf, logf, sinf, cosf or expm1f,
whose last bits differ between C libraries (glibc on the oracle's host, newlib on the device), so
tinygen does not support them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..kernel_library import constant
from ..schema import schema
from .activation_utils import check_unary
from .base import register
from .common import ElementwiseOp, check_dtype


@dataclass(frozen=True)
class FloatUnaryArgs:
    function: int   # TG_FUNARY_*
    size: int


class _FloatUnary(ElementwiseOp):
    float_types = True
    function = "tg_float_unary"
    code: ClassVar[str] = ""         # TG_FUNARY_* constant
    options_class: ClassVar[str | None] = None

    def write_options(self, a):
        return getattr(schema, self.options_class)() if self.options_class else None

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_dtype(op, x, "float32", what="input")
        check_dtype(op, y, "float32", what="output")

    def prepare(self, op):
        return FloatUnaryArgs(function=constant(self.code), size=op.inputs[0].size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/float_unary.c.j2")

    def macs(self, op):
        return op.outputs[0].size


@register
class Neg(_FloatUnary):
    kind = "NEG"
    options = "NegOptions"
    options_class = "NegOptionsT"
    code = "TG_FUNARY_NEG"


@register
class Square(_FloatUnary):
    kind = "SQUARE"
    options = "SquareOptions"
    options_class = "SquareOptionsT"
    code = "TG_FUNARY_SQUARE"


@register
class Sqrt(_FloatUnary):
    kind = "SQRT"
    code = "TG_FUNARY_SQRT"


@register
class Floor(_FloatUnary):
    kind = "FLOOR"
    code = "TG_FUNARY_FLOOR"


@register
class Ceil(_FloatUnary):
    kind = "CEIL"
    code = "TG_FUNARY_CEIL"


@register
class Round(_FloatUnary):
    kind = "ROUND"
    code = "TG_FUNARY_ROUND"
