"""Mixed precision for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: int8 activations with packed
int4 weights, and int16 activations with int8 weights ("16x8"), as TensorFlow Lite Micro runs them.

What TFLite Micro accepts (and so tinygen):
  - int8 input: int8 or int4 weights, int32 bias; int4 fully connected weights per tensor only
    (TFLM refuses per-channel int4 there);
  - int16 input: int8 weights only; CONV_2D and FULLY_CONNECTED with an int64 bias (int64
    accumulator, the converter's default) or an int32 bias (int32 accumulator, the
    `quantized_bias_type` INT32 option; without a bias that option picks the path);
    DEPTHWISE_CONV_2D with an int64 bias only (TFLM reads its bias as int64).
  - int16 activations symmetric (zero point 0; TFLM's 16x8 convolutions ignore zero points).

Kernels: portable tg_conv_s4 / tg_depthwise_conv_s4 / tg_fully_connected_s4 (the packed nibbles
read in place) and tg_conv_s16 / tg_depthwise_conv_s16 / tg_fully_connected_s16; on cores with the
DSP extension the DSP variants of tinygen.fast.lowbit where the compile-time conditions hold. The
operator definitions (conv2d.py, depthwise_conv2d.py, fully_connected.py) call in here for any
operator that is not int8 x int8.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..cstruct import HW, Dims, PerChannelQuant, Range, cstruct
from ..geometry import window_gap_steps
from ..fast.lowbit import (LbConvParams, LbDwParams, LbFcParams, LbLayer, lower_conv_s4, lower_conv_s16, lower_dw_s4,
                           lower_dw_s16, lower_fc_s4, lower_fc_s16)
from ..ir import Kernel, Op, Target
from ..kernel_library import buffer_size, constant
from ..schema import schema
from .base import unsupported
from .common import check_dtype, check_int8_activation, check_int16_activation

#: TensorType code of INT32 in the options' quantized_bias_type
BIAS_INT32 = int(schema.TensorType.INT32)


def is_s4(op: Op) -> bool:
    """int8 activations with packed int4 weights."""
    return len(op.inputs) > 1 and op.inputs[1] is not None and op.inputs[1].dtype == "int4"


def is_s16(op: Op) -> bool:
    """int16 activations (16x8)."""
    return op.inputs[0] is not None and op.inputs[0].dtype == "int16"


def acc64(op: Op) -> bool:
    """16x8: the int64 accumulator path (an int64 bias, or no bias without quantized_bias_type
    INT32), as TFLM chooses it."""
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is not None:
        return b.dtype == "int64"
    return int(getattr(op.attrs, "quantized_bias_type", 0) or 0) != BIAS_INT32


def check_types(op: Op, depthwise: bool = False, per_channel_int4: bool = True) -> None:
    """Element types of a convolution or fully connected operator: int8 x int8/int4 with an int32
    bias, or int16 x int8 with an int64 (or, not depthwise, int32) bias."""
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if x is not None and x.dtype == "int16":
        check_int16_activation(op, x, "input")
        check_int16_activation(op, y, "output")
        check_dtype(op, w, "int8", what="weights (TFLite Micro's 16x8 operators take int8 weights only)")
        if b is not None:
            if depthwise:
                check_dtype(op, b, "int64", what="bias (TFLite Micro reads a 16x8 depthwise bias as int64)")
            else:
                check_dtype(op, b, "int64", "int32", what="bias")
        return
    check_int8_activation(op, x, "input")
    check_int8_activation(op, y, "output")
    check_dtype(op, w, "int8", "int4", what="weights")
    if b is not None:
        check_dtype(op, b, "int32", what="bias")
    if w.dtype == "int4":
        q = w.quant
        if q is not None and q.scale.size and np.any(q.zero_point != 0):
            raise unsupported(op, f"int4 weights {w.name!r} have a nonzero zero point (they must be symmetric)")
        if not per_channel_int4 and q is not None and q.per_channel:
            raise unsupported(op, f"int4 weights {w.name!r} are quantized per channel; TFLite Micro takes int4 "
                                  "fully connected weights per tensor only")


def _bias_arrays(op: Op) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(int32 bias, int64 bias): the operator's bias in its own type, the other None."""
    b = op.inputs[2] if len(op.inputs) > 2 else None
    if b is None:
        return None, None
    if b.dtype == "int64":
        return None, b.data.astype(np.int64).reshape(-1)
    return b.data.astype(np.int32).reshape(-1), None


