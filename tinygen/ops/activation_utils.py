"""Helpers shared by the elementwise activation and (de)quantization operators
(RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, QUANTIZE, DEQUANTIZE)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir import Op, Quant, Tensor
from .. import quant as Q
from .base import unsupported
from .common import check_int8_activation


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


@dataclass
class RequantizeParams:
    """RELU and int8 -> int8 QUANTIZE (tg_requantize_params): rescale, then clamp."""
    input_offset: int
    output_offset: int
    multiplier: int
    shift: int
    act_min: int
    act_max: int
    size: int


@dataclass
class FixedActParams:
    """LOGISTIC / TANH (tg_fixed_act_params): input rescaled to Q4.27."""
    input_offset: int
    input_range_radius: int
    input_multiplier: int
    input_left_shift: int
    size: int


def q4_input_params(input_scale: float, input_zero_point: int, size: int = 0) -> FixedActParams:
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
                          input_multiplier=mult, input_left_shift=shift, size=size)
