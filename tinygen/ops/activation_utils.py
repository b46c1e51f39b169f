"""Helpers shared by the elementwise activation and (de)quantization operators
(RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, QUANTIZE, DEQUANTIZE)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import quant as Q
from ..cstruct import Quant as CQuant
from ..cstruct import Range, cstruct
from ..ir import Op, Quant, Tensor
from .base import unsupported
from .common import ElementwiseOp, check_int8_activation


def check_unary(op: Op) -> tuple[Tensor, Tensor]:
    """One data input, one output, same shape; returns (input, output)."""
    if len(op.inputs) != 1 or op.inputs[0] is None or len(op.outputs) != 1:
        raise unsupported(op, "expects one input and one output")
    x, y = op.inputs[0], op.outputs[0]
    if tuple(x.shape) != tuple(y.shape):
        raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)} but the input has {list(x.shape)}")
    if x.is_const:
        raise unsupported(op, f"input {x.name!r} is a constant; elementwise operators on constants are not supported")
    return x, y


def check_unary_s8(op: Op) -> tuple[Quant, Quant]:
    """int8 -> int8 elementwise operator with per-tensor quantization; returns (qx, qy)."""
    x, y = check_unary(op)
    qx = check_int8_activation(op, x, "input")
    qy = check_int8_activation(op, y, "output")
    return qx, qy


@dataclass(frozen=True)
class UnaryArgs:
    """Arguments of an elementwise kernel kernel(&params, size, input, output)."""

    params: object
    size: int


class UnaryOp(ElementwiseOp):
    """Elementwise operators with one input and a kernel(&params, size, input, output) call."""

    def infer(self, op):
        return [op.inputs[0].shape]

    def params(self, op: Op):
        raise NotImplementedError

    def prepare(self, op) -> UnaryArgs:
        return UnaryArgs(params=self.params(op), size=op.inputs[0].size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/unary.c.j2")


@cstruct("tg_requantize_params")
@dataclass(frozen=True)
class RequantizeParams:
    """RELU and int8 -> int8 QUANTIZE: rescale, then clamp."""
    input_offset: int
    output_offset: int
    quant: CQuant
    activation: Range


@cstruct("tg_fixed_act_params")
@dataclass(frozen=True)
class FixedActParams:
    """LOGISTIC / TANH: input rescaled to Q4.27."""
    input_offset: int
    input_range_radius: int
    input_multiplier: int
    input_left_shift: int


def q4_input_params(input_scale: float, input_zero_point: int) -> FixedActParams:
    """The Prepare() of TFLM's int8 LOGISTIC and TANH: the real multiplier scale * 2^27 (in
    double), split by frexp with an unchecked round of the significand, and the radius beyond
    which the output saturates."""
    int_bits = 4
    real = float(input_scale) * float(1 << (31 - int_bits))
    q, shift = math.frexp(real)
    mult = int(Q.round_half_away(q * float(1 << 31)))
    if mult >= 1 << 31:  # cannot happen for a float32 scale (24-bit significand)
        raise ValueError("input multiplier overflows int32")
    if shift < 0:  # TFLM's radius computation shifts by a negative amount: undefined behaviour
        raise ValueError("input scale too small")
    radius = int(math.floor(((1 << int_bits) - 1) * float(1 << (31 - int_bits)) / float(1 << shift)))
    return FixedActParams(input_offset=-int(input_zero_point), input_range_radius=radius,
                          input_multiplier=mult, input_left_shift=shift)


class Q4Activation(UnaryOp):
    """LOGISTIC and TANH: TFLM's int8 Prepare() is the same for both (input rescaled to Q4.27)."""

    def check_output(self, op: Op, qy: Quant) -> None:
        pass

    def check(self, op):
        qx, qy = check_unary_s8(op)
        self.check_output(op, qy)
        try:
            q4_input_params(qx.s, qx.zp)
        except ValueError as e:
            raise unsupported(op, f"input scale {qx.s}: {e}") from None

    def params(self, op):
        x = op.inputs[0]
        return q4_input_params(x.quant.s, x.quant.zp)
