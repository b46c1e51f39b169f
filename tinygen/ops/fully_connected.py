"""FULLY_CONNECTED: int8 input, int8 weights [out, in] quantized per tensor or per output channel
(kernel: tg_fully_connected_s8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import PerChannelQuant, Range, cstruct
from ..fast.conv import FcFastParams, FcLayer, fc_dsp_unsupported, fc_scalar_unsupported, lower_fc_dsp, lower_fc_scalar
from ..ir import Op, Target
from ..kernel_library import buffer_size
from ..schema import schema
from . import precision
from .base import OpDef, register, unsupported
from .common import (
    activation_range,
    check_fused,
    check_rank,
    fused_activation,
    fused_activation_code,
    quant,
)

#: FullyConnectedOptionsWeightsFormat.DEFAULT
_WEIGHTS_DEFAULT = 0


@dataclass
class FullyConnectedAttrs:
    activation: str = "NONE"
    keep_num_dims: bool = False
    weights_format: int = _WEIGHTS_DEFAULT
    #: TensorType code of quantized_bias_type (16x8 without a bias: INT32 picks the int32 path)
    quantized_bias_type: int = 0


@cstruct("tg_fc_params")
@dataclass(frozen=True)
class FullyConnectedParams:
    input_offset: int
    filter_offset: int   # -filter zero point (per-tensor weights; 0 for per-channel)
    output_offset: int
    per_channel: int     # 1: one multiplier/shift per output; 0: entry 0 for all
    activation: Range


@dataclass(frozen=True)
class FullyConnectedArgs:
    params: FullyConnectedParams
    quant: PerChannelQuant   # one entry per output feature, or a single one (per tensor)
    batches: int
    in_features: int
    out_features: int


@dataclass(frozen=True)
class FullyConnectedFastArgs:
    """Arguments of the fast fully connected kernels (tg_fully_connected_dsp_s8 / _scalar_s8)."""

    params: FcFastParams  # with the packed weights and the channel words (tinygen.fast.conv)


def per_tensor_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> tuple[int, int]:
    """The per-tensor path (GetQuantizedConvolutionMultipler): input scale x weights scale / output
    scale, every float32 scale widened to double first.

    Beware: the TFLM source tree (kernel_util.cc, mirror of Aug 2026) writes the product in float32
    before widening, but the `tflite-micro` pip package that is our oracle (nightly of Oct 2026)
    widens both scales first (its x86-64 code is cvtss2sd, cvtss2sd, mulsd). The two differ by
    about 1e-8 relative in a few percent of scale triples, which changes an output by 1 for some
    accumulator values; tests/host/test_conv_pool.py pins this against the oracle."""
    product = float(np.float32(input_scale)) * float(np.float32(filter_scale))
    return Q.quantize_multiplier(product / float(np.float32(output_scale)))


@register
class FullyConnected(OpDef):
    kind = "FULLY_CONNECTED"
    options = "FullyConnectedOptions"
    function = "tg_fully_connected_s8"
    input_names = ("input", "weights", "bias")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return FullyConnectedAttrs()
        return FullyConnectedAttrs(
            activation=fused_activation(opts.fusedActivationFunction),
            keep_num_dims=bool(opts.keepNumDims),
            weights_format=int(opts.weightsFormat or 0),
            quantized_bias_type=int(getattr(opts, "quantizedBiasType", 0) or 0),
        )

    def write_options(self, a: FullyConnectedAttrs):
        o = schema.FullyConnectedOptionsT()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        o.keepNumDims = bool(a.keep_num_dims)
        o.weightsFormat = a.weights_format
        o.quantizedBiasType = int(a.quantized_bias_type)
        return o

    def infer(self, op):
        x, w = op.inputs[0], op.inputs[1]
        units, depth = w.shape[0], w.shape[-1]
        if op.attrs.keep_num_dims:
            return [tuple(x.shape[:-1]) + (units,)]
        return [(x.size // depth, units)]

    def check(self, op):
        a: FullyConnectedAttrs = op.attrs
        if len(op.inputs) not in (2, 3) or len(op.outputs) != 1:
            raise unsupported(op, "expects input, weights, optional bias and one output")
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        y = op.outputs[0]
        precision.check_types(op, per_channel_int4=False)
        qx, qy = x.quant, y.quant
        check_rank(op, w, 2, what="weights")
        if not w.is_const:
            raise unsupported(op, f"weights {w.name!r} are not constant; tinygen keeps weights in flash")
        if a.weights_format != _WEIGHTS_DEFAULT:
            raise unsupported(op, f"weights format {a.weights_format} (shuffled) is not supported")
        check_fused(op, a.activation)
        units, depth = w.shape
        if y.rank < 1 or y.shape[-1] != units:
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; its last dimension must be the {units} units")
        batches = y.size // units if units else 0
        if depth <= 0 or x.size != batches * depth:
            raise unsupported(op, f"input {x.name!r} {list(x.shape)} is not {batches} rows of {depth} features "
                                  f"(output {list(y.shape)})")
        qw = quant(op, w, "weights")
        if qw.per_channel:
            if qw.scale.size != units or qw.axis != 0:
                raise unsupported(op, f"weights {w.name!r} have {qw.scale.size} scales along axis {qw.axis}; "
                                      f"per-channel weights need {units} scales along axis 0")
        elif not -128 <= qw.zp <= 127:
            raise unsupported(op, f"weights {w.name!r} have zero point {qw.zp} outside int8 range")
        if b is not None:
            if not b.is_const or b.size != units:
                raise unsupported(op, f"bias {b.name!r} must be a constant of {units} values")
            if not qw.per_channel:
                # TFLM's Prepare refuses a bias scale far from input_scale * weights_scale
                product = float(np.float32(qx.s)) * float(np.float32(qw.s))
                bias_scale = float(b.quant.scale[0]) if b.quant is not None and b.quant.scale.size else 0.0
                if abs(product - bias_scale) / float(np.float32(qy.s)) > 0.02:
                    raise unsupported(op, f"bias {b.name!r} scale {bias_scale:g} differs from input scale x weights "
                                          f"scale {product:g} (TFLite Micro refuses this model)")

    def prepare(self, op):
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        a: FullyConnectedAttrs = op.attrs
        qx, qw, qy = x.quant, w.quant, y.quant
        units, depth = w.shape
        if qw.per_channel:
            eff = [float(np.float32(qx.s)) * float(s) / float(np.float32(qy.s)) for s in qw.scale]
            mult, shift = Q.quantize_multiplier_array(eff)
            filter_offset = 0  # the per-channel reference ignores weight zero points
        else:
            m, s = per_tensor_multiplier(qx.s, qw.s, qy.s)
            mult, shift = np.array([m], dtype=np.int32), np.array([s], dtype=np.int32)
            filter_offset = -qw.zp
        params = FullyConnectedParams(input_offset=-qx.zp, filter_offset=filter_offset, output_offset=qy.zp,
                                      per_channel=int(bool(qw.per_channel)), activation=activation_range(a.activation, y))
        return FullyConnectedArgs(params=params, quant=PerChannelQuant(multiplier=mult, shift=shift),
                                  batches=y.size // units, in_features=depth, out_features=units)

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def variants(self, op, target: Target):
        """tg_fully_connected_dsp_s8 on cores with the DSP extension, tg_fully_connected_scalar_s8
        on Cortex-M0/M0+ and where the DSP kernel does not apply (both without scratch, same write
        order), then the portable kernel."""
        args = self.prepare(op)
        if precision.is_s4(op) or precision.is_s16(op):
            return precision.fc_variants(self, op, target, args)
        portable = self.kernel(op, args)
        if target.cpu is None:
            return [portable]
        layer = fc_layer(op, args)
        if target.dsp and fc_dsp_unsupported(layer) is None:
            low, fn, query = lower_fc_dsp(layer), "tg_fully_connected_dsp_s8", "tg_fully_connected_dsp_s8_get_buffer_size"
        elif fc_scalar_unsupported(layer) is None:  # also the DSP cores' fallback (e.g. depth % 4 != 0)
            low, fn = lower_fc_scalar(layer), "tg_fully_connected_scalar_s8"
            query = "tg_fully_connected_scalar_s8_get_buffer_size"
        else:
            return [portable]
        fast = self.kernel(op, FullyConnectedFastArgs(params=low.params),
                           variant="dsp" if fn == "tg_fully_connected_dsp_s8" else "scalar", function=fn,
                           template="ops/fully_connected_fast.c.j2",
                           scratch_bytes=buffer_size(query, low.params))
        return [fast, portable]

    def macs(self, op):
        w, y = op.inputs[1], op.outputs[0]
        return y.size * w.shape[1]

    def overlap_gaps(self, op):
        """Rows in order; every output of row r is written after row r is read in full and before
        row r + 1 is read (the kernel's documented order): the output may start
        max_r((r + 1) * O - r * I) bytes below the input (O, I: a row's bytes, int8 or int16)."""
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        i_feat, o_feat = w.shape[1], w.shape[0]
        rows = x.size // i_feat
        i_row, o_row = i_feat * x.itemsize, o_feat * y.itemsize
        return [(0, 0, max(o_row + r * (o_row - i_row) for r in range(rows)))]


def fc_layer(op: Op, args: FullyConnectedArgs) -> FcLayer:
    """A FULLY_CONNECTED operator as the fast kernels' lowering sees it (tinygen.fast.conv)."""
    p, q = args.params, args.quant
    b = op.inputs[2] if len(op.inputs) > 2 else None
    return FcLayer(weights=op.inputs[1].data.reshape(args.out_features, args.in_features),
                   bias=None if b is None else b.data.astype(np.int32).reshape(-1), batches=args.batches,
                   input_offset=p.input_offset, filter_offset=p.filter_offset, output_offset=p.output_offset,
                   multiplier=q.multiplier, shift=q.shift, act_min=p.activation.min, act_max=p.activation.max)