def bias_values(op: Op) -> np.ndarray | None:
    b = op.inputs[2] if len(op.inputs) > 2 else None
    return None if b is None else b.data.astype(np.int64).reshape(-1)


# -- portable kernels' parameters ------------------------------------------------------------------------
@cstruct("tg_conv_s16_params")
@dataclass(frozen=True)
class ConvS16Params:
    stride: HW
    padding: HW
    dilation: HW
    activation: Range
    acc64: int


@cstruct("tg_dw_conv_s16_params")
@dataclass(frozen=True)
class DwConvS16Params:
    ch_mult: int
    stride: HW
    padding: HW
    dilation: HW
    activation: Range


@cstruct("tg_fc_s16_params")
@dataclass(frozen=True)
class FcS16Params:
    per_channel: int
    acc64: int
    activation: Range


@dataclass(frozen=True)
class LbDspArgs:
    """Arguments of the DSP convolution and depthwise kernels (tinygen.fast.lowbit)."""

    params: Any            # LbConvParams or LbDwParams
    weights: np.ndarray    # int32 words (packed weights, depthwise: with the channel words)
    cw: np.ndarray | None  # channel words (None for depthwise)
    input_dims: Dims
    output_dims: Dims


@dataclass(frozen=True)
class LbFcArgs:
    params: LbFcParams
    weights: np.ndarray
    cw: np.ndarray


# -- CONV_2D ---------------------------------------------------------------------------------------------
#: the DSP convolutions' scratch tiers, fastest first: (variant, buffer-size query suffix)
_CONV_TIERS = {"tg_conv_dsp_s4": (("dsp", "_get_buffer_size"), ("dsp-mid", "_get_mid_buffer_size"),
                                  ("dsp-min", "_get_min_buffer_size")),
               "tg_conv_dsp_s16": (("dsp", "_get_buffer_size"), ("dsp-min", "_get_min_buffer_size"))}


def conv_variants(opdef, op: Op, target: Target, args) -> list[Kernel]:
    """CONV_2D with int4 weights or int16 activations: the DSP kernel's scratch tiers (on cores
    with the DSP extension, one group, when exact), then the portable kernel. `args` is the int8
    operator's ConvArgs (offsets, multipliers, padding, dims)."""
    p, q = args.params, args.quant
    w = op.inputs[1]
    s16 = is_s16(op)
    if s16:
        b32, b64 = _bias_arrays(op)
        pp = ConvS16Params(stride=p.stride, padding=p.padding, dilation=p.dilation, activation=p.activation,
                           acc64=int(acc64(op)))
        portable = opdef.kernel(op, PortableS16Args(params=pp, quant=q, input_dims=args.input_dims,
                                                    filter_dims=args.filter_dims, output_dims=args.output_dims,
                                                    bias32=b32, bias64=b64),
                                function="tg_conv_s16", template="ops/conv_2d_s16.c.j2",
                                scratch_bytes=buffer_size("tg_conv_s16_get_buffer_size", args.input_dims,
                                                          args.filter_dims))
    else:
        portable = opdef.kernel(op, args, function="tg_conv_s4",
                                scratch_bytes=buffer_size("tg_conv_s4_get_buffer_size", args.input_dims,
                                                          args.filter_dims))
    if not target.dsp or w.shape[3] != op.inputs[0].shape[3]:
        return [portable]
    layer = LbLayer(rows=w.data.reshape(w.shape[0], -1), bias=bias_values(op), multiplier=q.multiplier,
                    shift=q.shift, input_offset=0 if s16 else p.input_offset,
                    output_offset=0 if s16 else p.output_offset, act_min=p.activation.min,
                    act_max=p.activation.max, acc64=acc64(op) if s16 else True)
    low = lower_conv_s16(layer) if s16 else lower_conv_s4(layer)
    if isinstance(low, str):
        return [portable]
    fn = "tg_conv_dsp_s16" if s16 else "tg_conv_dsp_s4"
    direct = w.shape[1] == 1 and w.shape[2] == 1 and w.shape[3] % 8 == 0
    one_group = not s16 and w.shape[1] * w.shape[2] * w.shape[3] <= 8
    lp = LbConvParams(filter=HW(int(w.shape[1]), int(w.shape[2])), stride=p.stride, padding=p.padding,
                      dilation=p.dilation, pad_value=0 if s16 else -p.input_offset,
                      output_offset=0 if s16 else p.output_offset, acc64=int(acc64(op)) if s16 else 0,
                      activation=p.activation)
    a = LbDspArgs(params=lp, weights=low.weights, cw=low.cw, input_dims=args.input_dims, output_dims=args.output_dims)
    out = [opdef.kernel(op, a, variant=v, function=fn, template="ops/conv_2d_lb.c.j2",
                        scratch_bytes=buffer_size(fn + suffix, lp, args.input_dims, args.output_dims),
                        overlap=_conv_overlap(opdef, op, _TIER_STEP[v] if not one_group else 2, direct))
           for v, suffix in _CONV_TIERS[fn]]
    return out + [portable]


