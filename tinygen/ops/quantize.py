"""QUANTIZE: float32 -> int8 (kernel: tg_quantize_f32_s8) and int8 -> int8 rescaling
(kernel: tg_requantize_s8).

TFLite Micro:
  float32 -> int8   q = clamp((int32)round(x / (float)scale) + zp); the division is in float32
                    and round() ties away from zero.
  int8 -> int8      multiplier = (double)in_scale / (double)out_scale (a double division),
                    q = clamp(MultiplyByQuantizedMultiplier(x - in_zp) + out_zp).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, Range, cstruct
from ..schema import schema
from .activation_utils import RequantizeParams, UnaryArgs, check_unary
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation, elementwise_regions


@cstruct("tg_affine_f32")
@dataclass(frozen=True)
class AffineF32:
    """Per-tensor affine quantization of a float32 tensor: real = scale * (q - zero_point)."""

    scale: float
    zero_point: int


def requantize_params(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> RequantizeParams:
    mult, shift = Q.quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    return RequantizeParams(input_offset=-in_zp, output_offset=out_zp, quant=Quant(mult, shift),
                            activation=Range(Q.INT8_MIN, Q.INT8_MAX))


@register
class Quantize(OpDef):
    kind = "QUANTIZE"
    options = "QuantizeOptions"

    def write_options(self, a):
        return schema.QuantizeOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_dtype(op, x, "float32", "int8", what="input")
        check_dtype(op, y, "int8", what="output")
        qy = check_int8_activation(op, y, "output")
        if x.dtype == "int8":
            qx = check_int8_activation(op, x, "input")
            _, s = Q.quantize_multiplier(float(np.float32(qx.s)) / float(np.float32(qy.s)))
            if s > 30:
                raise unsupported(op, f"input/output scale ratio {qx.s / qy.s} is too large")

    def input_regions(self, op, out):
        return elementwise_regions(op, out)

    def overlap_gaps(self, op):
        """Element i is written after element i is read, and an int8 output element is no larger
        than an input element: the output may start where the input starts (in place)."""
        return [(0, 0, 0)]

    def lower(self, op, target):
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32":  # the kernel divides by the float32 output scale
            args = UnaryArgs(params=AffineF32(scale=y.quant.s, zero_point=y.quant.zp), size=x.size)
            return self.kernel(op, args, function="tg_quantize_f32_s8", template="ops/unary.c.j2")
        args = UnaryArgs(params=requantize_params(x.quant.s, x.quant.zp, y.quant.s, y.quant.zp), size=x.size)
        return self.kernel(op, args, function="tg_requantize_s8", template="ops/unary.c.j2")
