"""DEPTHWISE_CONV_2D: int8 depthwise convolution, per-tensor or per-channel weights
(kernels: tg_depthwise_conv_s8, and tg_depthwise_conv_inplace_s8, which writes the output over the
input, as an in-place variant)."""

from __future__ import annotations

from dataclasses import dataclass

from ..cstruct import HW, Range, cstruct
from ..kernel_library import buffer_size
from ..schema import schema
from .base import register, unsupported
from .common import check_shape, quant
from .conv2d import (
    Conv2DAttrs,
    ConvArgs,
    WindowConv,
    check_window_conv,
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
        args = self.prepare(op)
        return self.kernel(op, args, scratch_bytes=buffer_size("tg_depthwise_conv_s8_get_buffer_size", args.params,
                                                               args.input_dims, args.output_dims))

    def inplace_variant(self, op, target):
        """tg_depthwise_conv_inplace_s8 for one image with depth multiplier 1 and an output no
        larger than the input."""
        x, y = op.inputs[0], op.outputs[0]
        if op.attrs.depth_multiplier != 1 or x.shape[0] != 1 or y.shape[1] > x.shape[1] or y.shape[2] > x.shape[2]:
            return None
        return self.inplace_kernel(op)

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
