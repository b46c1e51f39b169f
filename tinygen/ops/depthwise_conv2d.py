"""DEPTHWISE_CONV_2D: int8 depthwise convolution, per-tensor or per-channel weights
(kernels: tg_depthwise_conv_s8, and tg_depthwise_conv_inplace_s8, which writes the output over the
input, as an in-place variant)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..cstruct import HW, Range, cstruct
from ..fast.conv import ConvLayer
from ..fast.depthwise import DwFastParams, DwLayer, dw_fast_check, lower_dw_fast
from ..ir import Op, Target
from ..kernel_library import buffer_size
from ..schema import schema
from . import precision
from .base import register, unsupported
from .common import check_shape, quant
from .conv2d import (
    Conv2DAttrs,
    ConvArgs,
    WindowConv,
    check_window_conv,
    conv_layer,
    fast_conv_kernels,
    window_options,
    write_window_options,
)

#: TFLite's depthwise filters are [1, KH, KW, C * multiplier], quantized along the last axis
QUANTIZED_AXIS = 3


@dataclass
class DepthwiseConv2DAttrs(Conv2DAttrs):
    depth_multiplier: int = 1


@cstruct("tg_dw_conv_params")
@dataclass(frozen=True)
class DepthwiseConvParams:
    input_offset: int
    output_offset: int
    ch_mult: int       # output channels = input channels * ch_mult
    stride: HW
    padding: HW        # (top, left); rows/columns past the end of the input are padding too
    dilation: HW
    activation: Range


@dataclass(frozen=True)
class DepthwiseFastArgs:
    """Arguments of the fast depthwise kernels (tg_depthwise_conv_fast_s8 and its in-place twin)."""

    params: DwFastParams  # with the dims and the constant arrays (packed, pad: tinygen.fast.depthwise)


def dw_layer(op: Op, args: ConvArgs) -> DwLayer:
    """A DEPTHWISE_CONV_2D operator as the fast kernels' lowering sees it."""
    p, q = args.params, args.quant
    b = op.inputs[2] if len(op.inputs) > 2 else None
    dims = lambda d: (d.n, d.h, d.w, d.c)  # noqa: E731
    return DwLayer(input_shape=dims(args.input_dims), output_shape=dims(args.output_dims),
                   stride=(p.stride.h, p.stride.w), padding=(p.padding.h, p.padding.w),
                   dilation=(p.dilation.h, p.dilation.w), ch_mult=p.ch_mult, input_offset=p.input_offset,
                   output_offset=p.output_offset, act_min=p.activation.min, act_max=p.activation.max,
                   multiplier=np.asarray(q.multiplier, np.int64), shift=np.asarray(q.shift, np.int64),
                   weights=op.inputs[1].data, bias=None if b is None else b.data.astype(np.int32).reshape(-1))


def single_channel_conv_layer(op: Op, args: ConvArgs) -> ConvLayer:
    """A DEPTHWISE_CONV_2D over one input channel as the CONV_2D computing the same sums: its
    filter [1, KH, KW, M] becomes M output channels of depth 1 ([M, KH, KW, 1]); the per-channel
    requantization and biases are those of the M outputs already."""
    layer = conv_layer(op, args)
    return replace(layer, filter=np.ascontiguousarray(op.inputs[1].data.transpose(3, 1, 2, 0)))


