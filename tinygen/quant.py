"""Compile-time quantization arithmetic, matching TensorFlow Lite Micro bit for bit.

Everything here runs in Python when a model is compiled; the C kernels only receive the results
(multipliers, shifts, offsets, activation ranges) as constants.
"""

from __future__ import annotations

import math

import numpy as np

INT8_MIN, INT8_MAX = -128, 127
INT16_MIN, INT16_MAX = -32768, 32767
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

#: fused activation names as in the TFLite schema (ActivationFunctionType)
FUSED_NONE, FUSED_RELU, FUSED_RELU_N1_TO_1, FUSED_RELU6 = "NONE", "RELU", "RELU_N1_TO_1", "RELU6"


def round_half_away(x: float) -> float:
    """std::round: halves away from zero (TfLiteRound)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def quantize_multiplier(m: float) -> tuple[int, int]:
    """QuantizeMultiplier: real multiplier -> (Q31 significand, power-of-two exponent)."""
    m = float(m)
    if m == 0.0:
        return 0, 0
    q, shift = math.frexp(m)
    q_fixed = int(round_half_away(q * (1 << 31)))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def quantize_multiplier_smaller_than_one(m: float) -> tuple[int, int]:
    if not 0.0 < m < 1.0:
        raise ValueError(f"multiplier {m} not in (0, 1)")
    return quantize_multiplier(m)


def quantize_multiplier_array(ms) -> tuple[np.ndarray, np.ndarray]:
    mult, shift = zip(*(quantize_multiplier(float(m)) for m in ms)) if len(ms) else ((), ())
    return np.array(mult, dtype=np.int32), np.array(shift, dtype=np.int32)


def f32(x) -> np.float32:
    return np.float32(x)


def quantize_value(scale: float, zero_point: int, f: float) -> int:
    """kernel_util's Quantize(): zero_point + (int32)round(f / scale) in float32 arithmetic."""
    with np.errstate(all="ignore"):
        tmp = np.float32(f) / np.float32(scale)
    tmp = float(np.float32(round_half_away(float(tmp))))
    if not (-(2.0**31) <= tmp <= 2.0**31 - 1):
        raise ValueError("activation bound overflows int32")
    return int(zero_point) + int(tmp)


def activation_range(activation: str, scale: float, zero_point: int,
                     qmin: int = INT8_MIN, qmax: int = INT8_MAX) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for a fused activation on an output tensor."""
    if activation == FUSED_RELU:
        return max(qmin, quantize_value(scale, zero_point, 0.0)), qmax
    if activation == FUSED_RELU6:
        return (max(qmin, quantize_value(scale, zero_point, 0.0)),
                min(qmax, quantize_value(scale, zero_point, 6.0)))
    if activation == FUSED_RELU_N1_TO_1:
        return (max(qmin, quantize_value(scale, zero_point, -1.0)),
                min(qmax, quantize_value(scale, zero_point, 1.0)))
    if activation == FUSED_NONE:
        return qmin, qmax
    raise ValueError(f"unsupported fused activation {activation}")


def effective_filter_size(filter_size: int, dilation: int) -> int:
    return (filter_size - 1) * dilation + 1


def out_size(padding: str, image: int, filt: int, stride: int, dilation: int = 1) -> int:
    """ComputeOutSize (TensorFlow's GetWindowedOutputSize)."""
    eff = effective_filter_size(filt, dilation)
    if padding == "SAME":
        return (image + stride - 1) // stride
    if padding == "VALID":
        return (image + stride - eff) // stride
    raise ValueError(padding)


def padding_with_offset(stride: int, dilation: int, in_size: int, filt: int, out: int) -> tuple[int, int]:
    """ComputePaddingWithOffset: (pad_before, extra pad after)."""
    total = (out - 1) * stride + effective_filter_size(filt, dilation) - in_size
    total = max(total, 0)
    return total // 2, total % 2


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul (gemmlowp), on Python ints (reference for tests)."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    v = ab + nudge
    # C++ integer division truncates toward zero
    q = abs(v) // (1 << 31)
    return q if v >= 0 else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """Double-rounding MultiplyByQuantizedMultiplier (TFLM default), Python reference."""
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    v = x * (1 << left)
    v = ((v + 2**31) % 2**32) - 2**31  # int32 arithmetic wraps like the C code
    return rounding_divide_by_pot(srdhm(v, multiplier), right)


_EXPF = None


def expf(x: float) -> float:
    """The C library's expf (single precision) of a float32 value: what TFLite Micro's std::exp(float)
    computes on the compiling host, e.g. for tables it fills in Prepare (ELU). Falls back to numpy's
    float32 exp where no C math library can be loaded."""
    global _EXPF
    if _EXPF is None:
        import ctypes
        import ctypes.util

        try:
            lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
            fn = lib.expf
            fn.argtypes, fn.restype = [ctypes.c_float], ctypes.c_float
            _EXPF = fn
        except (OSError, AttributeError):  # pragma: no cover - no C math library
            _EXPF = lambda v: float(np.exp(np.float32(v)))  # noqa: E731
    return float(np.float32(_EXPF(float(np.float32(x)))))


# -- int16 lookup tables (TFLite's LUTPopulate<int16_t>, float arithmetic) ---------------------------
def _round_f32(x: np.float32) -> np.float32:
    """TfLiteRound on a float: halves away from zero."""
    return np.float32(round_half_away(float(x)))


def lut_int16(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int,
              transform: str) -> np.ndarray:
    """The 513-entry int16 table of TFLite's LUTPopulateInt16<float> for `transform` ("exp" or
    "one_over_one_plus_x"), step by step in float32 as the C++ code computes it."""
    f32 = np.float32
    if transform == "exp":
        def fn(v):
            return np.float32(expf(float(v)))
    elif transform == "one_over_one_plus_x":
        def fn(v):
            return f32(f32(1.0) / f32(f32(1.0) + f32(v)))
    else:
        raise ValueError(transform)
    with np.errstate(all="ignore"):
        s_in, s_out = f32(input_scale), f32(output_scale)
        input_min = f32(s_in * f32(INT16_MIN - input_zero_point))
        input_max = f32(s_in * f32(INT16_MAX - input_zero_point))
        output_min = f32(s_out * f32(INT16_MIN - output_zero_point))
        output_max = f32(s_out * f32(INT16_MAX - output_zero_point))
        steps = 512
        step = f32(f32(input_max - input_min) / f32(steps))
        half = f32(step / f32(2))
        inv = f32(f32(INT16_MAX - INT16_MIN + 1) / f32(output_max - output_min))
        lut = np.zeros(steps + 1, np.int16)
        for i in range(steps):
            at = f32(input_min + f32(f32(i) * step))
            val = fn(at)
            val_mid = fn(f32(at + half))
            val_next = fn(f32(input_min + f32(f32(i + 1) * step)))
            sample = _round_f32(f32(val * inv))
            mid_interp = _round_f32(f32(f32(f32(val_next * inv) + _round_f32(f32(val * inv))) / f32(2)))
            mid_val = _round_f32(f32(val_mid * inv))
            bias = _round_f32(f32(f32(mid_interp - mid_val) / f32(2)))
            lut[i] = int(min(max(float(f32(sample - bias)), INT16_MIN), INT16_MAX))
        last = _round_f32(f32(fn(input_max) * inv))
        lut[steps] = int(min(max(float(last), INT16_MIN), INT16_MAX))
    return lut
