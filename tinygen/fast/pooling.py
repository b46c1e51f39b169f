"""Fast AVERAGE_POOL_2D and MEAN (over height and width): applicability and lowering.

Kernels (kernels/include/tg_nn.h, kernels/src/pooling/):

    tg_avgpool_fast_s8(&params, &in_dims, input, &out_dims, output)
        takes the portable kernel's tg_pool_params unchanged; no scratch (get_buffer_size: 0);
        raster-order output, all channels of a pixel together (the write-order contract, so the
        operator's overlap_gaps() stay as they are).
    tg_mean_hw_fast_s8(&params, &in_dims, input, output)
        MEAN over axes 1 and 2 of an NHWC int8 tensor (keep_dims either way: the output is N x C in
        memory); no scratch. Output n, c is written after image n was read whole.

Both sum 4 channels at a time with SXTAB16 (one instruction with the DSP extension, a plain-C
model elsewhere: the same source runs on every core).

Interface for the operator definitions (tinygen/ops/pooling.py, tinygen/ops/mean.py):

    from ..fast import pooling as fpool
    # AVERAGE_POOL_2D: every layer the portable kernel runs (the kernel is exact for all of them)
    if fpool.avgpool_fast_applicable(params):    # the portable kernel's PoolParams, unchanged
        # emit: tg_avgpool_fast_s8(&params, &in_dims, x, &out_dims, y)
    # MEAN
    if fpool.mean_hw_fast_applicable(input_shape, axes, p):
        params = fpool.lower_mean_hw_fast(p)     # MeanHwParams (@cstruct tg_mean_hw_params)
        # emit: tg_mean_hw_fast_s8(&params, &in_dims, x, y)
    `p` is the portable kernel's MeanParams (duck-typed: input_offset, output_offset, multiplier,
    shift).

Exactness: the 16-bit lanes hold at most 256 pixel values (then go to 32-bit sums), which stays in
int16 for any int8 input; the average's rounding division by n (window elements inside the input)
multiplies by ceil(2^k / n), k = 15 + ceil(log2 n), exact for the |sum| + n/2 < 2^15 of windows
up to 255 elements (larger windows divide); MEAN requantizes with TFLite Micro's double rounding
(tg_requantize) after adding count * input_offset with int32 wrap-around, as tg_mean_s8.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cstruct import HW, Range, cstruct


@cstruct("tg_pool_params")
@dataclass(frozen=True)
class PoolParams:
    """Mirror of tg_pool_params (tg_nn.h), the portable and the fast pooling kernels' parameters
    (tinygen.ops.pooling uses this class)."""

    stride: HW
    padding: HW
    filter: HW
    activation: Range


@cstruct("tg_mean_hw_params")
@dataclass(frozen=True)
class MeanHwParams:
    """Mirror of tg_mean_hw_params (tg_nn.h)."""

    input_offset: int
    output_offset: int
    multiplier: int
    shift: int


def avgpool_fast_check(p: PoolParams) -> str | None:
    """None when tg_avgpool_fast_s8 computes the layer (it is exact wherever tg_avgpool_s8 runs)."""
    if min(p.stride.h, p.stride.w, p.filter.h, p.filter.w) < 1:
        return "stride and filter must be >= 1"
    if not -128 <= p.activation.min <= p.activation.max <= 127:
        return f"activation range [{p.activation.min}, {p.activation.max}] outside int8"
    return None


def avgpool_fast_applicable(p: PoolParams) -> bool:
    return avgpool_fast_check(p) is None


def mean_hw_fast_check(input_shape: tuple[int, ...], axes, p: Any) -> str | None:
    """None when tg_mean_hw_fast_s8 computes the MEAN of `input_shape` over `axes` (resolved,
    non-negative)."""
    if len(input_shape) != 4:
        return f"input rank {len(input_shape)} (the fast MEAN needs NHWC)"
    if sorted(set(int(a) for a in axes)) != [1, 2]:
        return f"axes {sorted(set(int(a) for a in axes))} (the fast MEAN reduces height and width)"
    if min(input_shape) < 1:
        return "empty input"
    if not (0 <= int(p.multiplier) < (1 << 31)) or not -31 <= int(p.shift) <= 30:
        return "multiplier or shift out of range"
    return None


def mean_hw_fast_applicable(input_shape: tuple[int, ...], axes, p: Any) -> bool:
    return mean_hw_fast_check(input_shape, axes, p) is None


def lower_mean_hw_fast(p: Any) -> MeanHwParams:
    return MeanHwParams(input_offset=int(p.input_offset), output_offset=int(p.output_offset),
                        multiplier=int(p.multiplier), shift=int(p.shift))


__all__ = ["MeanHwParams", "PoolParams", "avgpool_fast_applicable", "avgpool_fast_check",
           "lower_mean_hw_fast", "mean_hw_fast_applicable", "mean_hw_fast_check"]
