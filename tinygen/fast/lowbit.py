"""DSP kernels for int4 weights and 16x8 layers: compile-time layouts, channel words and the
conditions under which they are bit-exact (kernels/include/tg_nn_precision.h,
kernels/src/tg_lowbit_dsp.h).

    tg_conv_dsp_s4 / tg_conv_dsp_s16                CONV_2D (one group)
    tg_depthwise_conv_dsp_s4 / _dsp_s16             DEPTHWISE_CONV_2D (depth multiplier 1, C % 4 == 0)
    tg_fully_connected_dsp_s4 / _dsp_s16            FULLY_CONNECTED

Each `lower_*` function returns the kernel's arrays (and a reason string instead when the kernel is
not exact for the layer: the operator then keeps its portable kernel).

int4 weights (int8 activations, int8 output): the kernels unpack eight nibbles into four words of
int16 pairs each value times 16, so the accumulator is 16 A with A = b + sum(w x) over raw int8
inputs x and the folded bias b = bias + input_offset sum(w) (a padded tap reads the input zero
point, which then contributes w (zp + input_offset) = 0, as in TFLite Micro). Exact when, per
channel, |b| + 128 sum|w| < 2^27 (16 A fits int32, so no sum wraps), the right shift n is 1..31,
0 <= M < 2^31, and the SMMLAR sum |2 A M / 2^32| + |2^(n-1) + zp 2^n| + 2 < 2^31; then
SMMLAR(2 A, M, 2^(n-1) + zp 2^n - [A < 0]) >> n equals TFLite Micro's
RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(A, M), n) + zp (tinygen/fast/conv.py gives the
argument). A channel whose weights are all zero has a constant output c; it is encoded with M = 2^30
and n = 1 and a bias that yields c (no bound needed).

16x8 (int16 activations, zero point 0, no offsets): products w x with |x| <= 32768 summed in 32
bits; exact when |bias| + 32768 sum|w| < 2^31 (2^30 for the int32 path). The int64 path
(TFLite's default) computes floor((A r + 2^(t-1)) / 2^t) with r the multiplier rounded to 16 bits
and t = 15 - shift; with mult = r 2^16 and n = t - 16 >= 1, SMMLA(A, mult, 2^(n-1)) >> n is
floor((floor(A r / 2^16) + 2^(n-1)) / 2^n), the same value. The int32 path (an int32 bias) is the
int8 kernels' double rounding with zero point 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import HW, Range, cstruct

_I31 = 1 << 31
_I30 = 1 << 30
_I27 = 1 << 27
#: largest |x| of an int8 input (raw stored value) and of an int16 input
_X8 = 128
_X16 = 32768


@cstruct("tg_conv_lb_params")
@dataclass(frozen=True)
class LbConvParams:
    """Mirror of tg_conv_lb_params."""

    filter: HW
    stride: HW
    padding: HW
    dilation: HW
    pad_value: int
    output_offset: int
    acc64: int
    activation: Range


@cstruct("tg_dw_lb_params")
@dataclass(frozen=True)
class LbDwParams:
    """Mirror of tg_dw_lb_params."""

    filter: HW
    stride: HW
    padding: HW
    dilation: HW
    pad_value: int
    output_offset: int
    activation: Range


@cstruct("tg_fc_lb_params")
@dataclass(frozen=True)
class LbFcParams:
    """Mirror of tg_fc_lb_params."""

    batches: int
    in_features: int
    out_features: int
    output_offset: int
    acc64: int
    activation: Range


@dataclass(frozen=True)
class LbLayer:
    """A CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED layer as the DSP kernels see it.

    rows: the weights as [channels, K] (int values: int4 in [-8, 7] or int8), one row per output
    channel in window order (ky, kx, c) - for a depthwise layer K is KH * KW; bias: int values or
    None; multiplier/shift: per row, or one entry for all rows; input_offset/output_offset: of
    int8 activations (0 for int16); act_min/act_max: the clamp; acc64: the 16x8 int64 path."""

    rows: np.ndarray
    bias: np.ndarray | None
    multiplier: np.ndarray
    shift: np.ndarray
    input_offset: int = 0
    output_offset: int = 0
    act_min: int = -128
    act_max: int = 127
    acc64: bool = True


def _per_row(v, rows: int) -> np.ndarray:
    v = np.asarray(v, np.int64).reshape(-1)
    return np.broadcast_to(v, (rows,)) if v.size == 1 else v


# -- channel words ----------------------------------------------------------------------------------
#: the largest left shift (TFLite shift > 0) the int4 kernels take: the SMMLAR input is
#: acc16 >> (3 - L) = 2 acc 2^L
MAX_LEFT_SHIFT = 3


def s4_row_words(layer: LbLayer, allow_constant: bool = True) -> tuple[np.ndarray | None, str | None]:
    """Per row (16 b, M, round, spec) for the int4 kernels (int8 output), or (None, reason):
    spec = n | a << 5 with n the right shift and a = 3 - L (L the left shift, where TFLite's shift
    is positive; then n = 0); round = 2^(n-1) + zp 2^n, or zp when n = 0."""
    w = np.asarray(layer.rows, np.int64)
    rows = w.shape[0]
    b = np.zeros(rows, np.int64) if layer.bias is None else np.asarray(layer.bias, np.int64).reshape(-1)
    mult, shf = _per_row(layer.multiplier, rows), _per_row(layer.shift, rows)
    zp = int(layer.output_offset)
    if not (Q.INT8_MIN <= layer.act_min <= layer.act_max <= Q.INT8_MAX):
        return None, f"activation range [{layer.act_min}, {layer.act_max}] is not inside int8"
    if not Q.INT8_MIN <= zp <= Q.INT8_MAX:
        return None, f"output offset {zp} outside int8"
    out = np.zeros((rows, 4), np.int64)
    for r in range(rows):
        m, sh = int(mult[r]), int(shf[r])
        wabs = int(np.abs(w[r]).sum())
        if wabs == 0 and allow_constant:
            v = Q.multiply_by_quantized_multiplier(int(b[r]), m, sh) + zp
            c = min(max(v, layer.act_min), layer.act_max)
            k = 2 * c - 2 * zp - 1
            k = k if k >= 0 else k + 1
            # SMMLAR(2 (2k), 2^30, 1 + 2 zp - [k < 0]) >> 1 == c
            out[r] = (16 * 2 * k, 1 << 30, 1 + 2 * zp, 1 | (3 << 5))
            continue
        if not 0 <= m < _I31:
            return None, f"row {r}: multiplier {m} outside [0, 2^31)"
        left, n = max(sh, 0), max(-sh, 0)
        if left > MAX_LEFT_SHIFT or n > 31:
            return None, f"row {r}: shift {sh} outside [-31, {MAX_LEFT_SHIFT}]"
        folded = int(b[r]) + int(layer.input_offset) * int(w[r].sum())
        bound = abs(folded) + _X8 * wabs
        if bound >= _I27 or (bound << (left + 1)) >= _I31:
            return None, f"row {r}: accumulator bound {bound} too large (16 A and 2 A 2^{left} must fit 32 bits)"
        rnd = (1 << (n - 1)) + zp * (1 << n) if n else zp
        if ((2 * (bound << left) * m) >> 32) + 2 + abs(rnd) >= _I31:
            return None, f"row {r}: rounding term {rnd} overflows with shift {sh}"
        out[r] = (16 * folded, m, rnd, n | ((3 - left) << 5))
    return out, None


def _reduced(m: int) -> int:
    """TFLite's 16-bit multiplier of the int64 MultiplyByQuantizedMultiplier."""
    return (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF


def s16_row_words(layer: LbLayer) -> tuple[np.ndarray | None, str | None]:
    """Per row (bias, mult, round, n) for the 16x8 kernels, or (None, reason)."""
    w = np.asarray(layer.rows, np.int64)
    rows = w.shape[0]
    b = np.zeros(rows, np.int64) if layer.bias is None else np.asarray(layer.bias, np.int64).reshape(-1)
    mult, shf = _per_row(layer.multiplier, rows), _per_row(layer.shift, rows)
    if not (Q.INT16_MIN <= layer.act_min <= layer.act_max <= Q.INT16_MAX):
        return None, f"activation range [{layer.act_min}, {layer.act_max}] is not inside int16"
    limit = _I31 if layer.acc64 else _I30
    out = np.zeros((rows, 4), np.int64)
    for r in range(rows):
        m, s = int(mult[r]), int(shf[r])
        bound = abs(int(b[r])) + _X16 * int(np.abs(w[r]).sum())
        if bound >= limit:
            return None, f"row {r}: accumulator bound {bound} >= 2^{limit.bit_length() - 1}"
        if not 0 <= m < _I31:
            return None, f"row {r}: multiplier {m} outside [0, 2^31)"
        if layer.acc64:
            n = 15 - s - 16
            if not 1 <= n <= 31:
                return None, f"row {r}: shift {s} leaves no right shift after the 16-bit multiply"
            out[r] = (int(b[r]), _reduced(m) << 16, 1 << (n - 1), n)
        else:
            n = -s
            if not 1 <= n <= 31:
                return None, f"row {r}: shift {s} is not a right shift of 1..31"
            if ((2 * bound * m) >> 32) + 2 + (1 << (n - 1)) >= _I31:
                return None, f"row {r}: rounding overflows with shift {n}"
            out[r] = (int(b[r]), m, 1 << (n - 1), n)
    return out, None


# -- weight layouts -----------------------------------------------------------------------------------
def _pad_rows(rows: np.ndarray, multiple: int, even_rows: bool = True) -> np.ndarray:
    r, k = rows.shape
    kp = (k + multiple - 1) // multiple * multiple
    out = np.zeros((r + (r % 2 if even_rows else 0), kp), np.int64)
    out[:r, :k] = rows
    return out


def pack_s4_words(rows: np.ndarray) -> np.ndarray:
    """[R, K] int4 values -> per row and group of eight values v0..v7 one uint32 word whose byte k
    holds v_k (low nibble) and v_(k+4) (high nibble); K padded with zeros to a multiple of 8.
    Returns [R, K8 / 8] uint32."""
    v = np.asarray(rows, np.int64)
    r, k = v.shape
    groups = v.reshape(r, k // 8, 2, 4) & 0xF           # [R, G, (low, high) half, byte]
    byte = groups[:, :, 0, :] | (groups[:, :, 1, :] << 4)
    return (byte[..., 0] | (byte[..., 1] << 8) | (byte[..., 2] << 16) | (byte[..., 3] << 24)).astype(np.uint32)


def pack_s16_words(rows: np.ndarray) -> np.ndarray:
    """[R, K] int8 values -> per row and group of four values one word with bytes [v0, v2, v1, v3]
    (SXTB16 gives (v0, v1), SXTB16 ROR 8 (v2, v3)); K padded to a multiple of 4. [R, K4 / 4] int32."""
    v = np.asarray(rows, np.int64)
    r, k = v.shape
    g = (v.reshape(r, k // 4, 4) & 0xFF)[..., [0, 2, 1, 3]]
    return (g[..., 0] | (g[..., 1] << 8) | (g[..., 2] << 16) | (g[..., 3] << 24)).astype(np.uint32).view(np.int32)


def _pairs(words: np.ndarray) -> np.ndarray:
    """[R (even), G] words -> per row pair and group: row 2j's word, row 2j + 1's (flat)."""
    r, g = words.shape
    return np.ascontiguousarray(words.reshape(r // 2, 2, g).transpose(0, 2, 1)).reshape(-1)


# -- lowerings -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LbLowering:
    weights: np.ndarray   # int32 words (the int4 nibbles, or int8 bytes); for depthwise the packed array
    cw: np.ndarray        # int32 channel words (empty for depthwise: in `weights`)


def lower_conv_s4(layer: LbLayer) -> LbLowering | str:
    """tg_conv_dsp_s4: each output channel's K8 / 8 words in turn; per channel (16 b, M, round,
    spec) with spec = n | a << 5 | [n >= 1] << 7."""
    words, why = s4_row_words(layer)
    if words is None:
        return why
    rows = _pad_rows(layer.rows, 8, even_rows=False)
    w = pack_s4_words(rows).reshape(-1).view(np.int32)
    n, a = words[:, 3] & 31, words[:, 3] >> 5
    spec = n | (a << 5) | np.where(n >= 1, 0x80, 0)   # bit 7: subtract [acc < 0] (a right shift)
    cw = np.stack([words[:, 0], words[:, 1], words[:, 2], spec], axis=1)
    return LbLowering(weights=w, cw=cw.reshape(-1).astype(np.int32))


def lower_fc_s4(layer: LbLayer) -> LbLowering | str:
    """tg_fully_connected_dsp_s4: per-tensor requantization (one multiplier and shift)."""
    if np.asarray(layer.multiplier).size != 1:
        return "int4 fully connected weights are quantized per tensor"
    words, why = s4_row_words(layer, allow_constant=False)
    if words is None:
        return why
    rows = _pad_rows(layer.rows, 8)
    w = _pairs(pack_s4_words(rows)).view(np.int32)
    bias = np.zeros(rows.shape[0], np.int64)
    bias[: words.shape[0]] = words[:, 0]
    cw = np.concatenate([bias, words[0, 1:4]])
    return LbLowering(weights=w, cw=cw.astype(np.int32))


def _s16_cw(words: np.ndarray) -> np.ndarray:
    if words.shape[0] % 2:
        words = np.concatenate([words, np.array([[0, 0, 1, 1]], np.int64)])
    p = words.reshape(-1, 2, 4)
    return np.concatenate([p[:, :, 0], p[:, 0, 1:], p[:, 1, 1:]], axis=1).reshape(-1).astype(np.int32)


def lower_conv_s16(layer: LbLayer) -> LbLowering | str:
    """tg_conv_dsp_s16 and tg_fully_connected_dsp_s16 (same pair layout; K padded to 8 for the
    convolution's two groups per iteration, which the fully connected kernel reads as K4 = K8)."""
    words, why = s16_row_words(layer)
    if words is None:
        return why
    rows = _pad_rows(layer.rows, 8)
    return LbLowering(weights=_pairs(pack_s16_words(rows)), cw=_s16_cw(words))


def lower_fc_s16(layer: LbLayer) -> LbLowering | str:
    """tg_fully_connected_dsp_s16: K padded to 4, per-row channel words (a per-tensor quantization
    repeated)."""
    words, why = s16_row_words(layer)
    if words is None:
        return why
    rows = _pad_rows(layer.rows, 4)
    return LbLowering(weights=_pairs(pack_s16_words(rows)), cw=_s16_cw(words))


#: the order tg_depthwise_conv_dsp_s4 takes the taps (ky * 3 + kx) of a 3x3 filter in
DW3_ORDER = [1, 2, 0, 4, 5, 3, 7, 8, 6]


def lower_dw_s4(layer: LbLayer, taps: int) -> LbLowering | str:
    """tg_depthwise_conv_dsp_s4: rows are the C channels' T = taps weights (window order; a 3x3
    filter's are packed in DW3_ORDER). The packed array starts with the pad row (C bytes of the
    input zero point), then the groups."""
    c = layer.rows.shape[0]
    if c % 4:
        return f"{c} channels are not a multiple of 4"
    words, why = s4_row_words(layer)
    if words is None:
        return why
    pairs = (taps + 1) // 2
    w = np.zeros((c, 2 * pairs), np.int64)
    w[:, :taps] = layer.rows[:, DW3_ORDER] if taps == 9 else layer.rows
    nib = w.reshape(c // 4, 4, pairs, 2) & 0xF                 # [group, channel k, pair, tap in pair]
    byte = nib[..., 0] | (nib[..., 1] << 4)                   # [group, k, pair]
    word = byte[:, 0] | (byte[:, 1] << 8) | (byte[:, 2] << 16) | (byte[:, 3] << 24)   # [group, pair]
    q = words.reshape(c // 4, 4, 4)
    n, a = q[..., 3] & 31, q[..., 3] >> 5
    sb = a | (n << 2) | np.where((a == 3) & (n >= 1), 0x80, 0)   # bit 7: a right shift (the fast path)
    spec = sb[:, 0] | (sb[:, 1] << 8) | (sb[:, 2] << 16) | (sb[:, 3] << 24)
    mr = np.stack([q[:, :, 1], q[:, :, 2]], axis=2).reshape(c // 4, 8)     # (mult, round) per channel
    packed = np.concatenate([word, q[:, :, 0], mr, spec[:, None]], axis=1).astype(np.uint32).view(np.int32)
    pad = np.full(c, -int(layer.input_offset), np.int8).view(np.int32)
    return LbLowering(weights=np.concatenate([pad, packed.reshape(-1)]), cw=np.zeros(0, np.int32))


def lower_dw_s16(layer: LbLayer, taps: int) -> LbLowering | str:
    """tg_depthwise_conv_dsp_s16: per group of four channels T words (tap t: bytes [w_c0, w_c2,
    w_c1, w_c3]) then the four channels' (bias, mult, round, n)."""
    c = layer.rows.shape[0]
    if c % 4:
        return f"{c} channels are not a multiple of 4"
    words, why = s16_row_words(layer)
    if words is None:
        return why
    w = (np.asarray(layer.rows, np.int64).reshape(c // 4, 4, taps) & 0xFF)[:, [0, 2, 1, 3], :]
    word = w[:, 0] | (w[:, 1] << 8) | (w[:, 2] << 16) | (w[:, 3] << 24)        # [group, tap]
    packed = np.concatenate([word, words.reshape(c // 4, 16)], axis=1)
    return LbLowering(weights=packed.astype(np.uint32).view(np.int32).reshape(-1), cw=np.zeros(0, np.int32))


__all__ = ["LbConvParams", "LbDwParams", "LbFcParams", "LbLayer", "LbLowering", "lower_conv_s16", "lower_conv_s4",
           "lower_dw_s16", "lower_dw_s4", "lower_fc_s16", "lower_fc_s4", "pack_s16_words", "pack_s4_words",
           "s16_row_words", "s4_row_words"]
