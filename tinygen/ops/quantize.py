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
from ..codegen.cformat import c_float
from ..frontend.schema import schema
from .activation_utils import RequantizeParams, check_unary
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation


@dataclass
class QuantizeF32Params:
    scale: float  # the float32 output scale (the kernel divides by it)
    zero_point: int
    size: int


def requantize_params(in_scale: float, in_zp: int, out_scale: float, out_zp: int, size: int) -> RequantizeParams:
    mult, shift = Q.quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    return RequantizeParams(input_offset=-in_zp, output_offset=out_zp, multiplier=mult, shift=shift,
                            act_min=Q.INT8_MIN, act_max=Q.INT8_MAX, size=size)


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

    def emit(self, op, ctx):
        return ctx.render(f"ops/{self.kind.lower()}.c.j2", op=op, p=op.params, c_float=c_float)

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32":
            return QuantizeF32Params(scale=y.quant.s, zero_point=y.quant.zp, size=x.size)
        return requantize_params(x.quant.s, x.quant.zp, y.quant.s, y.quant.zp, x.size)
