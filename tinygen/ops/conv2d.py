"""CONV_2D: int8 convolution with per-tensor or per-channel weights (kernel: tg_conv_s8).

Also home of what CONV_2D and DEPTHWISE_CONV_2D share: their options, their checks, and the
arguments of their kernels (ConvArgs).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .. import quant as Q
from ..cstruct import HW, Dims, PerChannelQuant, Range, cstruct
from ..fast.conv import ConvFastParams, ConvLayer, conv_dsp_unsupported, conv_scalar_unsupported, lower_conv_dsp, \
    lower_conv_scalar
from ..ir import Op, Target
from ..kernel_library import buffer_size
from ..schema import schema
from . import precision
from .base import register, unsupported
from .common import (
    WindowedOp,
    check_padding,
    window_out_hw,
    activation_range,
    check_fused,
    check_rank,
    check_shape,
    dims4,
    fused_activation,
    fused_activation_code,
    padding_code,
    padding_name,
    quant,
)

if TYPE_CHECKING:  # pragma: no cover
    from .common import ExplicitPadding


@dataclass
class Conv2DAttrs:
    #: "SAME" | "VALID"; ExplicitPadding (a folded PAD); or (top, left) (an operator of a patch)
    padding: "str | ExplicitPadding | tuple[int, int]" = "SAME"
    stride: tuple[int, int] = (1, 1)    # (h, w)
    dilation: tuple[int, int] = (1, 1)  # (h, w)
    activation: str = "NONE"            # fused activation
    #: TensorType code of the options' quantized_bias_type (16x8 without a bias: INT32 picks TFLite
    #: Micro's int32 accumulator); 0 when unset
    quantized_bias_type: int = 0


@cstruct("tg_conv_params")
@dataclass(frozen=True)
class ConvParams:
    input_offset: int
    output_offset: int
    stride: HW
    padding: HW     # (top, left); rows/columns past the end of the input are padding too
    dilation: HW
    activation: Range


@dataclass(frozen=True)
class ConvArgs:
    """Arguments of a convolution kernel call (CONV_2D and DEPTHWISE_CONV_2D)."""

    params: object  # ConvParams or DepthwiseConvParams
    quant: PerChannelQuant
    input_dims: Dims
    filter_dims: Dims
    output_dims: Dims


@dataclass(frozen=True)
class ConvFastArgs:
    """Arguments of the fast convolution kernels (tg_conv_dsp_s8, tg_conv_scalar_s8)."""

    params: ConvFastParams  # with the dims and the constant arrays: packed weights, channel words and
    #                         pad_row (the input zero point over a whole window; None where the
    #                         kernel never reads it)


#: tg_conv_dsp_s8's scratch tiers, fastest first: the query of each (None: no scratch buffer)
DSP_TIERS = (("dsp", "tg_conv_dsp_s8_get_buffer_size"), ("dsp-mid", "tg_conv_dsp_s8_get_mid_buffer_size"),
             ("dsp-min", "tg_conv_dsp_s8_get_min_buffer_size"), ("dsp-single", None))


def window_options(opts) -> dict:
    """The options CONV_2D and DEPTHWISE_CONV_2D share, from their TFLite options table."""
    return dict(padding=padding_name(opts.padding), stride=(int(opts.strideH), int(opts.strideW)),
                dilation=(int(opts.dilationHFactor or 1), int(opts.dilationWFactor or 1)),
                activation=fused_activation(opts.fusedActivationFunction))


def write_window_options(o, a):
    """Fill a Conv2DOptionsT / DepthwiseConv2DOptionsT with the shared options of attrs `a`."""
    if not isinstance(a.padding, str):
        raise ValueError(f"padding {a.padding} has no TFLite encoding (SAME or VALID only)")
    o.padding = padding_code(a.padding)
    o.strideH, o.strideW = a.stride
    o.dilationHFactor, o.dilationWFactor = a.dilation
    o.fusedActivationFunction = fused_activation_code(a.activation)
    return o


def conv_out_hw(in_hw, k_hw, stride, dilation, padding):
    return window_out_hw(in_hw, k_hw, stride, dilation, padding)


def per_channel_multipliers(op: Op, input_scale: float, filter_q, output_scale: float, channels: int):
    """PopulateConvolutionQuantizationParams: double(in) * double(w[c]) / double(out)."""
    if filter_q.per_channel and filter_q.scale.size != channels:
        raise unsupported(op, f"filter has {filter_q.scale.size} scales for {channels} output channels")
    scales = filter_q.scale if filter_q.per_channel else np.repeat(filter_q.scale[:1], channels)
    eff = [float(np.float32(input_scale)) * float(s) / float(np.float32(output_scale)) for s in scales]
    return Q.quantize_multiplier_array(eff)


def check_window_conv(op: Op, out_channels_axis: int) -> None:
    """Checks CONV_2D and DEPTHWISE_CONV_2D share: int8 input/output with int8 or int4 weights and an
    int32 bias, or int16 input/output with int8 weights and an int64/int32 bias (tinygen.ops.precision),
    a constant 4-D filter, an optional constant bias of one value per output channel, SAME/VALID
    padding, positive strides and dilations, a supported fused activation."""
    a = op.attrs
    if len(op.inputs) not in (2, 3) or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
        raise unsupported(op, "expects input, filter, optional bias and one output")
    x, w = op.inputs[0], op.inputs[1]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    y = op.outputs[0]
    precision.check_types(op, depthwise=out_channels_axis == 3)
    check_rank(op, x, 4, what="input")
    check_rank(op, y, 4, what="output")
    check_rank(op, w, 4, what="filter")
    if not w.is_const:
        raise unsupported(op, f"filter {w.name!r} is not constant; tinygen keeps weights in flash")
    quant(op, w, "filter")
    out_c = w.shape[out_channels_axis]
    if b is not None:
        if not b.is_const or b.size != out_c:
            raise unsupported(op, f"bias {b.name!r} must be a constant of {out_c} values")
    check_padding(op, a.padding)
    if min(a.stride) < 1 or min(a.dilation) < 1:
        raise unsupported(op, f"stride {a.stride} / dilation {a.dilation} must be >= 1")
    check_fused(op, a.activation)


class WindowConv(WindowedOp):
    """What CONV_2D and DEPTHWISE_CONV_2D share: window, options, quantization arithmetic."""

    #: axis of the filter holding the output channels
    out_channels_axis = 0
    input_names = ("input", "filter", "bias")

    def window(self, op):
        return tuple(op.inputs[1].shape[1:3]), op.attrs.stride, op.attrs.dilation

    def infer(self, op):
        x, w = op.inputs[0], op.inputs[1]
        a = op.attrs
        oh, ow = conv_out_hw(x.shape[1:3], w.shape[1:3], a.stride, a.dilation, a.padding)
        return [(x.shape[0], oh, ow, w.shape[self.out_channels_axis])]

    def conv_args(self, op: Op, params_cls, **extra) -> ConvArgs:
        """The kernel arguments: offsets, window, activation range, per-channel requantization."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        a = op.attrs
        mult, shift = per_channel_multipliers(op, x.quant.s, w.quant, y.quant.s, w.shape[self.out_channels_axis])
        params = params_cls(input_offset=-x.quant.zp, output_offset=y.quant.zp, **extra, stride=HW(*a.stride),
                            padding=HW(*self.window_padding(op)), dilation=HW(*a.dilation),
                            activation=activation_range(a.activation, y))
        return ConvArgs(params=params, quant=PerChannelQuant(multiplier=mult, shift=shift), input_dims=dims4(x.shape),
                        filter_dims=dims4(w.shape), output_dims=dims4(y.shape))


