"""Fast DEPTHWISE_CONV_2D kernels (depth multiplier 1): applicability and lowering.

Kernels (kernels/include/tg_nn.h, sources in kernels/src/conv/):

    tg_depthwise_conv_fast_s8(&params, input, output)
        normal variant, no scratch (tg_depthwise_conv_fast_s8_get_buffer_size() returns 0); output
        pixels in raster order, all channels of a pixel together: the write-order contract of
        tg_nn.h, so the operator's overlap_gaps() stay as they are.
    tg_depthwise_conv_inplace_fast_s8(&ctx, &params, data)
        the output overwrites the input in `data` (the planner's in-place placement, as for
        tg_depthwise_conv_inplace_s8, with the same preconditions OH <= H, OW <= W); scratch of
        tg_depthwise_conv_inplace_fast_s8_get_buffer_size(&params) bytes (ask
        the C function through the kernel query, as for the portable in-place kernel; it differs
        from the portable kernel's: 4 planar lines of (n - 1) * stride + 6 bytes for 3x3 layers with
        lines of 8+ outputs, else a ring of min(max(padding.h, 0) + 1, OH) output rows of OW * C
        bytes; see tg_nn.h). With these sizes the planner keeps every shared model's arena.

Both pick their core when compiled: the SIMD core (SXTB16, SMLABB/SMLATT, SMMLAR) on cores with the
DSP extension and on the host, the scalar core on Cortex-M0/M0+/M3. The `_scalar_` twins
(tg_depthwise_conv_fast_scalar_s8, tg_depthwise_conv_inplace_fast_scalar_s8) always run the scalar
core (same arguments; for host tests). The generated C is therefore the same for every target, and
so are the predicate and the lowering below.

Interface for the operator definition (tinygen/ops/depthwise_conv2d.py), after prepare():

    from ..fast import depthwise as fdw
    layer = dw_layer(op, args)               # tinygen.ops.depthwise_conv2d: the operator as a DwLayer
    if fdw.dw_fast_applicable(layer):        # fdw.dw_fast_check(layer) gives the reason if not
        low = fdw.lower_dw_fast(layer)       # low.params: DwFastParams (@cstruct tg_dw_fast_params)
        # emit: static const tg_dw_fast_params params = {...} (its dims, and its arrays packed and
        #       pad as int32 constants in flash, 4-byte aligned: EmitContext.decl);
        #       tg_depthwise_conv_fast_s8(&params, x, y)
        #   or, when the plan puts the output over the input (p.inplace):
        #       tg_depthwise_conv_inplace_fast_s8(&ctx, &params, x)
        #       with ctx the scratch of tg_depthwise_conv_inplace_fast_s8_get_buffer_size(...)
    The packed array replaces the weights, bias, multipliers and shifts of the portable call (its size
    is low.packed_bytes; the original weights are not needed any more). Padding may be any integer
    (patches).

Exactness (what dw_fast_check() verifies, per channel c with weights w_c, bias b_c):
  - depth multiplier 1; at most 16 filter taps (KH * KW; larger filters stay portable);
  - input zero point (the value of padded taps) in [-128, 127];
  - multiplier M_c in [2^30, 2^31) and shift_c in [-31, -1] (a right shift n_c >= 1);
  - A_c = |b_c + input_offset * sum(w_c)| + 128 * sum(|w_c|) < 2^30: the folded accumulator
    (bias + input_offset * sum w + sum w * x over raw int8 x) never reaches 2^30, so 2 * acc fits
    int32 and equals the portable kernel's (wrap-around) accumulator;
  - |R_c| + A_c + 1 < 2^31 with R_c = 2^(n-1) + output_offset * 2^n (the SMMLAR accumulator);
  - activation range within [-128, 127].
With these, SMMLAR(2 acc, M, R - [acc < 0]) >> n equals TFLite Micro's
RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc, M), n) + output_offset for every acc
(see kernels/src/conv/tg_dw_fast.h).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import HW, Dims, Range, cstruct

#: words per group of 4 channels in the packed array (TG_DWF_GROUP_WORDS in tg_dw_fast.h)
GROUP_HEADER_WORDS = 13
#: the largest filter (KH * KW taps) the fast kernels take (TG_DWF_MAX_TABLE in tg_dw_fast.h)
MAX_TAPS = 16

_ACC_LIMIT = 1 << 30
_INT32_LIMIT = 1 << 31


@cstruct("tg_dw_fast_params")
@dataclass(frozen=True, eq=False)
class DwFastParams:
    """Mirror of tg_dw_fast_params (tg_nn.h): geometry, shapes and the constant arrays (emitted as
    named constants in flash; None renders as NULL)."""

    stride: HW
    padding: HW
    dilation: HW
    filter: HW
    activation: Range
    input_dims: Dims
    output_dims: Dims
    packed: np.ndarray | None = None
    pad: np.ndarray | None = None


@dataclass(frozen=True)
class DwLayer:
    """A depthwise convolution as the compiler sees it (the portable kernel's parameters plus the
    constant tensors). Shapes are NHWC; weights are [1, KH, KW, C * ch_mult] int8."""

    input_shape: tuple[int, int, int, int]
    output_shape: tuple[int, int, int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]       # (top, left); anything past the input's end is padding too
    dilation: tuple[int, int]
    ch_mult: int
    input_offset: int              # -input zero point
    output_offset: int             # output zero point
    act_min: int
    act_max: int
    multiplier: np.ndarray         # int32 per output channel
    shift: np.ndarray              # int32 per output channel (TFLite convention, > 0: left)
    weights: np.ndarray            # int8 [1, KH, KW, C]
    bias: np.ndarray | None        # int32 [C] or None

    @property
    def filter_hw(self) -> tuple[int, int]:
        return int(self.weights.shape[1]), int(self.weights.shape[2])

    @property
    def channels(self) -> int:
        return int(self.input_shape[3])


@dataclass(frozen=True)
class DwFastLowering:
    """What the fast kernels need: the parameter struct, the packed constants (int32, 4-byte
    aligned in flash) and the dims structs."""

    params: DwFastParams
    packed: np.ndarray
    pad: np.ndarray
    input_dims: Dims
    output_dims: Dims

    @property
    def packed_bytes(self) -> int:
        return int(self.packed.nbytes + self.pad.nbytes)


def _filter_matrix(layer: DwLayer) -> np.ndarray:
    """int64 [C, T] weights, taps in row-major order."""
    kh, kw = layer.filter_hw
    w = np.asarray(layer.weights, dtype=np.int64).reshape(kh * kw, -1)
    return w.T.copy()


def folded_bias(layer: DwLayer) -> np.ndarray:
    """bias + input_offset * sum of each channel's weights (exact, int64)."""
    w = _filter_matrix(layer)
    b = np.zeros(w.shape[0], dtype=np.int64) if layer.bias is None else np.asarray(layer.bias, dtype=np.int64)
    return b + int(layer.input_offset) * w.sum(axis=1)


