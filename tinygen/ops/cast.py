"""CAST: element type conversion (kernel: tg_cast).

TFLite Micro (cast.cc) converts with static_cast and ignores the tensors' quantization: the
pinned package takes int8, int16, int32, float32 and bool on both sides (x != 0 for a bool
output; int64 fails its Eval), and uint32, which tinygen's graphs do not hold. Narrowing integer
conversions keep the low bits; float32 -> integer truncates toward zero and, as the pinned
package does (measured: tests/host/test_more_ops.py::test_cast_float_edges), saturates to the
output type's range, infinities included, with NaN -> 0; the kernel does this explicitly, so
every target gives the same (a bare C cast of such values is undefined).
The options' in/out data types are informational (TFLite Micro reads the tensors' types).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..schema import DTYPE_TO_TFLITE, TENSOR_TYPE_NAMES, TFLITE_TO_DTYPE, schema
from .activation_utils import check_unary
from .base import register
from .common import ElementwiseOp, check_dtype
from .maximum_minimum import dtype_code

INPUT_TYPES = ("int8", "int16", "int32", "float32", "bool")
OUTPUT_TYPES = ("int8", "int16", "int32", "float32", "bool")


@dataclass
class CastAttrs:
    in_dtype: str | None = None   # the options' in_data_type (None: absent)
    out_dtype: str | None = None


@dataclass(frozen=True)
class CastArgs:
    in_dtype: int   # TG_DTYPE_*
    out_dtype: int
    size: int


def _dtype(code: int) -> str | None:
    return TFLITE_TO_DTYPE.get(TENSOR_TYPE_NAMES.get(int(code), ""))


@register
class Cast(ElementwiseOp):
    kind = "CAST"
    options = "CastOptions"
    function = "tg_cast"
    float_types = True

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return CastAttrs()
        return CastAttrs(in_dtype=_dtype(opts.inDataType), out_dtype=_dtype(opts.outDataType))

    def write_options(self, a: CastAttrs):
        o = schema.CastOptionsT()
        if a.in_dtype is not None:
            o.inDataType = DTYPE_TO_TFLITE[a.in_dtype]
        if a.out_dtype is not None:
            o.outDataType = DTYPE_TO_TFLITE[a.out_dtype]
        return o

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        x, y = check_unary(op)
        check_dtype(op, x, *INPUT_TYPES, what="input")
        check_dtype(op, y, *OUTPUT_TYPES, what="output")

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        return CastArgs(in_dtype=dtype_code(x.dtype), out_dtype=dtype_code(y.dtype), size=x.size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/cast.c.j2")

    def macs(self, op):
        return op.outputs[0].size
