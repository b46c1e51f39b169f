"""SQUARED_DIFFERENCE: int8 (a - b)^2 with broadcasting (kernel: tg_squared_difference_s8).

TFLite Micro (squared_difference.cc) rescales both inputs as ADD does, with a left shift of 7:
twice_max = 2 * max(s1, s2) (the larger float32 scale, widened), input multipliers
s / twice_max (QuantizeMultiplierSmallerThanOneExp), and the output multiplier
twice_max^2 / (2^14 * s_out) (QuantizeMultiplier, may exceed one); 2^14 * s_out is a float32
product. The output is clamped to the int8 range (no fused activation).
"""

from __future__ import annotations

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, Range
from ..schema import schema
from .add_sub import AddSubParams, BinaryArgs, _smaller_than_one, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp, check_int8_activation
from .maximum_minimum import check_broadcast_binary

#: headroom bits of the int8 rescaling (TFLite Micro: 7, so that 255^2 * 2^14 fits int32)
LEFT_SHIFT = 7


def squared_difference_params(op, s1: float, zp1: int, s2: float, zp2: int, so: float, zpo: int) -> AddSubParams:
    twice_max = 2.0 * float(max(np.float32(s1), np.float32(s2)))
    m1 = _smaller_than_one(op, float(np.float32(s1)) / twice_max, "input 1")
    m2 = _smaller_than_one(op, float(np.float32(s2)) / twice_max, "input 2")
    denom = float(np.float32(1 << (2 * LEFT_SHIFT)) * np.float32(so))
    mo, shift = Q.quantize_multiplier(twice_max * twice_max / denom)
    if shift > 30:
        raise unsupported(op, f"output rescaling factor is too large (shift {shift} > 30): the output scale is "
                              "too small for the input scales")
    return AddSubParams(input1_offset=-zp1, input2_offset=-zp2, output_offset=zpo, left_shift=LEFT_SHIFT,
                        input1=Quant(*m1), input2=Quant(*m2), output=Quant(mo, shift),
                        activation=Range(Q.INT8_MIN, Q.INT8_MAX))


@register
class SquaredDifference(ElementwiseOp):
    kind = "SQUARED_DIFFERENCE"
    options = "SquaredDifferenceOptions"
    function = "tg_squared_difference_s8"

    def write_options(self, a):
        return schema.SquaredDifferenceOptionsT()

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        check_broadcast_binary(op, ("int8",))
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        q1 = check_int8_activation(op, x1, "input 1")
        q2 = check_int8_activation(op, x2, "input 2")
        qy = check_int8_activation(op, y, "output")
        squared_difference_params(op, q1.s, q1.zp, q2.s, q2.zp, qy.s, qy.zp)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        params = squared_difference_params(op, x1.quant.s, x1.quant.zp, x2.quant.s, x2.quant.zp,
                                           y.quant.s, y.quant.zp)
        return BinaryArgs(params=params, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/binary.c.j2")

    def macs(self, op):
        return op.outputs[0].size
