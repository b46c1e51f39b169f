"""FLOOR_DIV and FLOOR_MOD on float32, the only type TFLite Micro takes for them (kernels:
tg_floor_div_f32, tg_floor_mod_f32).

TFLite Micro (floor_div.cc, floor_mod.cc, reference floor_div.h / floor_mod.h): FLOOR_DIV is
floor(double(a) / double(b)) rounded to float32 and fails the inference when any divisor is zero
(checked before dividing; the generated code returns an error status there too); FLOOR_MOD is
fmodf(a, b) plus b when that remainder is nonzero and its sign differs from b's, unchecked. Every
step is exactly rounded, so every target reproduces them bit for bit; NaN results take x86-64's
bits. Both broadcast through the slow loop of LOGICAL_AND (correct up to rank 7 in the pinned
package).
"""

from __future__ import annotations

from dataclasses import dataclass

from .add_sub import Broadcast, plan_broadcast
from .base import register
from .logical import BroadcastBinaryOp


@dataclass(frozen=True)
class FloorDivArgs:
    bcast: Broadcast
    divisors: int   # elements of input 2 (all checked for zero first)


@dataclass(frozen=True)
class FloorModArgs:
    bcast: Broadcast


class _FloorBinary(BroadcastBinaryOp):
    float_types = True
    dtypes = ("float32",)

    def bcast(self, op) -> Broadcast:
        return plan_broadcast(op.inputs[0].shape, op.inputs[1].shape, op.outputs[0].shape)


@register
class FloorDiv(_FloorBinary):
    kind = "FLOOR_DIV"
    options = "FloorDivOptions"
    options_class = "FloorDivOptionsT"
    function = "tg_floor_div_f32"

    def prepare(self, op):
        return FloorDivArgs(bcast=self.bcast(op), divisors=op.inputs[1].size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/floor_div.c.j2")

    def input_regions(self, op, out):
        return None  # every divisor is checked first: a patch would check only its own


@register
class FloorMod(_FloorBinary):
    kind = "FLOOR_MOD"
    options = "FloorModOptions"
    options_class = "FloorModOptionsT"
    function = "tg_floor_mod_f32"

    def prepare(self, op):
        return FloorModArgs(bcast=self.bcast(op))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/logical.c.j2")