def dw_fast_check(layer: DwLayer) -> str | None:
    """None when the fast depthwise kernels compute `layer` bit-exactly, else the reason why not."""
    n, h, w_, c = layer.input_shape
    on, oh, ow, oc = layer.output_shape
    kh, kw = layer.filter_hw
    if layer.ch_mult != 1 or oc != c or layer.weights.shape[3] != c:
        return f"depth multiplier {layer.ch_mult} (the fast kernels need 1)"
    if on != n or min(n, h, w_, c, oh, ow, kh, kw) < 1:
        return "empty or inconsistent shapes"
    if min(layer.stride) < 1 or min(layer.dilation) < 1:
        return "stride and dilation must be >= 1"
    if kh * kw > MAX_TAPS:
        return f"filter {kh}x{kw} has more than {MAX_TAPS} taps"
    if not -128 <= -layer.input_offset <= 127:
        return f"input zero point {-layer.input_offset} outside int8"
    if not -128 <= layer.act_min <= layer.act_max <= 127:
        return f"activation range [{layer.act_min}, {layer.act_max}] outside int8"
    mult = np.asarray(layer.multiplier, dtype=np.int64)
    shift = np.asarray(layer.shift, dtype=np.int64)
    if mult.shape != (c,) or shift.shape != (c,):
        return "one multiplier and shift per channel expected"
    if (mult < (1 << 30)).any() or (mult >= (1 << 31)).any():
        return "a multiplier is outside [2^30, 2^31) (zero or unnormalized)"
    if (shift > -1).any() or (shift < -31).any():
        return "a requantization shift is not a right shift of 1..31 bits"
    wm = _filter_matrix(layer)
    acc_bound = np.abs(folded_bias(layer)) + 128 * np.abs(wm).sum(axis=1)
    if (acc_bound >= _ACC_LIMIT).any():
        return f"an accumulator may reach 2^30 (bound {int(acc_bound.max())})"
    nsh = -shift
    r = (1 << (nsh - 1)) + int(layer.output_offset) * (np.int64(1) << nsh)
    if (np.abs(r) + acc_bound + 1 >= _INT32_LIMIT).any():
        return "the rounding term and output offset overflow the requantization"
    return None


