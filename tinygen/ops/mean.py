"""MEAN: int8 mean over the axes given by a constant int32 tensor (kernel: tg_mean_s8).

TFLite Micro computes every int8 mean the same way, whatever the axes and quantizations: the
int32 sum of the raw values per output element, minus zero_point x count, times a multiplier that
folds input_scale / output_scale and the division by the count (see `mean_multiplier`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Dims, cstruct
from ..fast.pooling import MeanHwParams, lower_mean_hw_fast, mean_hw_fast_check
from ..kernel_library import buffer_size, constant
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation, check_shape, dims4


@dataclass
class MeanAttrs:
    keep_dims: bool = False


@cstruct("tg_loop_nest")
@dataclass(frozen=True)
class LoopNest:
    """A loop nest over a tensor: `count` dimensions (at most TG_LOOP_NEST_MAX_DIMS), last one
    fastest, with their sizes and element strides."""

    count: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


@cstruct("tg_mean_params")
@dataclass(frozen=True)
class MeanParams:
    input_offset: int
    output_offset: int
    multiplier: int
    shift: int
    outer: LoopNest   # kept dimensions, output order
    inner: LoopNest   # reduced dimensions


@dataclass(frozen=True)
class MeanArgs:
    params: MeanParams
    count: int        # reduced elements per output


@dataclass(frozen=True)
class MeanHwArgs:
    """Arguments of tg_mean_hw_fast_s8 (MEAN over height and width of an NHWC tensor)."""

    params: MeanHwParams
    input_dims: Dims
    count: int


def resolve_axes(axes, rank: int) -> list[int] | None:
    """ResolveAxis: negative axes count from the end; duplicates dropped; None if out of range."""
    out: list[int] = []
    for a in axes:
        a = int(a)
        cur = a + rank if a < 0 else a
        if not 0 <= cur < rank:
            return None
        if cur not in out:
            out.append(cur)
    return out


def loop_nest(shape: tuple[int, ...], dims: list[int]) -> LoopNest:
    """Sizes and element strides of `dims` (in order) of a row-major `shape`, with size-1
    dimensions dropped and neighbours that are contiguous in memory merged."""
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    merged: list[list[int]] = []
    for d in dims:
        if shape[d] == 1:
            continue
        if merged and merged[-1][1] == shape[d] * strides[d]:
            merged[-1] = [merged[-1][0] * shape[d], strides[d]]
        else:
            merged.append([shape[d], strides[d]])
    return LoopNest(count=len(merged), size=tuple(m[0] for m in merged), stride=tuple(m[1] for m in merged))


def mean_multiplier(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """input_scale / output_scale in double -> QuantizeMultiplier, then TFLM folds 1/count in:
    the multiplier is shifted left by min(floor(log2(count)), 32, 31 + shift) and divided by
    count (int64, truncating), and that shift is taken off the exponent."""
    mult, shift = Q.quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
    if count <= 0:
        return mult, shift
    s = min(count.bit_length() - 1, 32, 31 + shift)
    if s < 0:
        raise ValueError("mean multiplier exponent out of range")
    return int((mult << s) // count), shift - s


@register
class Mean(OpDef):
    kind = "MEAN"
    options = "ReducerOptions"
    function = "tg_mean_s8"

    def parse(self, opts, inputs, outputs):
        return MeanAttrs(keep_dims=bool(opts.keepDims) if opts is not None else False)

    def write_options(self, a: MeanAttrs):
        o = schema.ReducerOptionsT()
        o.keepDims = bool(a.keep_dims)
        return o

    def _axes(self, op) -> list[int] | None:
        x, ax = op.inputs[0], op.inputs[1]
        return resolve_axes(np.asarray(ax.data).reshape(-1), x.rank)

    def infer(self, op):
        x = op.inputs[0]
        axes = self._axes(op) or []
        if op.attrs.keep_dims:
            return [tuple(1 if i in axes else d for i, d in enumerate(x.shape))]
        return [tuple(d for i, d in enumerate(x.shape) if i not in axes)]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1:
            raise unsupported(op, "expects an input, an axis tensor and one output")
        x, ax, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_int8_activation(op, x, "input")
        check_int8_activation(op, y, "output")
        check_dtype(op, ax, "int32", what="axis")
        if not ax.is_const:
            raise unsupported(op, f"axis tensor {ax.name!r} is not constant")
        axes = self._axes(op)
        if axes is None:
            raise unsupported(op, f"axes {np.asarray(ax.data).reshape(-1).tolist()} are out of range for rank {x.rank}")
        if y.size != x.size // max(1, int(np.prod([x.shape[a] for a in axes], dtype=np.int64))) or 0 in x.shape:
            raise unsupported(op, f"output {y.name!r} {list(y.shape)} does not hold the reduction of {list(x.shape)} over axes {axes}")
        check_shape(op, y, self.infer(op)[0])
        kept = [i for i in range(x.rank) if i not in axes]
        max_dims = constant("TG_LOOP_NEST_MAX_DIMS")
        if loop_nest(x.shape, kept).count > max_dims or loop_nest(x.shape, sorted(axes)).count > max_dims:
            raise unsupported(op, f"reducing axes {axes} of {list(x.shape)} needs more than {max_dims} loop levels")
        count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        try:
            mean_multiplier(x.quant.s, y.quant.s, count)
        except ValueError:
            raise unsupported(op, "input/output scale ratio out of range") from None

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        axes = self._axes(op)
        kept = [i for i in range(x.rank) if i not in axes]
        count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        mult, shift = mean_multiplier(x.quant.s, y.quant.s, count)
        params = MeanParams(input_offset=-x.quant.zp, output_offset=y.quant.zp, multiplier=mult, shift=shift,
                            outer=loop_nest(x.shape, kept), inner=loop_nest(x.shape, sorted(axes)))
        return MeanArgs(params=params, count=count)

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def variants(self, op, target):
        """tg_mean_hw_fast_s8 on a Cortex-M for a MEAN over height and width of an NHWC tensor
        (SXTAB16 sums, the same requantization), then the portable tg_mean_s8."""
        args = self.prepare(op)
        portable = self.kernel(op, args)
        x = op.inputs[0]
        if target.cpu is None or mean_hw_fast_check(tuple(x.shape), self._axes(op), args.params) is not None:
            return [portable]
        fast = MeanHwArgs(params=lower_mean_hw_fast(args.params), input_dims=dims4(x.shape), count=args.count)
        return [self.kernel(op, fast, variant="fast", function="tg_mean_hw_fast_s8", template="ops/mean_fast.c.j2",
                            scratch_bytes=buffer_size("tg_mean_hw_fast_s8_get_buffer_size", fast.input_dims)),
                portable]
