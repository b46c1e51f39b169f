"""Hypothesis strategies for the fast-kernel tests (hypothesis draws a seed; the case is built from
a numpy generator with explicit odds, because hypothesis' own draws crowd the ends of every range
and repeat most of an example while varying one field): layers of the depthwise, elementwise and pooling
families with every edge the fast kernels treat separately (channel counts 1-3 and not a multiple
of 4, odd and 1-pixel widths, padding on every side including negative (patches), strides,
dilations, per-tensor and per-channel quantization, extreme offsets, multipliers and shifts,
accumulators near the limits the predicates allow, activation clamps), plus their inputs.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .. import quant as Q
from ..fast import depthwise as fdw

# -- depthwise -------------------------------------------------------------------------------------
def _channels(rng: np.random.Generator) -> int:
    """1-3 (20 %), a multiple of 4 (45 %), anything else up to 41 (35 %)."""
    r = rng.random()
    if r < 0.2:
        return int(rng.integers(1, 4))
    if r < 0.65:
        return int(rng.choice([4, 8, 12, 16, 24, 32]))
    return int(rng.choice([5, 6, 7, 9, 10, 11, 13, 19, 33, 41]))


def _out_size(n: int, k: int, s: int, d: int, pad: int, pad_after: int) -> int:
    return (n + pad + pad_after - d * (k - 1) - 1) // s + 1


@st.composite
def dw_layers(draw, inplace: bool = False, max_hw: int = 12, planar: bool = False) -> tuple[fdw.DwLayer, np.ndarray]:
    """A depthwise layer the fast kernels accept (dw_fast_check() is None) and an input for it.
    inplace: output no larger than the input (the in-place kernels' precondition).
    planar: 3x3 layers whose rows (or, tall and narrow, columns) hold at least 8 outputs: the
    in-place kernel's planar path."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = 2 if rng.random() < 0.15 else 1
    c = _channels(rng)
    # geometry from the seeded generator with explicit odds (hypothesis' own draws favour the
    # degenerate ends of every range)
    kh, kw = [(3, 3), (1, 1), (2, 2), (3, 1), (1, 3), (4, 4), (5, 1), (4, 3)][
        rng.choice(8, p=[0.6, 0.05, 0.05, 0.06, 0.06, 0.06, 0.06, 0.06])]
    sh, sw = [(1, 1), (2, 2), (1, 2), (2, 1), (3, 3)][rng.choice(5, p=[0.5, 0.3, 0.07, 0.07, 0.06])]
    dh, dw = [(1, 1), (2, 2), (1, 2), (2, 1)][rng.choice(4, p=[0.8, 0.1, 0.05, 0.05])]
    h = int(rng.integers(1, max_hw + 1))
    w = int(rng.integers(1, max_hw + 1))

    def pad(k: int) -> int:  # SAME-like mostly, else none, negative (patches) or large
        return int([k // 2, 0, -1, -2, k, k - 1][rng.choice(6, p=[0.5, 0.2, 0.1, 0.05, 0.1, 0.05])])
    ph, pw, pah, paw = pad(kh), pad(kw), pad(kh), pad(kw)
    if planar:
        kh = kw = 3
        dh = dw = 1
        ph, pw = int(rng.integers(-2, 3)), int(rng.integers(-2, 3))
        pah, paw = int(rng.integers(-2, 3)), int(rng.integers(-2, 3))
        if rng.random() < 0.5:  # tall and narrow, same width: lines are columns
            w = int(rng.integers(1, 8))
            h = int(rng.integers(max(w + 1, 8 * max(sh, 1)), 30))
            sw, pw = 1, int(rng.integers(-1, 3))
            paw = 2 - pw  # OW = W + pw + paw - 2 = W
            sh = int(rng.choice([1, 2]))
        else:  # lines are rows
            sw = int(rng.choice([1, 2]))
            w = int(rng.integers(8 * sw + 2, 8 * sw + 24))
            h = int(rng.integers(1, 10))
    oh = _out_size(h, kh, sh, dh, ph, pah)
    ow = _out_size(w, kw, sw, dw, pw, paw)
    if inplace:
        oh, ow = min(oh, h), min(ow, w)
    oh, ow = max(oh, 1), max(ow, 1)
    if inplace:
        oh, ow = min(oh, h), min(ow, w)
    kind = ["random", "extreme_weights", "sparse"][rng.choice(3, p=[0.6, 0.2, 0.2])]
    if kind == "extreme_weights":
        wts = rng.choice(np.array([-127, 127, -1, 0, 1], np.int8), size=(1, kh, kw, c))
    elif kind == "sparse":
        wts = (rng.integers(-127, 128, (1, kh, kw, c)) * (rng.random((1, kh, kw, c)) < 0.3)).astype(np.int8)
    else:
        wts = rng.integers(-127, 128, (1, kh, kw, c)).astype(np.int8)
    input_zp = int(rng.choice([-128, 127, 0])) if rng.random() < 0.4 else int(rng.integers(-128, 128))
    output_zp = int(rng.choice([-128, 127, 0])) if rng.random() < 0.4 else int(rng.integers(-128, 128))
    per_channel = rng.random() < 0.7
    # right shifts: the usual few bits, and the extremes (large shifts need small output offsets)
    shift_kind = ["usual", "one", "large"][rng.choice(3, p=[0.7, 0.15, 0.15])]
    if shift_kind == "usual":
        shifts = rng.integers(-12, 0, c) if per_channel else np.full(c, int(rng.integers(-12, 0)))
    elif shift_kind == "one":
        shifts = np.full(c, -1)
    else:
        output_zp = int(rng.integers(-1, 2))
        shifts = rng.integers(-31, -18, c) if per_channel else np.full(c, int(rng.integers(-31, -18)))
    mult_choice = ["random", "min", "max"][rng.choice(3, p=[0.8, 0.1, 0.1])]
    if mult_choice == "min":
        mults = np.full(c, 1 << 30)
    elif mult_choice == "max":
        mults = np.full(c, (1 << 31) - 1)
    else:
        mults = rng.integers(1 << 30, 1 << 31, c) if per_channel else np.full(c, int(rng.integers(1 << 30, 1 << 31)))
    # bias: typical, none, or as large as the accumulator bound allows
    wsum = wts.reshape(-1, c).astype(np.int64)
    folded = -input_zp * wsum.sum(axis=0)
    room = (1 << 30) - 1 - 128 * np.abs(wsum).sum(axis=0)
    bias_kind = ["typical", "none", "huge"][rng.choice(3, p=[0.6, 0.15, 0.25])]
    if bias_kind == "none":
        bias = None
    elif bias_kind == "huge":
        sign = np.where(rng.random(c) < 0.5, -1, 1)
        bias = (sign * room - folded - sign).astype(np.int64)
        bias = np.clip(bias, -(2**31), 2**31 - 1).astype(np.int32)
    else:
        bias = rng.integers(-30000, 30000, c).astype(np.int32)
    act = ["none", "relu", "relu6"][rng.choice(3, p=[0.5, 0.25, 0.25])]
    if act == "none":
        amin, amax = -128, 127
    elif act == "relu":
        amin, amax = max(-128, output_zp), 127
    else:
        amin, amax = max(-128, output_zp), min(127, output_zp + int(rng.integers(1, 120)))
        amin = min(amin, amax)
    layer = fdw.DwLayer(input_shape=(n, h, w, c), output_shape=(n, oh, ow, c), stride=(sh, sw), padding=(ph, pw),
                        dilation=(dh, dw), ch_mult=1, input_offset=-input_zp, output_offset=output_zp,
                        act_min=amin, act_max=amax, multiplier=np.asarray(mults, np.int64),
                        shift=np.asarray(shifts, np.int64), weights=wts, bias=bias)
    # the bound check may still reject a huge bias (it is computed the same way): then drop the bias
    if fdw.dw_fast_check(layer) is not None:
        layer = fdw.DwLayer(**{**layer.__dict__, "bias": None, "output_offset": 0, "act_min": -128, "act_max": 127})
    x_kind = ["random", "max", "min", "zero_point"][rng.choice(4, p=[0.6, 0.15, 0.15, 0.1])]
    size = n * h * w * c
    if x_kind == "max":
        x = np.where(np.sign(np.tile(wts.reshape(-1, c)[0], n * h * w)) >= 0, 127, -128).astype(np.int8)
    elif x_kind == "min":
        x = np.where(np.sign(np.tile(wts.reshape(-1, c)[0], n * h * w)) >= 0, -128, 127).astype(np.int8)
    elif x_kind == "zero_point":
        x = np.full(size, input_zp, np.int8)
    else:
        x = rng.integers(-128, 128, size).astype(np.int8)
    return layer, x


# -- ADD / SUB -------------------------------------------------------------------------------------
@st.composite
def add_cases(draw):
    """(AddSubParams-like namespace, subtract, x1, x2) for same-shaped inputs."""
    from types import SimpleNamespace

    from ..ops.add_sub import add_sub_multipliers

    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    size = int(rng.choice([1, 2, 3, 4, 5, 7, 16])) if rng.random() < 0.3 else int(rng.integers(1, 301))
    s1 = float(np.float32(10 ** rng.uniform(-3, 0)))
    ratio = ["equal", "random", "far"][rng.choice(3, p=[0.2, 0.65, 0.15])]
    if ratio == "equal":
        s2 = s1
    elif ratio == "far":
        s2 = float(np.float32(s1 * 10 ** rng.choice([-3.5, 3.5])))
    else:
        s2 = float(np.float32(s1 * 10 ** rng.uniform(-1.5, 1.5)))
    so = float(np.float32(max(s1, s2) * 10 ** rng.uniform(-0.5, 1.2)))
    try:
        qs = add_sub_multipliers(None, s1, s2, so)
    except Exception:  # the op would be refused (TFLite Micro refuses it too)
        qs = add_sub_multipliers(None, s1, s2, max(s1, s2) * 4)
    m1, m2, mo = ((q.multiplier, q.shift) for q in qs)
    def zp() -> int:
        return int(rng.choice([-128, 127, 0])) if rng.random() < 0.4 else int(rng.integers(-128, 128))
    z1, z2, zo = zp(), zp(), zp()
    act = ["none", "relu", "relu6"][rng.choice(3, p=[0.5, 0.25, 0.25])]
    amin, amax = -128, 127
    if act == "relu":
        amin = max(-128, zo)
    elif act == "relu6":
        amin, amax = max(-128, zo), min(127, zo + int(rng.integers(1, 60)))
        amin = min(amin, amax)
    p = SimpleNamespace(input1_offset=-z1, input2_offset=-z2, output_offset=zo, left_shift=20, input1=m1, input2=m2,
                        output=mo, act_min=amin, act_max=amax)
    subtract = bool(rng.random() < 0.3)
    x_kind = ["random", "extremes"][rng.choice(2, p=[0.7, 0.3])]
    if x_kind == "extremes":
        x1 = rng.choice(np.array([-128, 127, z1], np.int8), size)
        x2 = rng.choice(np.array([-128, 127, z2], np.int8), size)
    else:
        x1 = rng.integers(-128, 128, size).astype(np.int8)
        x2 = rng.integers(-128, 128, size).astype(np.int8)
    return p, subtract, x1, x2


@st.composite
def mul_cases(draw):
    """(MulParams-like namespace, x1, x2) for same-shaped inputs; scale ratios from 2^-20 to 2^12
    (right and left shifts)."""
    from types import SimpleNamespace

    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    size = int(rng.choice([1, 2, 3, 5, 16])) if rng.random() < 0.3 else int(rng.integers(1, 301))
    real = float(2.0 ** rng.uniform(-20, 12))
    mult, shift = Q.quantize_multiplier(real)

    def zp() -> int:
        return int(rng.choice([-128, 127, 0])) if rng.random() < 0.4 else int(rng.integers(-128, 128))
    z1, z2, zo = zp(), zp(), zp()
    act = ["none", "relu", "relu6"][rng.choice(3, p=[0.5, 0.25, 0.25])]
    amin, amax = -128, 127
    if act == "relu":
        amin = max(-128, zo)
    elif act == "relu6":
        amin, amax = max(-128, zo), min(127, zo + int(rng.integers(1, 60)))
        amin = min(amin, amax)
    p = SimpleNamespace(input1_offset=-z1, input2_offset=-z2, output_offset=zo, output=(mult, shift),
                        act_min=amin, act_max=amax)
    if rng.random() < 0.3:
        x1 = rng.choice(np.array([-128, 127, z1], np.int8), size)
        x2 = rng.choice(np.array([-128, 127, z2], np.int8), size)
    else:
        x1 = rng.integers(-128, 128, size).astype(np.int8)
        x2 = rng.integers(-128, 128, size).astype(np.int8)
    return p, x1, x2


# -- pooling ---------------------------------------------------------------------------------------
@st.composite
def avgpool_cases(draw):
    """(PoolParams, input shape, output shape, x): windowed and global, any padding."""
    from ..cstruct import HW, Range
    from ..fast.pooling import PoolParams

    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = 2 if rng.random() < 0.2 else 1
    c = _channels(rng)
    kind = ["window", "global", "big"][rng.choice(3, p=[0.55, 0.3, 0.15])]
    if kind == "big":  # windows of more than 255 and 256 elements (division; lane flushes)
        h, w = [(16, 16), (17, 16), (20, 20), (33, 9), (1, 300)][int(rng.integers(0, 5))]
        fh, fw, sh, sw = h, w, 1, 1
    elif kind == "global":
        h, w = int(rng.integers(1, 13)), int(rng.integers(1, 13))
        fh, fw, sh, sw = h, w, h, w
    else:
        h, w = int(rng.integers(1, 11)), int(rng.integers(1, 11))
        fh, fw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        sh, sw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    ph = int(rng.integers(-1, max(fh - 1, 0) + 1)) if kind == "window" else 0
    pw = int(rng.integers(-1, max(fw - 1, 0) + 1)) if kind == "window" else 0
    if -ph >= h or fh - ph <= 0:
        ph = 0
    if -pw >= w or fw - pw <= 0:
        pw = 0
    # output size: every window must hold an input element (start < size, start + filter > 0)
    if kind == "window":
        oh, ow = (h + ph - 1) // sh + 1, (w + pw - 1) // sw + 1
    else:
        oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    zp = int(rng.integers(-128, 128))
    act = ["none", "relu6"][rng.choice(2, p=[0.7, 0.3])]
    amin, amax = (-128, 127) if act == "none" else (max(-128, zp), min(127, zp + int(rng.integers(0, 100))))
    params = PoolParams(stride=HW(sh, sw), padding=HW(ph, pw), filter=HW(fh, fw), activation=Range(amin, amax))
    x_kind = ["random", "max", "min", "halves"][rng.choice(4, p=[0.55, 0.15, 0.15, 0.15])]
    size = n * h * w * c
    if x_kind == "max":
        x = np.full(size, 127, np.int8)
    elif x_kind == "min":
        x = np.full(size, -128, np.int8)
    elif x_kind == "halves":  # sums on the rounding ties
        x = rng.choice(np.array([-3, -2, 2, 3], np.int8), size)
    else:
        x = rng.integers(-128, 128, size).astype(np.int8)
    return params, (n, h, w, c), (n, oh, ow, c), x


@st.composite
def mean_cases(draw):
    """(MeanParams of the portable kernel, input shape, x) for a MEAN over height and width."""
    from ..ops.mean import MeanParams, loop_nest, mean_multiplier

    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = 2 if rng.random() < 0.2 else 1
    c = _channels(rng)
    h, w = ([(1, 1), (3, 3), (7, 5), (16, 17), (1, 300)][int(rng.integers(0, 5))] if rng.random() < 0.4
            else (int(rng.integers(1, 12)), int(rng.integers(1, 12))))
    shape = (n, h, w, c)
    si = float(np.float32(10 ** rng.uniform(-3, 0)))
    so = float(np.float32(si * 10 ** rng.uniform(-1.5, 0.5)))
    count = h * w
    mult, shift = mean_multiplier(si, so, count)
    zi = int(rng.choice([-128, 127])) if rng.random() < 0.3 else int(rng.integers(-128, 128))
    zo = int(rng.choice([-128, 127])) if rng.random() < 0.3 else int(rng.integers(-128, 128))
    p = MeanParams(input_offset=-zi, output_offset=zo, multiplier=mult, shift=shift,
                   outer=loop_nest(shape, [0, 3]), inner=loop_nest(shape, [1, 2]))
    x_kind = ["random", "max", "min"][rng.choice(3, p=[0.6, 0.2, 0.2])]
    size = n * h * w * c
    x = {"max": np.full(size, 127, np.int8), "min": np.full(size, -128, np.int8)}.get(
        x_kind, rng.integers(-128, 128, size).astype(np.int8))
    return p, shape, x


__all__ = ["add_cases", "avgpool_cases", "dw_layers", "mean_cases", "mul_cases"]
