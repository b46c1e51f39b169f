"""DEQUANTIZE: int8 -> float32 (kernel: tg_dequantize_s8_f32).

TFLite Micro computes (float)((double)scale * (q - zp)). The product of a float32 scale and an
integer below 2^24 is exact in double, so one float32 multiplication rounds to the same value:
the kernel multiplies in float32 (no double arithmetic on the target).
"""

from __future__ import annotations

from ..schema import schema
from .activation_utils import UnaryArgs, check_unary
from .base import OpDef, register
from .common import check_dtype, check_int8_activation, elementwise_regions
from .quantize import AffineF32


@register
class Dequantize(OpDef):
    kind = "DEQUANTIZE"
    options = "DequantizeOptions"
    function = "tg_dequantize_s8_f32"

    def write_options(self, a):
        return schema.DequantizeOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_int8_activation(op, x, "input")
        check_dtype(op, y, "float32", what="output")

    def input_regions(self, op, out):
        return elementwise_regions(op, out)

    def overlap_gaps(self, op):
        """Element i (4 bytes) is written after int8 element i is read: the output may start
        3 bytes per element below the input (the input then fills the output's last quarter)."""
        return [(0, 0, 3 * op.inputs[0].size)]

    def lower(self, op, target):
        x = op.inputs[0]
        args = UnaryArgs(params=AffineF32(scale=x.quant.s, zero_point=x.quant.zp), size=x.size)
        return self.kernel(op, args, template="ops/unary.c.j2")
