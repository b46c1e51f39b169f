"""CONV_2D: int8 convolution with per-tensor or per-channel weights (kernel: tg_conv_s8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frontend.schema import schema
from ..ir import Op
from .. import quant as Q
from .base import register, unsupported
from .common import (WindowedOp, Dims4, check_dtype, check_fused, check_int8_activation, check_rank, check_shape,
                     dims4, fused_activation, fused_activation_code, padding_code, padding_name, quant)


@dataclass
class Conv2DAttrs:
    padding: str = "SAME"          # "SAME" | "VALID"
    stride: tuple[int, int] = (1, 1)    # (h, w)
    dilation: tuple[int, int] = (1, 1)  # (h, w)
    activation: str = "NONE"       # fused activation


@dataclass
class ConvParams:
    input_offset: int
    output_offset: int
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


def window_options(opts) -> dict:
    """The options CONV_2D and DEPTHWISE_CONV_2D share, from their TFLite options table."""
    return dict(padding=padding_name(opts.padding), stride=(int(opts.strideH), int(opts.strideW)),
                dilation=(int(opts.dilationHFactor or 1), int(opts.dilationWFactor or 1)),
                activation=fused_activation(opts.fusedActivationFunction))


def write_window_options(o, a):
    """Fill a Conv2DOptionsT / DepthwiseConv2DOptionsT with the shared options of attrs `a`."""
    o.padding = padding_code(a.padding)
    o.strideH, o.strideW = a.stride
    o.dilationHFactor, o.dilationWFactor = a.dilation
    o.fusedActivationFunction = fused_activation_code(a.activation)
    return o


def conv_out_hw(in_hw, k_hw, stride, dilation, padding):
    return (Q.out_size(padding, in_hw[0], k_hw[0], stride[0], dilation[0]),
            Q.out_size(padding, in_hw[1], k_hw[1], stride[1], dilation[1]))


def conv_padding(in_hw, k_hw, out_hw, stride, dilation) -> tuple[int, int]:
    return (Q.padding_with_offset(stride[0], dilation[0], in_hw[0], k_hw[0], out_hw[0])[0],
            Q.padding_with_offset(stride[1], dilation[1], in_hw[1], k_hw[1], out_hw[1])[0])


def per_channel_multipliers(op: Op, input_scale: float, filter_q, output_scale: float, channels: int):
    """PopulateConvolutionQuantizationParams: double(in) * double(w[c]) / double(out)."""
    if filter_q.per_channel and filter_q.scale.size != channels:
        raise unsupported(op, f"filter has {filter_q.scale.size} scales for {channels} output channels")
    scales = filter_q.scale if filter_q.per_channel else np.repeat(filter_q.scale[:1], channels)
    eff = [float(np.float32(input_scale)) * float(s) / float(np.float32(output_scale)) for s in scales]
    return Q.quantize_multiplier_array(eff)


@register
class Conv2D(WindowedOp):
    kind = "CONV_2D"
    options = "Conv2DOptions"

    def window(self, op):
        return tuple(op.inputs[1].shape[1:3]), op.attrs.stride, op.attrs.dilation

    def parse(self, opts, inputs, outputs):
        return Conv2DAttrs() if opts is None else Conv2DAttrs(**window_options(opts))

    def write_options(self, a: Conv2DAttrs):
        return write_window_options(schema.Conv2DOptionsT(), a)

    def infer(self, op):
        x, w = op.inputs[0], op.inputs[1]
        a: Conv2DAttrs = op.attrs
        oh, ow = conv_out_hw(x.shape[1:3], w.shape[1:3], a.stride, a.dilation, a.padding)
        return [(x.shape[0], oh, ow, w.shape[0])]

    def check(self, op):
        a: Conv2DAttrs = op.attrs
        if len(op.inputs) < 2 or len(op.outputs) != 1:
            raise unsupported(op, "expects input, filter, optional bias and one output")
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        y = op.outputs[0]
        check_int8_activation(op, x, "input")
        check_int8_activation(op, y, "output")
        check_dtype(op, w, "int8", what="filter")
        check_rank(op, x, 4, what="input")
        check_rank(op, w, 4, what="filter")
        if not w.is_const:
            raise unsupported(op, f"filter {w.name!r} is not constant; tinygen keeps weights in flash")
        quant(op, w, "filter")
        if b is not None:
            check_dtype(op, b, "int32", what="bias")
            if not b.is_const or b.size != w.shape[0]:
                raise unsupported(op, f"bias {b.name!r} must be a constant of {w.shape[0]} values")
        if a.padding not in ("SAME", "VALID"):
            raise unsupported(op, f"padding {a.padding}")
        if min(a.stride) < 1 or min(a.dilation) < 1:
            raise unsupported(op, f"stride {a.stride} / dilation {a.dilation} must be >= 1")
        check_fused(op, a.activation)
        if w.shape[3] <= 0 or x.shape[3] % w.shape[3] != 0 or w.shape[0] % (x.shape[3] // w.shape[3]) != 0:
            raise unsupported(op, f"filter depth {w.shape[3]} does not divide input depth {x.shape[3]}")
        check_shape(op, y, self.infer(op)[0])

    def prepare(self, op):
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        a: Conv2DAttrs = op.attrs
        qx, qy = x.quant, y.quant
        mult, shift = per_channel_multipliers(op, qx.s, w.quant, qy.s, w.shape[0])
        act_min, act_max = Q.activation_range(a.activation, qy.s, qy.zp)
        return ConvParams(
            input_offset=-qx.zp, output_offset=qy.zp, stride=a.stride,
            padding=conv_padding(x.shape[1:3], w.shape[1:3], y.shape[1:3], a.stride, a.dilation),
            dilation=a.dilation, act_min=act_min, act_max=act_max, multiplier=mult, shift=shift,
            in_dims=dims4(x.shape), filter_dims=dims4(w.shape), out_dims=dims4(y.shape))

    def macs(self, op):
        w, y = op.inputs[1], op.outputs[0]
        return y.size * w.shape[1] * w.shape[2] * w.shape[3]


