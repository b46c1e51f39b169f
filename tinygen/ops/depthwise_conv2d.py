"""DEPTHWISE_CONV_2D: int8 depthwise convolution, per-tensor or per-channel weights
(kernels: tg_depthwise_conv_s8, and tg_depthwise_conv_inplace_s8 when the output overwrites the
input)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..frontend.schema import schema
from .base import register, unsupported
from .common import (Dims4, WindowedOp, check_dtype, check_fused, check_int8_activation, check_rank, check_shape,
                     dims4, quant)
from .conv2d import conv_out_hw, conv_padding, per_channel_multipliers, window_options, write_window_options

#: TFLite's depthwise filters are [1, KH, KW, C * multiplier], quantized along the last axis
QUANTIZED_AXIS = 3


@dataclass
class DepthwiseConv2DAttrs:
    padding: str = "SAME"               # "SAME" | "VALID"
    stride: tuple[int, int] = (1, 1)    # (h, w)
    dilation: tuple[int, int] = (1, 1)  # (h, w)
    depth_multiplier: int = 1
    activation: str = "NONE"            # fused activation


@dataclass
class DepthwiseConvParams:
    input_offset: int
    output_offset: int
    ch_mult: int
    stride: tuple[int, int]
    padding: tuple[int, int]      # (top, left); bottom/right padding is implicit
    dilation: tuple[int, int]
    act_min: int
    act_max: int
    multiplier: np.ndarray        # int32 per output channel
    shift: np.ndarray             # int32 per output channel
    in_dims: Dims4
    filter_dims: Dims4
    out_dims: Dims4
    #: the output overwrites the input (tg_depthwise_conv_inplace_s8); the memory plan must then
    #: place the output at the input's offset. Set from op.notes["inplace"] by prepare().
    inplace: bool = False


@register
class DepthwiseConv2D(WindowedOp):
    kind = "DEPTHWISE_CONV_2D"
    options = "DepthwiseConv2DOptions"

    def window(self, op):
        return tuple(op.inputs[1].shape[1:3]), op.attrs.stride, op.attrs.dilation

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return DepthwiseConv2DAttrs()
        return DepthwiseConv2DAttrs(depth_multiplier=int(opts.depthMultiplier), **window_options(opts))

    def write_options(self, a: DepthwiseConv2DAttrs):
        o = write_window_options(schema.DepthwiseConv2DOptionsT(), a)
        o.depthMultiplier = a.depth_multiplier
        return o

    def infer(self, op):
        x, w = op.inputs[0], op.inputs[1]
        a: DepthwiseConv2DAttrs = op.attrs
        oh, ow = conv_out_hw(x.shape[1:3], w.shape[1:3], a.stride, a.dilation, a.padding)
        return [(x.shape[0], oh, ow, w.shape[3])]

    def check(self, op):
        a: DepthwiseConv2DAttrs = op.attrs
        if len(op.inputs) not in (2, 3) or len(op.outputs) != 1:
            raise unsupported(op, "expects input, filter, optional bias and one output")
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        y = op.outputs[0]
        check_int8_activation(op, x, "input")
        check_int8_activation(op, y, "output")
        check_dtype(op, w, "int8", what="filter")
        check_rank(op, x, 4, what="input")
        check_rank(op, y, 4, what="output")
        check_rank(op, w, 4, what="filter")
        if not w.is_const:
            raise unsupported(op, f"filter {w.name!r} is not constant; tinygen keeps weights in flash")
        if w.shape[0] != 1:
            raise unsupported(op, f"filter {w.name!r} has shape {list(w.shape)}; a depthwise filter is [1, KH, KW, channels]")
        in_c, out_c = x.shape[3], w.shape[3]
        if in_c <= 0 or out_c % in_c != 0:
            raise unsupported(op, f"filter channels {out_c} are not a multiple of the input channels {in_c}")
        if a.depth_multiplier != out_c // in_c:
            raise unsupported(op, f"depth_multiplier {a.depth_multiplier} does not match {out_c} filter channels "
                                  f"for {in_c} input channels")
        qw = quant(op, w, "filter")
        if qw.per_channel:
            if qw.scale.size != out_c or qw.axis != QUANTIZED_AXIS:
                raise unsupported(op, f"filter {w.name!r} has {qw.scale.size} scales along axis {qw.axis}; "
                                      f"per-channel depthwise filters need {out_c} scales along axis {QUANTIZED_AXIS}")
        if b is not None:
            check_dtype(op, b, "int32", what="bias")
            if not b.is_const or b.size != out_c:
                raise unsupported(op, f"bias {b.name!r} must be a constant of {out_c} values")
        if a.padding not in ("SAME", "VALID"):
            raise unsupported(op, f"padding {a.padding}")
        if min(a.stride) < 1 or min(a.dilation) < 1:
            raise unsupported(op, f"stride {a.stride} / dilation {a.dilation} must be >= 1")
        check_fused(op, a.activation)
        check_shape(op, y, self.infer(op)[0])

    def prepare(self, op):
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        a: DepthwiseConv2DAttrs = op.attrs
        qx, qy = x.quant, y.quant
        mult, shift = per_channel_multipliers(op, qx.s, w.quant, qy.s, w.shape[3])
        act_min, act_max = Q.activation_range(a.activation, qy.s, qy.zp)
        inplace = bool(op.notes.get("inplace", False))
        if inplace and (a.depth_multiplier != 1 or y.shape[1] > x.shape[1] or y.shape[2] > x.shape[2]):
            raise unsupported(op, "in-place depthwise convolution needs depth multiplier 1 and an output no larger than the input")
        return DepthwiseConvParams(
            input_offset=-qx.zp, output_offset=qy.zp, ch_mult=a.depth_multiplier, stride=a.stride,
            padding=conv_padding(x.shape[1:3], w.shape[1:3], y.shape[1:3], a.stride, a.dilation),
            dilation=a.dilation, act_min=act_min, act_max=act_max, multiplier=mult, shift=shift,
            in_dims=dims4(x.shape), filter_dims=dims4(w.shape), out_dims=dims4(y.shape), inplace=inplace)

    def scratch_bytes(self, op):
        p: DepthwiseConvParams | None = op.params
        if p is None or not p.inplace:
            return 0
        from ..toolchain.host import kernel_query

        q = kernel_query()
        params = q.struct("tg_dw_conv_params", ch_mult=p.ch_mult, stride=dict(h=p.stride[0], w=p.stride[1]),
                          padding=dict(h=p.padding[0], w=p.padding[1]),
                          dilation=dict(h=p.dilation[0], w=p.dilation[1]))
        return int(q.tg_depthwise_conv_inplace_s8_get_buffer_size(params, q.dims(p.in_dims), q.dims(p.out_dims)))

    def emit(self, op, ctx):
        p: DepthwiseConvParams = op.params
        if p.inplace and ctx.ptr(op.inputs[0]) != ctx.ptr(op.outputs[0]):
            raise RuntimeError(f"{op.label}: in-place depthwise convolution, but the memory plan puts the "
                               f"output at {ctx.ptr(op.outputs[0])} and the input at {ctx.ptr(op.inputs[0])}")
        return super().emit(op, ctx)

    def macs(self, op):
        w, y = op.inputs[1], op.outputs[0]
        return y.size * w.shape[1] * w.shape[2]