def dw_fast_applicable(layer: DwLayer) -> bool:
    """The predicate: the fast kernels are bit-exact for this layer (and used for it)."""
    return dw_fast_check(layer) is None


def pack_dw_fast(layer: DwLayer) -> np.ndarray:
    """The packed int32 array of tg_dw_fast.h: per group of 4 channels the folded biases, the tap
    words, (multiplier, rounding term) pairs and the shifts (the pad words: pad_dw_fast)."""
    c = layer.channels
    kh, kw = layer.filter_hw
    taps = kh * kw
    groups = (c + 3) // 4
    wm = _filter_matrix(layer)                      # [C, T]
    bias = folded_bias(layer)
    mult = np.asarray(layer.multiplier, dtype=np.int64)
    nsh = -np.asarray(layer.shift, dtype=np.int64)
    rnd = (np.int64(1) << (nsh - 1)) + int(layer.output_offset) * (np.int64(1) << nsh)
    # pad to whole groups (missing channels: zero weights and bias, harmless constants)
    cp = 4 * groups
    wm = np.concatenate([wm, np.zeros((cp - c, taps), np.int64)])
    bias = np.concatenate([bias, np.zeros(cp - c, np.int64)])
    mult = np.concatenate([mult, np.full(cp - c, 1 << 30, np.int64)])
    nsh = np.concatenate([nsh, np.ones(cp - c, np.int64)])
    rnd = np.concatenate([rnd, np.zeros(cp - c, np.int64)])

    out = []
    for g in range(groups):
        ch = slice(4 * g, 4 * g + 4)
        wb = (wm[ch] & 0xFF).astype(np.int64)           # [4, T] bytes
        tapw = wb[0] | (wb[1] << 8) | (wb[2] << 16) | (wb[3] << 24)
        nw = int(nsh[ch][0] | (nsh[ch][1] << 8) | (nsh[ch][2] << 16) | (nsh[ch][3] << 24))
        mr = np.stack([mult[ch], rnd[ch]], axis=1).reshape(-1)  # M_j, R_j interleaved
        out += [bias[ch], tapw, mr, np.array([nw], np.int64)]
    words = np.concatenate(out)
    # int32 view of 32-bit patterns
    return ((words + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def pad_dw_fast(layer: DwLayer) -> np.ndarray:
    """ceil(C / 4) int32 words holding the input zero point in each byte (read by padded taps)."""
    zp = (-int(layer.input_offset)) & 0xFF
    words = np.full((layer.channels + 3) // 4, zp * 0x01010101, dtype=np.int64)
    return ((words + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def lower_dw_fast(layer: DwLayer) -> DwFastLowering:
    """Lowering for tg_depthwise_conv_fast_s8 and tg_depthwise_conv_inplace_fast_s8 (same
    parameters and constants). Raises ValueError when the layer does not qualify."""
    why = dw_fast_check(layer)
    if why is not None:
        raise ValueError(f"fast depthwise kernel not applicable: {why}")
    kh, kw = layer.filter_hw
    packed, pad = pack_dw_fast(layer), pad_dw_fast(layer)
    input_dims, output_dims = Dims(*map(int, layer.input_shape)), Dims(*map(int, layer.output_shape))
    params = DwFastParams(stride=HW(*layer.stride), padding=HW(*layer.padding), dilation=HW(*layer.dilation),
                          filter=HW(kh, kw), activation=Range(layer.act_min, layer.act_max),
                          input_dims=input_dims, output_dims=output_dims, packed=packed, pad=pad)
    return DwFastLowering(params=params, packed=packed, pad=pad, input_dims=input_dims, output_dims=output_dims)


__all__ = ["DwFastLowering", "DwFastParams", "DwLayer", "GROUP_HEADER_WORDS", "dw_fast_applicable", "dw_fast_check",
           "folded_bias", "lower_dw_fast", "pack_dw_fast", "pad_dw_fast"]
