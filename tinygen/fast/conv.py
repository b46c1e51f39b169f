"""Fast CONV_2D and FULLY_CONNECTED kernels: predicates and compile-time lowering.

Kernels (kernels/include/tg_nn.h):
    tg_conv_dsp_s8              Cortex-M4/M7/M33 (DSP extension): SMLAD blocked matrix multiply
    tg_conv_scalar_s8           Cortex-M0+ (no DSP): 32-bit multiply-accumulate, no division
    tg_fully_connected_dsp_s8   Cortex-M4/M7/M33
    tg_fully_connected_scalar_s8  Cortex-M0+
They compute exactly what tg_conv_s8 / tg_fully_connected_s8 compute (and so TFLite Micro)
whenever the predicate accepts the layer; everything else stays on the portable kernels.

CONV_2D, from the operator definition (tinygen/ops/conv2d.py; p = Conv2D.prepare(op)):

    layer = ConvLayer(input_dims=(p.in_dims.n, .h, .w, .c), output_dims=(... p.out_dims ...),
                      filter=w.data,           # int8 [C_out, KH, KW, C_in] (one group)
                      bias=b.data or None,     # int32 [C_out]
                      stride=p.stride, padding=p.padding, dilation=p.dilation,   # (h, w)
                      input_offset=p.input_offset, output_offset=p.output_offset,
                      multiplier=p.multiplier, shift=p.shift,   # per output channel
                      act_min=p.act_min, act_max=p.act_max)
    Cortex-M4/M7/M33:
        conv_dsp_unsupported(layer) -> None when tg_conv_dsp_s8 applies, else the reason
        low = lower_conv_dsp(layer)  -> ConvLowering(params: ConvFastParams, weights: int32 array,
                                        channels: int32 array, pad_row: int8 array)
        C:  static const tg_conv_fast_params P = {...};  (low.params: geometry, dims and the arrays
            weights, channels, pad_row as named constants: EmitContext.decl)
            tg_conv_dsp_s8(&ctx, &P, input, output);
        Scratch: the kernel picks its mode from the buffer it is given (4-byte aligned):
            tg_conv_dsp_s8_get_buffer_size(&P)                             fastest ("full")
            tg_conv_dsp_s8_get_mid_buffer_size(...)                        ~10 % slower
            tg_conv_dsp_s8_get_min_buffer_size(...)                        ~25 % slower
            no buffer (ctx NULL / size 0): one pixel at a time, ~1.7x slower; needs
            conv_dsp_unsupported(layer, scratch=False) is None (C_in % 4 == 0) and pad_row.
            Plan the largest that does not grow the arena (a layer's scratch lives only during
            the layer); benchmarks/kernels_conv.py does exactly that for the shared models.
            pad_row is read only without a buffer: NULL otherwise (params with pad_row=None).
    Cortex-M0+:
        conv_scalar_unsupported(layer) / lower_conv_scalar(layer) (weights: int8 rows)
        C:  tg_conv_scalar_s8(&P, input, output);
        no scratch (tg_conv_scalar_s8_get_buffer_size() returns 0); pad_row is needed.
    Write order: the tg_nn.h raster contract (overlap_gaps() of the portable kernel stay valid).

FULLY_CONNECTED (p = FullyConnected.prepare(op)):

    layer = FcLayer(weights=w.data.reshape(p.out_features, p.in_features),   # int8
                    bias=b.data or None, batches=p.batches, input_offset=p.input_offset,
                    filter_offset=p.filter_offset, output_offset=p.output_offset,
                    multiplier=p.multiplier, shift=p.shift,      # one per output, or one
                    act_min=p.act_min, act_max=p.act_max)
    fc_dsp_unsupported(layer) / lower_fc_dsp(layer) -> FcLowering(params: FcFastParams,
        weights: int32 array, channels: int32 array)
        C:  tg_fully_connected_dsp_s8(&P, input, output);   no scratch (P holds weights, channels)
    fc_scalar_unsupported(layer) / lower_fc_scalar(layer) (weights: int8 rows)
        C:  tg_fully_connected_scalar_s8(&P, input, output); no scratch
    Write order: row by row, as the portable kernel (its overlap_gaps() stay valid).

Constant arrays: emit `weights` and `channels` with their numpy dtypes (int32 arrays are 4-byte
aligned by C, which the DSP kernels' LDRD/LDM need). They replace the filter, bias, multiplier
and shift arrays of the portable kernels: 12 bytes per output channel as those (the shift is
encoded in the rounding word), plus the bias words of layers without a bias and the zero padding
of rows to multiples of 8 values.

`padding` may be any integer pair, negative included (patches); the predicates do not depend on
it nor on the spatial dimensions, so one lowering serves every patch of a layer (pad_row holds a
whole window, KH * KW * C_in bytes).

Numerics (kernels/src/tg_fast.h): the input offset is folded into the bias (bias + input_offset *
sum(w)), so the kernels multiply raw int8 pairs; a padded input element takes the value of the
input zero point (pad_value), which then contributes w * (zp + input_offset) = 0 as in TFLM. The
requantization uses one SMMLAR: exact for every input when, per channel with nonzero weights,
the right shift n >= 1, |acc| < 2^30 for every possible input (bound from |w|, the input range
and the bias) and the rounding word 2^(n-1) + zp 2^n fits. Channels whose weights are all zero
have a constant output, computed here. The accumulator never wraps under these bounds, so the
result equals the portable kernel's (whose int32 arithmetic wraps) everywhere. A per-tensor
filter zero point of a fully connected layer becomes filter_offset * sum(input row), added at
run time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import HW, Dims, Range, cstruct

#: int32 words per output channel in the `channels` array (bias, multiplier, round); the shift n is
#: encoded in the rounding word round = (2 zp + 1) 2^(n-1) (its trailing zero bits, tg_fast.h)
CH_WORDS = 3
_LIM_ACC = 1 << 30
_LIM_I32 = 1 << 31


@cstruct("tg_conv_fast_params")
@dataclass(frozen=True, eq=False)
class ConvFastParams:
    """Mirror of tg_conv_fast_params: geometry, shapes and the layer's constant arrays (emitted as
    named constants in flash; None renders as NULL)."""

    filter: HW
    stride: HW
    padding: HW
    dilation: HW
    pad_value: int
    activation: Range
    input_dims: Dims
    output_dims: Dims
    weights: np.ndarray | None = None
    channels: np.ndarray | None = None
    pad_row: np.ndarray | None = None


@dataclass(frozen=True)
class ConvLayer:
    """A CONV_2D layer as the kernels see it (see the module docstring)."""

    input_dims: tuple[int, int, int, int]
    output_dims: tuple[int, int, int, int]
    filter: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    input_offset: int
    output_offset: int
    multiplier: np.ndarray
    shift: np.ndarray
    act_min: int = -128
    act_max: int = 127


@dataclass(frozen=True)
class ConvLowering:
    params: ConvFastParams
    weights: np.ndarray    # packed filter (int32 words for tg_conv_dsp_s8; int8 for tg_conv_scalar_s8)
    channels: np.ndarray   # int32, CH_WORDS per output channel, channel count rounded up to even
    pad_row: np.ndarray    # int8, KH * KW * C_in bytes of the input zero point


# -- requantization constants ---------------------------------------------------------------------
def input_abs_max(input_offset: int) -> int:
    """Largest |x + input_offset| over int8 x."""
    return max(abs(-128 + input_offset), abs(127 + input_offset))


def row_words(w2d: np.ndarray, bias: np.ndarray | None, input_offset: int, output_offset: int,
              multiplier, shift, act_min: int, act_max: int, filter_offset: int = 0,
              allow_constant: bool = True) -> tuple[np.ndarray | None, str | None]:
    """Per row r of the weights w2d [rows, K] (int8, applied as w + filter_offset): the int32 words
    (bias + input_offset * sum(w + filter_offset), multiplier, round) of the fast requantization
    ([rows, CH_WORDS]; round = 2^(n-1) + output_offset 2^n also encodes the right shift n as its
    trailing zero bits plus one), or (None, reason) when it is not exact for some row.
    multiplier/shift: one per row or one for all rows. With allow_constant, a row whose weights
    (+ filter_offset) are all zero becomes the constant encoding (0, 0, 2 c + 1) (n = 1) of its
    output c whatever its multiplier; otherwise it must satisfy the bounds like any row."""
    rows, depth = w2d.shape
    w = w2d.astype(np.int64) + int(filter_offset)
    b = np.zeros(rows, np.int64) if bias is None else np.asarray(bias, np.int64).reshape(-1)
    mult = np.broadcast_to(np.asarray(multiplier, np.int64).reshape(-1), (rows,))
    shf = np.broadcast_to(np.asarray(shift, np.int64).reshape(-1), (rows,))
    if not (Q.INT8_MIN <= act_min <= act_max <= Q.INT8_MAX):
        return None, f"activation range [{act_min}, {act_max}] is not inside int8"
    if not Q.INT8_MIN <= output_offset <= Q.INT8_MAX:
        return None, f"output offset {output_offset} outside int8"
    xmax = input_abs_max(input_offset)
    out = np.zeros((rows, CH_WORDS), np.int64)
    for r in range(rows):
        m, s = int(mult[r]), int(shf[r])
        wabs = int(np.abs(w[r]).sum())
        if wabs == 0 and allow_constant:
            # acc == bias for every input: a constant output (the portable kernel cannot wrap)
            v = Q.multiply_by_quantized_multiplier(int(b[r]), m, s) + output_offset
            const = min(max(v, act_min), act_max)
            out[r] = (0, 0, 2 * const + 1)
            continue
        n = -s
        if not 0 <= m < _LIM_I32:
            return None, f"row {r}: multiplier {m} outside [0, 2^31)"
        if n < 1 or n > 31:
            return None, f"row {r}: shift {s} is not a right shift of 1..31"
        bound = wabs * xmax + abs(int(b[r]))
        if bound >= _LIM_ACC:
            return None, f"row {r}: accumulator bound {bound} >= 2^30"
        rnd = (1 << (n - 1)) + output_offset * (1 << n)
        if ((bound * m) >> 31) + 1 + abs(rnd) + 1 >= _LIM_I32:
            return None, f"row {r}: rounding term {rnd} overflows with shift {n}"
        folded = int(b[r]) + input_offset * int(w[r].sum())
        out[r] = (folded, m, rnd)
    return out.astype(np.int32), None


def channel_words(w2d: np.ndarray, bias: np.ndarray | None, input_offset: int, output_offset: int,
                  multiplier, shift, act_min: int, act_max: int) -> tuple[np.ndarray | None, str | None]:
    """The convolution kernels' `channels` array: row_words() of every output channel, a dummy
    channel (constant 0, never stored) added to an odd count, laid out per channel pair as
    [bias0, bias1, mult0, round0, mult1, round1]."""
    words, why = row_words(w2d, bias, input_offset, output_offset, multiplier, shift, act_min, act_max)
    if words is None:
        return None, why
    if words.shape[0] % 2:
        words = np.concatenate([words, np.array([[0, 0, 1]], np.int32)])
    pairs = words.reshape(-1, 2, CH_WORDS)
    out = np.concatenate([pairs[:, :, 0], pairs[:, 0, 1:], pairs[:, 1, 1:]], axis=1)
    return np.ascontiguousarray(out, dtype=np.int32).reshape(-1), None


# -- CONV_2D ---------------------------------------------------------------------------------------
def _conv_basic(layer: ConvLayer) -> str | None:
    f = np.asarray(layer.filter)
    if f.dtype != np.int8 or f.ndim != 4:
        return f"filter must be int8 [C_out, KH, KW, C_in], got {f.dtype} {list(f.shape)}"
    cout, kh, kw, kc = f.shape
    n, _, _, cin = layer.input_dims
    if kc != cin:
        return f"grouped convolution (filter depth {kc}, input depth {cin})"
    if layer.output_dims[3] != cout or layer.output_dims[0] != n:
        return "output dims do not match the filter / input"
    if min(layer.stride) < 1 or min(layer.dilation) < 1:
        return "stride and dilation must be >= 1"
    if np.asarray(layer.multiplier).size != cout or np.asarray(layer.shift).size != cout:
        return "one multiplier and shift per output channel expected"
    return None


def _conv_words(layer: ConvLayer):
    f = np.asarray(layer.filter)
    return channel_words(f.reshape(f.shape[0], -1), layer.bias, layer.input_offset, layer.output_offset,
                         layer.multiplier, layer.shift, layer.act_min, layer.act_max)


def conv_dsp_unsupported(layer: ConvLayer, scratch: bool = True) -> str | None:
    """None if tg_conv_dsp_s8 computes this layer bit-exactly (with the scratch buffer when
    `scratch`, else one pixel at a time), else the reason it does not apply."""
    why = _conv_basic(layer)
    if why is None and not scratch and layer.input_dims[3] % 4 != 0:
        why = f"without scratch the input depth must be a multiple of 4 (is {layer.input_dims[3]})"
    return why if why is not None else _conv_words(layer)[1]


def conv_scalar_unsupported(layer: ConvLayer) -> str | None:
    """None if tg_conv_scalar_s8 computes this layer bit-exactly, else the reason."""
    why = _conv_basic(layer)
    return why if why is not None else _conv_words(layer)[1]


def _params(layer: ConvLayer, weights: np.ndarray, channels: np.ndarray, pad_row: np.ndarray) -> ConvFastParams:
    f = np.asarray(layer.filter)
    return ConvFastParams(filter=HW(int(f.shape[1]), int(f.shape[2])), stride=HW(*map(int, layer.stride)),
                          padding=HW(*map(int, layer.padding)), dilation=HW(*map(int, layer.dilation)),
                          pad_value=-int(layer.input_offset), activation=Range(int(layer.act_min), int(layer.act_max)),
                          input_dims=Dims(*map(int, layer.input_dims)), output_dims=Dims(*map(int, layer.output_dims)),
                          weights=weights, channels=channels, pad_row=pad_row)


def _pad_row(layer: ConvLayer) -> np.ndarray:
    """K = KH * KW * C_in bytes of the input zero point (padded runs of a window, merged across
    rows, are read from it)."""
    f = np.asarray(layer.filter)
    return np.full(f.shape[1] * f.shape[2] * f.shape[3], -int(layer.input_offset), dtype=np.int8)


def pack_conv_dsp_weights(w2d: np.ndarray) -> np.ndarray:
    """[rows, K] int8 -> the tg_conv_dsp_s8 layout as little-endian int32 words: rows in pairs (a
    zero row added to an odd count), K padded with zeros to a multiple of 8; per pair and per group
    g of four values, row 2j's word then row 2j + 1's."""
    rows, depth = w2d.shape
    k8 = (depth + 7) // 8 * 8
    padded = np.zeros((rows + rows % 2, k8), np.int8)
    padded[:rows, :depth] = w2d
    packed = padded.reshape(-1, 2, k8 // 4, 4).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(packed).reshape(-1).view("<i4").astype(np.int32)


def lower_conv_dsp(layer: ConvLayer) -> ConvLowering:
    """Everything tg_conv_dsp_s8 needs (raises ValueError where conv_dsp_unsupported says no)."""
    why = _conv_basic(layer)
    words, why2 = (None, why) if why else _conv_words(layer)
    if words is None:
        raise ValueError(f"tg_conv_dsp_s8 does not apply: {why2}")
    f = np.asarray(layer.filter)
    weights, pad_row = pack_conv_dsp_weights(f.reshape(f.shape[0], -1)), _pad_row(layer)
    return ConvLowering(params=_params(layer, weights, words, pad_row), weights=weights, channels=words,
                        pad_row=pad_row)


def lower_conv_scalar(layer: ConvLayer) -> ConvLowering:
    """Everything tg_conv_scalar_s8 needs: the filter as [C_out rounded up to even, K] int8 rows (a
    zero row added to an odd count), the channel words and the pad row."""
    why = _conv_basic(layer)
    words, why2 = (None, why) if why else _conv_words(layer)
    if words is None:
        raise ValueError(f"tg_conv_scalar_s8 does not apply: {why2}")
    f = np.asarray(layer.filter)
    rows = f.reshape(f.shape[0], -1)
    w = np.zeros((rows.shape[0] + rows.shape[0] % 2, rows.shape[1]), np.int8)
    w[: rows.shape[0]] = rows
    weights, pad_row = w.reshape(-1), _pad_row(layer)
    return ConvLowering(params=_params(layer, weights, words, pad_row), weights=weights, channels=words,
                        pad_row=pad_row)


# -- FULLY_CONNECTED -------------------------------------------------------------------------------
@cstruct("tg_fc_fast_params")
@dataclass(frozen=True, eq=False)
class FcFastParams:
    """Mirror of tg_fc_fast_params."""

    batches: int
    in_features: int
    out_features: int
    filter_offset: int
    per_channel: int
    activation: Range
    weights: np.ndarray | None = None
    channels: np.ndarray | None = None


@dataclass(frozen=True)
class FcLayer:
    """A FULLY_CONNECTED layer as the kernels see it: prepare()'s FullyConnectedParams fields and
    the constant tensors (weights [out_features, in_features] int8, bias int32 or None)."""

    weights: np.ndarray
    bias: np.ndarray | None
    batches: int
    input_offset: int
    filter_offset: int
    output_offset: int
    multiplier: np.ndarray   # one per output feature, or a single one (per tensor)
    shift: np.ndarray
    act_min: int = -128
    act_max: int = 127


@dataclass(frozen=True)
class FcLowering:
    params: FcFastParams
    weights: np.ndarray    # int32 words (dsp) or int8 rows (scalar)
    channels: np.ndarray   # int32: R folded biases, then (multiplier, round) per row or once


#: the fully connected kernels' weight rows come in pairs (an odd count gets a zero row)
FC_ROWS = 2
#: their biases (and per-channel quantization words) are padded to whole passes of four rows
FC_PASS = 4


def _fc_words(layer: FcLayer) -> tuple[np.ndarray | None, str | None]:
    w = np.asarray(layer.weights)
    if w.dtype != np.int8 or w.ndim != 2:
        return None, f"weights must be int8 [out, in], got {w.dtype} {list(w.shape)}"
    rows = w.shape[0]
    per_channel = np.asarray(layer.multiplier).size > 1
    if per_channel and (np.asarray(layer.multiplier).size != rows or np.asarray(layer.shift).size != rows):
        return None, "per-channel quantization needs one multiplier and shift per output feature"
    if not Q.INT8_MIN <= layer.filter_offset <= Q.INT8_MAX + 1:
        return None, f"filter offset {layer.filter_offset} outside [-128, 128]"
    if layer.batches < 1:
        return None, "no batch"
    words, why = row_words(w, layer.bias, layer.input_offset, layer.output_offset, layer.multiplier, layer.shift,
                           layer.act_min, layer.act_max, filter_offset=layer.filter_offset,
                           allow_constant=per_channel)
    if words is None:
        return None, why
    padded = -(-rows // FC_PASS) * FC_PASS
    bias = np.zeros(padded, np.int32)
    bias[:rows] = words[:, 0]
    if per_channel:
        quant = np.tile(np.array([0, 1], np.int32), (padded, 1))  # padding rows: constant 0
        quant[:rows] = words[:, 1:]
    else:
        quant = words[:1, 1:]
    return np.concatenate([bias, quant.reshape(-1)]).astype(np.int32), None


def fc_dsp_unsupported(layer: FcLayer) -> str | None:
    """None if tg_fully_connected_dsp_s8 computes this layer bit-exactly, else the reason."""
    depth = np.asarray(layer.weights).shape[-1]
    if depth % 4:
        return f"input features {depth} not a multiple of 4 (the DSP kernel reads whole words)"
    return _fc_words(layer)[1]


def fc_scalar_unsupported(layer: FcLayer) -> str | None:
    """None if tg_fully_connected_scalar_s8 computes this layer bit-exactly, else the reason."""
    return _fc_words(layer)[1]


def _fc_params(layer: FcLayer, weights: np.ndarray, channels: np.ndarray) -> FcFastParams:
    rows, depth = np.asarray(layer.weights).shape
    return FcFastParams(batches=int(layer.batches), in_features=int(depth), out_features=int(rows),
                        filter_offset=int(layer.filter_offset),
                        per_channel=int(np.asarray(layer.multiplier).size > 1),
                        activation=Range(int(layer.act_min), int(layer.act_max)), weights=weights, channels=channels)


def pack_fc_dsp_weights(w2d: np.ndarray) -> np.ndarray:
    """[rows, K] int8 -> the tg_fully_connected_dsp_s8 layout: the convolution's pair layout
    (pack_conv_dsp_weights: K padded with zeros to a multiple of 8, a zero row added to an odd
    count; the kernel reads two pairs, four rows, per pass)."""
    return pack_conv_dsp_weights(w2d)


def lower_fc_dsp(layer: FcLayer) -> FcLowering:
    """Everything tg_fully_connected_dsp_s8 needs (raises ValueError where fc_dsp_unsupported says no):
    the weights packed by pack_fc_dsp_weights, the channel words, the parameters.
    Call: tg_fully_connected_dsp_s8(&params, input, output); no scratch."""
    words, why = _fc_words(layer)
    if words is None:
        raise ValueError(f"tg_fully_connected_dsp_s8 does not apply: {why}")
    weights = pack_fc_dsp_weights(np.asarray(layer.weights))
    return FcLowering(params=_fc_params(layer, weights, words), weights=weights, channels=words)


def lower_fc_scalar(layer: FcLayer) -> FcLowering:
    """Everything tg_fully_connected_scalar_s8 needs: the weights unchanged plus a zero row for an
    odd count (int8 [rows rounded up to even, K]) and the channel words."""
    words, why = _fc_words(layer)
    if words is None:
        raise ValueError(f"tg_fully_connected_scalar_s8 does not apply: {why}")
    w = np.asarray(layer.weights)
    rows = w.shape[0]
    padded = np.zeros((rows + rows % 2, w.shape[1]), np.int8)
    padded[:rows] = w
    weights = padded.reshape(-1)
    return FcLowering(params=_fc_params(layer, weights, words), weights=weights, channels=words)


__all__ = ["CH_WORDS", "FC_ROWS", "ConvFastParams", "ConvLayer", "ConvLowering", "FcFastParams",
           "FcLayer", "FcLowering", "channel_words", "conv_dsp_unsupported", "conv_scalar_unsupported",
           "fc_dsp_unsupported", "fc_scalar_unsupported", "input_abs_max", "lower_conv_dsp", "lower_conv_scalar",
           "lower_fc_dsp", "lower_fc_scalar", "pack_conv_dsp_weights", "pack_fc_dsp_weights", "row_words"]