@register
class DepthwiseConv2D(WindowConv):
    kind = "DEPTHWISE_CONV_2D"
    options = "DepthwiseConv2DOptions"
    function = "tg_depthwise_conv_s8"
    out_channels_axis = 3

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return DepthwiseConv2DAttrs()
        return DepthwiseConv2DAttrs(depth_multiplier=int(opts.depthMultiplier), **window_options(opts))

    def write_options(self, a: DepthwiseConv2DAttrs):
        o = write_window_options(schema.DepthwiseConv2DOptionsT(), a)
        o.depthMultiplier = a.depth_multiplier
        return o

    def check(self, op):
        check_window_conv(op, out_channels_axis=QUANTIZED_AXIS)
        a: DepthwiseConv2DAttrs = op.attrs
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if w.shape[0] != 1:
            raise unsupported(op, f"filter {w.name!r} has shape {list(w.shape)}; a depthwise filter is [1, KH, KW, channels]")
        in_c, out_c = x.shape[3], w.shape[3]
        if in_c <= 0 or out_c % in_c != 0:
            raise unsupported(op, f"filter channels {out_c} are not a multiple of the input channels {in_c}")
        if a.depth_multiplier != out_c // in_c:
            raise unsupported(op, f"depth_multiplier {a.depth_multiplier} does not match {out_c} filter channels "
                                  f"for {in_c} input channels")
        qw = quant(op, w, "filter")
        if qw.per_channel and (qw.scale.size != out_c or qw.axis != QUANTIZED_AXIS):
            raise unsupported(op, f"filter {w.name!r} has {qw.scale.size} scales along axis {qw.axis}; "
                                  f"per-channel depthwise filters need {out_c} scales along axis {QUANTIZED_AXIS}")
        check_shape(op, y, self.infer(op)[0])

    def prepare(self, op) -> ConvArgs:
        return self.conv_args(op, DepthwiseConvParams, ch_mult=op.attrs.depth_multiplier)

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def _fast(self, op, target: Target, args: ConvArgs):
        """The fast kernels' lowering when they apply (any Cortex-M: they compile to a SIMD core on
        cores with the DSP extension and to a scalar core on the others), else None."""
        if target.cpu is None:
            return None
        layer = dw_layer(op, args)
        if dw_fast_check(layer) is not None:
            return None
        low = lower_dw_fast(layer)
        return DepthwiseFastArgs(params=low.params)

    def variants(self, op, target: Target):
        """tg_depthwise_conv_fast_s8 where it applies (depth multiplier 1, up to 16 taps, the
        requantization bounds of tinygen.fast.depthwise), then the portable kernel."""
        args = self.prepare(op)
        if precision.is_s4(op) or precision.is_s16(op):
            return precision.dw_variants(self, op, target, args)
        portable = self.kernel(op, args, scratch_bytes=buffer_size("tg_depthwise_conv_s8_get_buffer_size",
                                                                   args.params, args.input_dims, args.output_dims))
        fa = self._fast(op, target, args)
        if fa is None:
            if target.cpu is not None and op.inputs[0].shape[3] == 1:
                # one input channel (e.g. micro_speech's first layer, depth multiplier 8): a plain
                # convolution with the multiplier's outputs as its output channels
                return fast_conv_kernels(self, op, target, single_channel_conv_layer(op, args)) + [portable]
            return [portable]
        fast = self.kernel(op, fa, variant="fast", function="tg_depthwise_conv_fast_s8",
                           template="ops/depthwise_conv_2d_fast.c.j2",
                           scratch_bytes=buffer_size("tg_depthwise_conv_fast_s8_get_buffer_size", fa.params))
        return [fast, portable]

    def inplace_variant(self, op, target):
        """For one image with depth multiplier 1 and an output no larger than the input: the fast
        in-place kernel where the fast kernels apply, else tg_depthwise_conv_inplace_s8."""
        x, y = op.inputs[0], op.outputs[0]
        if op.attrs.depth_multiplier != 1 or x.shape[0] != 1 or y.shape[1] > x.shape[1] or y.shape[2] > x.shape[2]:
            return None
        if precision.is_s4(op) or precision.is_s16(op):  # 16x8: the DSP ring kernel; int4: none
            return precision.dw_inplace_variant(self, op, target, self.prepare(op))
        fa = self._fast(op, target, self.prepare(op))
        if fa is None:
            return self.inplace_kernel(op)
        scratch = buffer_size("tg_depthwise_conv_inplace_fast_s8_get_buffer_size", fa.params)
        return self.kernel(op, fa, variant="inplace-fast", function="tg_depthwise_conv_inplace_fast_s8", inplace=True,
                           template="ops/depthwise_conv_2d_fast.c.j2", scratch_bytes=scratch, overlap=())

    def inplace_kernel(self, op):
        """tg_depthwise_conv_inplace_s8: one channel at a time through a small scratch (a ring of
        rows when the output has the input's size); the kernel needs depth multiplier 1 and an
        output no larger than the input (batches are processed one after the other)."""
        args = self.prepare(op)
        scratch = buffer_size("tg_depthwise_conv_inplace_s8_get_buffer_size", args.params, args.input_dims,
                              args.output_dims)
        return self.kernel(op, args, variant="inplace", function="tg_depthwise_conv_inplace_s8", inplace=True,
                           scratch_bytes=scratch, overlap=())

    def macs(self, op):
        w, y = op.inputs[1], op.outputs[0]
        return y.size * w.shape[1] * w.shape[2]