@register
class Conv2D(WindowConv):
    kind = "CONV_2D"
    options = "Conv2DOptions"
    function = "tg_conv_s8"

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return Conv2DAttrs()
        return Conv2DAttrs(**window_options(opts), quantized_bias_type=int(getattr(opts, "quantizedBiasType", 0) or 0))

    def write_options(self, a: Conv2DAttrs):
        o = write_window_options(schema.Conv2DOptionsT(), a)
        o.quantizedBiasType = int(a.quantized_bias_type)
        return o

    def check(self, op):
        check_window_conv(op, out_channels_axis=0)
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if w.shape[3] <= 0 or x.shape[3] % w.shape[3] != 0 or w.shape[0] % (x.shape[3] // w.shape[3]) != 0:
            raise unsupported(op, f"filter depth {w.shape[3]} does not divide input depth {x.shape[3]}")
        check_shape(op, y, self.infer(op)[0])

    def prepare(self, op) -> ConvArgs:
        return self.conv_args(op, ConvParams)

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def variants(self, op, target: Target):
        """On cores with the DSP extension, tg_conv_dsp_s8 with its scratch tiers (two output pixels
        per step with both windows widened, then with less scratch, then one pixel at a time); on
        Cortex-M0/M0+, tg_conv_scalar_s8; last, the portable tg_conv_s8 (every layer, no scratch)."""
        args = self.prepare(op)
        if precision.is_s4(op) or precision.is_s16(op):
            return precision.conv_variants(self, op, target, args)
        portable = self.kernel(op, args, scratch_bytes=buffer_size("tg_conv_s8_get_buffer_size", args.input_dims,
                                                                   args.filter_dims))
        if target.cpu is None:
            return [portable]
        return fast_conv_kernels(self, op, target, conv_layer(op, args)) + [portable]

    def macs(self, op):
        w, y = op.inputs[1], op.outputs[0]
        return y.size * w.shape[1] * w.shape[2] * w.shape[3]


def fast_conv_kernels(opdef: WindowConv, op: Op, target: Target, layer: ConvLayer) -> list:
    """The fast convolution kernels computing `layer` for `op`, fastest first: on cores with the
    DSP extension tg_conv_dsp_s8 with its scratch tiers (two output pixels per step with both
    windows widened, then with less scratch, then one pixel at a time); then tg_conv_scalar_s8
    (the Cortex-M0/M0+ kernel, also the DSP cores' fallback); none where they are not exact. (DEPTHWISE_CONV_2D over one input channel
    is such a convolution too.)"""
    out = []
    if target.dsp and conv_dsp_unsupported(layer, scratch=True) is None:
        low = lower_conv_dsp(layer)
        for variant, query in DSP_TIERS:
            if query is None:
                if conv_dsp_unsupported(layer, scratch=False) is not None:
                    continue
                scratch, params = 0, low.params
            else:
                scratch, params = buffer_size(query, low.params), replace(low.params, pad_row=None)
            out.append(opdef.kernel(op, ConvFastArgs(params=params), variant=variant, function="tg_conv_dsp_s8",
                                    template="ops/conv_2d_fast.c.j2", scratch_bytes=scratch))
    # the M0/M0+ kernel; on DSP cores the fallback for layers whose DSP tiers need scratch the
    # arena has no room for (it needs none) or that they cannot compute. A scratch-free DSP tier
    # ("dsp-single") is faster at the same memory, so the scalar kernel is not lowered there.
    if not any(k.scratch_bytes == 0 for k in out) and conv_scalar_unsupported(layer) is None:
        low = lower_conv_scalar(layer)
        scratch = buffer_size("tg_conv_scalar_s8_get_buffer_size", low.params)
        out.append(opdef.kernel(op, ConvFastArgs(params=low.params), variant="scalar", function="tg_conv_scalar_s8",
                                template="ops/conv_2d_fast.c.j2", scratch_bytes=scratch))
    return out


def conv_layer(op: Op, args: ConvArgs) -> ConvLayer:
    """A CONV_2D operator as the fast kernels' lowering sees it (tinygen.fast.conv)."""
    p, q = args.params, args.quant
    w = op.inputs[1].data
    b = op.inputs[2] if len(op.inputs) > 2 else None
    dims = lambda d: (d.n, d.h, d.w, d.c)  # noqa: E731
    return ConvLayer(input_dims=dims(args.input_dims), output_dims=dims(args.output_dims), filter=w,
                     bias=None if b is None else b.data.astype(np.int32).reshape(-1),
                     stride=(p.stride.h, p.stride.w), padding=(p.padding.h, p.padding.w),
                     dilation=(p.dilation.h, p.dilation.w), input_offset=p.input_offset, output_offset=p.output_offset,
                     multiplier=q.multiplier, shift=q.shift, act_min=p.activation.min, act_max=p.activation.max)