#: output pixels per step of each DSP convolution tier, all their windows copied before any write
_TIER_STEP = {"dsp": 4, "dsp-mid": 2, "dsp-min": 1}


def _conv_overlap(opdef, op: Op, step: int, direct: bool) -> tuple:
    """The partial overlap a DSP convolution tier allows: windows copied step pixels at a time
    (geometry.window_gap_steps); the one-pixel tier of a 1x1 convolution reads its window in place
    while writing, as the portable kernel does. (The s16 kernels' "dsp" tier takes two pixels.)"""
    if step == 1 and direct:
        return tuple(opdef.overlap_gaps(op))
    if is_s16(op) and step == 4:
        step = 2
    k, st, d = opdef.window(op)
    x, y = op.inputs[0], op.outputs[0]
    return ((0, 0, window_gap_steps(x.shape, y.shape, st, opdef.window_padding(op), k, d, x.itemsize, y.itemsize,
                                    step)),)


@dataclass(frozen=True)
class PortableS16Args:
    """Arguments of tg_conv_s16 / tg_depthwise_conv_s16 (one of the biases, or neither)."""

    params: Any
    quant: PerChannelQuant
    input_dims: Dims
    filter_dims: Dims
    output_dims: Dims
    bias32: np.ndarray | None
    bias64: np.ndarray | None


# -- DEPTHWISE_CONV_2D ---------------------------------------------------------------------------------------
def dw_variants(opdef, op: Op, target: Target, args) -> list[Kernel]:
    """DEPTHWISE_CONV_2D with int4 weights or int16 activations: the DSP kernel (depth multiplier 1,
    C % 4 == 0, at most TG_LB_DW_MAX_TAPS taps, when exact), then the portable kernel."""
    p, q = args.params, args.quant
    w = op.inputs[1]
    s16 = is_s16(op)
    if s16:
        pp = DwConvS16Params(ch_mult=p.ch_mult, stride=p.stride, padding=p.padding, dilation=p.dilation,
                             activation=p.activation)
        portable = opdef.kernel(op, PortableS16Args(params=pp, quant=q, input_dims=args.input_dims,
                                                    filter_dims=args.filter_dims, output_dims=args.output_dims,
                                                    bias32=None, bias64=_bias_arrays(op)[1]),
                                function="tg_depthwise_conv_s16", template="ops/depthwise_conv_2d_s16.c.j2",
                                scratch_bytes=buffer_size("tg_depthwise_conv_s16_get_buffer_size", pp,
                                                          args.input_dims, args.output_dims))
    else:
        portable = opdef.kernel(op, args, function="tg_depthwise_conv_s4",
                                scratch_bytes=buffer_size("tg_depthwise_conv_s4_get_buffer_size", p,
                                                          args.input_dims, args.output_dims))
    kh, kw = int(w.shape[1]), int(w.shape[2])
    if not target.dsp or p.ch_mult != 1 or kh * kw > constant("TG_LB_DW_MAX_TAPS"):
        return [portable]
    c = w.shape[3]
    layer = LbLayer(rows=w.data.reshape(kh * kw, c).T, bias=bias_values(op), multiplier=q.multiplier, shift=q.shift,
                    input_offset=0 if s16 else p.input_offset, output_offset=0 if s16 else p.output_offset,
                    act_min=p.activation.min, act_max=p.activation.max, acc64=True)
    low = lower_dw_s16(layer, kh * kw) if s16 else lower_dw_s4(layer, kh * kw)
    if isinstance(low, str):
        return [portable]
    fn = "tg_depthwise_conv_dsp_s16" if s16 else "tg_depthwise_conv_dsp_s4"
    lp = LbDwParams(filter=HW(kh, kw), stride=p.stride, padding=p.padding, dilation=p.dilation,
                    pad_value=0 if s16 else -p.input_offset, output_offset=0 if s16 else p.output_offset,
                    activation=p.activation)
    a = LbDspArgs(params=lp, weights=low.weights, cw=None, input_dims=args.input_dims, output_dims=args.output_dims)
    scratch = buffer_size(fn + "_get_buffer_size", lp, args.input_dims, args.output_dims)
    dsp = [opdef.kernel(op, a, variant="dsp", function=fn, template="ops/depthwise_conv_2d_lb.c.j2",
                        scratch_bytes=scratch)]
    if scratch:  # the scratch only speeds up windows reaching into the padding: also without it
        dsp.append(opdef.kernel(op, a, variant="dsp-min", function=fn, template="ops/depthwise_conv_2d_lb.c.j2"))
    return dsp + [portable]


