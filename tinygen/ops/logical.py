"""LOGICAL_AND, LOGICAL_OR and LOGICAL_NOT on bool tensors (kernels: tg_logical_and, tg_logical_or,
tg_logical_not).

TFLite Micro (logical.cc, logical_common.cc, elementwise.cc): bool only. AND and OR run the plain
elementwise loop when both inputs have the same shape and a slow broadcast loop otherwise. The
pinned package broadcasts correctly up to rank 7 but not at rank 8 (measured against numpy; its
source of August 2026 still says 4-D): broadcasts of rank 8 are refused here. LOGICAL_NOT is
elementwise on one bool tensor.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import schema
from .activation_utils import check_unary
from .add_sub import Broadcast, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp, check_dtype
from .maximum_minimum import check_broadcast_binary

#: highest broadcast rank the pinned TFLite Micro computes correctly (same-shape inputs: any rank)
BROADCAST_RANK = 7


@dataclass(frozen=True)
class LogicalArgs:
    bcast: Broadcast


@dataclass(frozen=True)
class LogicalNotArgs:
    size: int


class BroadcastBinaryOp(ElementwiseOp):
    """A two-input operator of one element type (`dtypes`) broadcast up to BROADCAST_RANK
    dimensions, with an empty options table (`options_class`)."""

    options_class = ""
    dtypes: tuple[str, ...] = ()

    def write_options(self, a):
        return getattr(schema, self.options_class)()

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        check_broadcast_binary(op, self.dtypes)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if tuple(x1.shape) != tuple(x2.shape) and max(x1.rank, x2.rank, y.rank) > BROADCAST_RANK:
            raise unsupported(op, f"broadcasting {list(x1.shape)} against {list(x2.shape)}: TFLite Micro "
                                  f"broadcasts correctly at most {BROADCAST_RANK} dimensions")

    def macs(self, op):
        return op.outputs[0].size


class _LogicalBinary(BroadcastBinaryOp):
    dtypes = ("bool",)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return LogicalArgs(bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/logical.c.j2")


@register
class LogicalAnd(_LogicalBinary):
    kind = "LOGICAL_AND"
    options = "LogicalAndOptions"
    options_class = "LogicalAndOptionsT"
    function = "tg_logical_and"


@register
class LogicalOr(_LogicalBinary):
    kind = "LOGICAL_OR"
    options = "LogicalOrOptions"
    options_class = "LogicalOrOptionsT"
    function = "tg_logical_or"


@register
class LogicalNot(ElementwiseOp):
    kind = "LOGICAL_NOT"
    options = "LogicalNotOptions"
    function = "tg_logical_not"

    def write_options(self, a):
        return schema.LogicalNotOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_dtype(op, x, "bool", what="input")
        check_dtype(op, y, "bool", what="output")

    def prepare(self, op):
        return LogicalNotArgs(size=op.inputs[0].size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/logical_not.c.j2")

    def macs(self, op):
        return op.outputs[0].size
