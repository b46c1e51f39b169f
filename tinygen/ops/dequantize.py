"""DEQUANTIZE: int8 -> float32 (kernel: tg_dequantize_s8_f32).

TFLite Micro computes (float)((double)scale * (q - zp)). The product of a float32 scale and an
integer below 2^24 is exact in double, so one float32 multiplication rounds to the same value:
the kernel multiplies in float32 (no double arithmetic on the target).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codegen.cformat import c_float
from ..frontend.schema import schema
from .activation_utils import check_unary
from .base import OpDef, register
from .common import check_dtype, check_int8_activation


@dataclass
class DequantizeParams:
    scale: float
    zero_point: int
    size: int


@register
class Dequantize(OpDef):
    kind = "DEQUANTIZE"
    options = "DequantizeOptions"

    def write_options(self, a):
        return schema.DequantizeOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_int8_activation(op, x, "input")
        check_dtype(op, y, "float32", what="output")

    def emit(self, op, ctx):
        return ctx.render(f"ops/{self.kind.lower()}.c.j2", op=op, p=op.params, c_float=c_float)

    def prepare(self, op):
        x = op.inputs[0]
        return DequantizeParams(scale=x.quant.s, zero_point=x.quant.zp, size=x.size)
