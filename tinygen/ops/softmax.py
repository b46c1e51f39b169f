"""SOFTMAX: int8 -> int8 softmax over the last dimension (kernel: tg_softmax_s8), and int16 ->
int16 (tg_softmax_s16: TFLite Micro's SoftmaxInt16 with its two 513-entry tables, computed here).

TFLite Micro (softmax_common.cc) requires the int8 output to have scale exactly 1/256 and zero
point -128, and runs the gemmlowp fixed-point path of reference_ops::Softmax (not a lookup
table: the LUTs are for int16 inputs). The compile-time part is PreprocessSoftmaxScaling and
CalculateInputRadius from TFLite's quantization_util.cc, reproduced here in double precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import cstruct
from ..ir import Op
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_int8_activation, check_int16_activation

#: integer bits of the scaled input differences (Q5.26), kScaledDiffIntegerBits in TFLite
SCALED_DIFF_INTEGER_BITS = 5
OUTPUT_SCALE = float(np.float32(1.0 / 256.0))
OUTPUT_ZERO_POINT = -128


@dataclass
class SoftmaxAttrs:
    beta: float = 0.0  # float32 value as stored in the model (TFLM reads 0 when options are absent)


@cstruct("tg_softmax_params")
@dataclass(frozen=True)
class SoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    diff_min: int


@dataclass(frozen=True)
class SoftmaxArgs:
    params: SoftmaxParams
    rows: int
    depth: int


@cstruct("tg_softmax_s16_params")
@dataclass(frozen=True)
class SoftmaxS16Params:
    input_multiplier: int
    input_left_shift: int
    exp_lut: np.ndarray
    one_over_one_plus_x_lut: np.ndarray


#: int16 output: scale 1/32768 within 0.001/32768 (TFLM's TF_LITE_ENSURE_NEAR), zero point 0
S16_OUTPUT_SCALE = 1.0 / 32768


def softmax_s16_tables() -> tuple[np.ndarray, np.ndarray]:
    """TFLM's two int16 softmax tables (InitializeLutForInt16): exp on [-10, 0] and 1 / (1 + x) on
    [0, 1], both 513 entries (the same for every model)."""
    global _S16_TABLES
    if _S16_TABLES is None:
        rng = float(Q.INT16_MAX - Q.INT16_MIN)
        exp = Q.lut_int16(10.0 / rng, Q.INT16_MAX, 2.0 / rng, 0, "exp")
        inv = Q.lut_int16(1.0 / rng, Q.INT16_MIN, 2.0 / rng, 0, "one_over_one_plus_x")
        _S16_TABLES = (exp, inv)
    return _S16_TABLES


_S16_TABLES: tuple[np.ndarray, np.ndarray] | None = None


def softmax_s16_scaling(beta: float, input_scale: float) -> tuple[int, int]:
    """QuantizeMultiplier(input_scale * beta / (10 / 65535)) in double, as TFLM's Prepare."""
    return Q.quantize_multiplier(float(np.float32(input_scale)) * float(np.float32(beta)) / (10.0 / 65535.0))


def softmax_scaling(beta: float, input_scale: float) -> tuple[int, int, int] | str:
    """(multiplier, left shift, diff_min) as TFLite Micro computes them, or the reason TFLite
    Micro refuses (aborts on) these parameters."""
    beta_d = float(np.float32(beta))
    scale_d = float(np.float32(input_scale))
    real = min(beta_d * scale_d * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
    if not real > 1.0:  # QuantizeMultiplierGreaterThanOne checks > 1
        return (f"beta * input_scale * 2^26 = {real:.6g} must exceed 1 "
                "(TFLite Micro refuses non-positive or tiny beta * input_scale)")
    mult, shift = Q.quantize_multiplier(real)
    if shift < 0:
        return f"input rescaling multiplier {real!r} gives a negative shift"
    radius = math.floor(1.0 * ((1 << SCALED_DIFF_INTEGER_BITS) - 1)
                        * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)) / float(1 << shift))
    return mult, shift, -radius


@register
class Softmax(OpDef):
    kind = "SOFTMAX"
    options = "SoftmaxOptions"
    function = "tg_softmax_s8"

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return SoftmaxAttrs()
        return SoftmaxAttrs(beta=float(opts.beta))

    def write_options(self, a: SoftmaxAttrs):
        o = schema.SoftmaxOptionsT()
        o.beta = float(a.beta)
        return o

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op: Op):
        if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] is None:
            raise unsupported(op, "expects one input and one output")
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "int16" or y.dtype == "int16":
            self._check_s16(op)
            return
        qx = check_int8_activation(op, x, "input")
        qy = check_int8_activation(op, y, "output")
        if x.rank < 1:
            raise unsupported(op, f"input {x.name!r} is a scalar; softmax needs at least one dimension")
        if x.size == 0:
            raise unsupported(op, f"input {x.name!r} has no elements (shape {list(x.shape)})")
        if tuple(y.shape) != tuple(x.shape):
            raise unsupported(op, f"output shape {list(y.shape)} differs from input shape {list(x.shape)}")
        if qy.zp != OUTPUT_ZERO_POINT or qy.s != OUTPUT_SCALE:
            raise unsupported(op, f"int8 output must have scale 1/256 and zero point -128 (TFLite Micro requires it); "
                                  f"got scale {qy.s!r}, zero point {qy.zp}")
        r = softmax_scaling(op.attrs.beta, qx.s)
        if isinstance(r, str):
            raise unsupported(op, r)

    def _check_s16(self, op: Op) -> None:
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "int8":
            raise unsupported(op, "int8 input with int16 output is not supported by tinygen (TFLite Micro's int8 -> "
                                  "int16 softmax); int16 -> int16 and int8 -> int8 are")
        check_int16_activation(op, x, "input")
        qy = check_int16_activation(op, y, "output")
        if x.rank < 1 or x.size == 0 or tuple(y.shape) != tuple(x.shape):
            raise unsupported(op, f"input {list(x.shape)} and output {list(y.shape)} must be equal, non-empty shapes")
        if abs(float(np.float32(qy.s)) - S16_OUTPUT_SCALE) > 0.001 * S16_OUTPUT_SCALE:
            raise unsupported(op, f"int16 output must have scale 1/32768 and zero point 0 (TFLite Micro requires "
                                  f"it); got scale {qy.s!r}")
        m, s = softmax_s16_scaling(op.attrs.beta, x.quant.s)
        if m == 0:
            raise unsupported(op, "beta * input scale is zero (TFLite Micro's rescaling is undefined)")

    def lower(self, op: Op, target):
        if op.inputs[0].dtype != "int16":
            return super().lower(op, target)
        x = op.inputs[0]
        mult, shift = softmax_s16_scaling(op.attrs.beta, x.quant.s)
        exp, inv = softmax_s16_tables()
        depth = x.shape[-1]
        p = SoftmaxS16Params(input_multiplier=mult, input_left_shift=shift, exp_lut=exp, one_over_one_plus_x_lut=inv)
        return self.kernel(op, SoftmaxArgs(params=p, rows=x.size // depth, depth=depth), function="tg_softmax_s16")

    def variants(self, op: Op, target):
        return [self.lower(op, target)]

    def prepare(self, op: Op):
        x = op.inputs[0]
        mult, shift, diff_min = softmax_scaling(op.attrs.beta, x.quant.s)
        depth = x.shape[-1]
        return SoftmaxArgs(params=SoftmaxParams(input_multiplier=mult, input_left_shift=shift, diff_min=diff_min),
                           rows=x.size // depth if depth else 0, depth=depth)