def dw_inplace_variant(opdef, op: Op, target: Target, args) -> Kernel | None:
    """The in-place 16x8 depthwise kernel (its output over its input through a ring of pixels), when
    the DSP kernel applies: one image, dilation 1, non-negative padding, OH <= H, OW <= W."""
    if not is_s16(op) or not target.dsp:
        return None
    p = args.params
    x, y = op.inputs[0], op.outputs[0]
    if x.shape[0] != 1 or p.dilation.h != 1 or p.dilation.w != 1 or p.padding.h < 0 or p.padding.w < 0 or \
            y.shape[1] > x.shape[1] or y.shape[2] > x.shape[2]:
        return None
    dsp = [k for k in dw_variants(opdef, op, target, args) if k.variant == "dsp"]
    if not dsp:
        return None
    a = dsp[0].args
    fn = "tg_depthwise_conv_inplace_dsp_s16"
    return opdef.kernel(op, a, variant="inplace-dsp", function=fn, template="ops/depthwise_conv_2d_lb.c.j2",
                        inplace=True, overlap=(),
                        scratch_bytes=buffer_size(fn + "_get_buffer_size", a.params, a.input_dims, a.output_dims))


# -- FULLY_CONNECTED -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PortableFcS16Args:
    params: FcS16Params
    quant: PerChannelQuant
    batches: int
    in_features: int
    out_features: int
    bias32: np.ndarray | None
    bias64: np.ndarray | None


def fc_variants(opdef, op: Op, target: Target, args) -> list[Kernel]:
    """FULLY_CONNECTED with int4 weights or int16 activations: the DSP kernel (cores with the DSP
    extension, when exact), then the portable kernel. `args` is the int8 FullyConnectedArgs."""
    p, q = args.params, args.quant
    w = op.inputs[1]
    s16 = is_s16(op)
    if s16:
        b32, b64 = _bias_arrays(op)
        pp = FcS16Params(per_channel=p.per_channel, acc64=int(acc64(op)), activation=p.activation)
        portable = opdef.kernel(op, PortableFcS16Args(params=pp, quant=q, batches=args.batches,
                                                      in_features=args.in_features, out_features=args.out_features,
                                                      bias32=b32, bias64=b64),
                                function="tg_fully_connected_s16", template="ops/fully_connected_s16.c.j2")
    else:
        portable = opdef.kernel(op, args, function="tg_fully_connected_s4")
    if not target.dsp:
        return [portable]
    layer = LbLayer(rows=w.data.reshape(args.out_features, args.in_features), bias=bias_values(op),
                    multiplier=q.multiplier, shift=q.shift, input_offset=0 if s16 else p.input_offset,
                    output_offset=0 if s16 else p.output_offset, act_min=p.activation.min, act_max=p.activation.max,
                    acc64=acc64(op) if s16 else True)
    if not s16 and p.filter_offset != 0:
        return [portable]
    low = lower_fc_s16(layer) if s16 else lower_fc_s4(layer)
    if isinstance(low, str):
        return [portable]
    fn = "tg_fully_connected_dsp_s16" if s16 else "tg_fully_connected_dsp_s4"
    lp = LbFcParams(batches=args.batches, in_features=args.in_features, out_features=args.out_features,
                    output_offset=0 if s16 else p.output_offset, acc64=int(acc64(op)) if s16 else 0,
                    activation=p.activation)
    dsp = opdef.kernel(op, LbFcArgs(params=lp, weights=low.weights, cw=low.cw), variant="dsp", function=fn,
                       template="ops/fully_connected_lb.c.j2", scratch_bytes=buffer_size(fn + "_get_buffer_size", lp))
    return [dsp, portable]


__all__ = ["ConvS16Params", "DwConvS16Params", "FcS16Params", "LbDspArgs", "LbFcArgs", "PortableFcS16Args",
           "PortableS16Args", "acc64", "check_types", "conv_variants", "dw_variants", "fc_variants", "is_s16",
           "is_s4"]
