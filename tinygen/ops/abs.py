"""ABS: |x| for int8, int16 and float32 (kernel: tg_abs).

TFLite Micro (elementwise.cc): int8 and quantized int16 (zero points 0) take x = q - input zero
point, |x|, and requantize it only when the two scales differ (input_scale / output_scale through
QuantizeMultiplier), then add the output zero point and clamp. The TFLM source divides the float32
scales in float32, but the pinned `tflite-micro` package divides in double precision: an int16 case
in tests/host/test_math_ops.py (test_abs_ratio_in_double_precision) tells the two apart, and the
package is the oracle. float32 is fabsf. An int16 tensor without quantization wraps |-32768| to -32768 in
TFLite Micro; tinygen refuses that case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from ..schema import schema
from .activation_utils import UnaryArgs, UnaryOp, check_unary
from .base import register, unsupported
from .common import check_dtype, check_int8_activation, per_tensor
from .maximum_minimum import dtype_code


@cstruct("tg_abs_params")
@dataclass(frozen=True)
class AbsParams:
    dtype: int
    input_zero_point: int
    output_offset: int
    rescale: int
    quant: Quant


def abs_multiplier(in_scale: float, out_scale: float) -> tuple[int, int]:
    return Q.quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))


@register
class Abs(UnaryOp):
    kind = "ABS"
    options = "AbsOptions"
    function = "tg_abs"
    float_types = True

    def write_options(self, a):
        return schema.AbsOptionsT()

    def check(self, op):
        x, y = check_unary(op)
        check_dtype(op, x, "int8", "int16", "float32", what="input")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output type {y.dtype} differs from input type {x.dtype}")
        if x.dtype == "float32":
            return
        if x.dtype == "int8":
            qx, qy = check_int8_activation(op, x, "input"), check_int8_activation(op, y, "output")
        else:
            if x.quant is None or y.quant is None:
                raise unsupported(op, "int16 without quantization (TFLite Micro wraps |-32768| around); "
                                      "only quantized int16 is supported")
            qx, qy = per_tensor(op, x, "input"), per_tensor(op, y, "output")
            if qx.zp != 0 or qy.zp != 0:
                raise unsupported(op, "int16 zero points must be 0 (TFLite Micro requires it)")
        if np.float32(qx.s) != np.float32(qy.s):
            _, shift = abs_multiplier(qx.s, qy.s)
            if shift > 30:
                raise unsupported(op, f"input/output scale ratio {qx.s / qy.s:.6g} is too large")

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "float32":
            return AbsParams(dtype=dtype_code("float32"), input_zero_point=0, output_offset=0, rescale=0,
                             quant=Quant(0, 0))
        qx, qy = x.quant, y.quant
        rescale = np.float32(qx.s) != np.float32(qy.s)
        mult, shift = abs_multiplier(qx.s, qy.s) if rescale else (0, 0)
        return AbsParams(dtype=dtype_code(x.dtype), input_zero_point=qx.zp, output_offset=qy.zp,
                         rescale=int(rescale), quant=Quant(mult, shift))

    def prepare(self, op) -> UnaryArgs:
        return UnaryArgs(params=self.params(op), size=op.inputs[0].size)
