"""Graph builders and hypothesis cases for RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH,
QUANTIZE and DEQUANTIZE.

Output quantizations follow what the TFLite converter produces: they span the real range the
activation maps the input's range to (LOGISTIC and TANH have fixed output quantizations).
Every activation case can also be wrapped with float32 I/O: a float32 graph input, QUANTIZE to
the activation's input quantization, the activation, DEQUANTIZE to a float32 graph output.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.leaky_relu import LeakyReluAttrs
from .builder import _U8_STD, GraphBuilder, builder_method
from .strategies import case, seeds

LOGISTIC_QUANT = (1.0 / 256.0, -128)
TANH_QUANT = (1.0 / 128.0, 0)


# -- quantization helpers ----------------------------------------------------------------------
def real_range(q: Quant) -> tuple[float, float]:
    """The real values an int8 tensor with this quantization can hold."""
    return (-128 - q.zp) * q.s, (127 - q.zp) * q.s


def quant_for_range(b: GraphBuilder, lo: float, hi: float, jitter: bool = True) -> Quant:
    """An int8 quantization covering [lo, hi] (which must contain 0, as the converter nudges),
    its scale scaled by a random factor in [0.7, 1.4] (slight saturation or unused codes)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = max(hi - lo, 1e-6)
    f = float(np.exp(b.rng.uniform(np.log(0.7), np.log(1.4)))) if jitter else 1.0
    scale = span / 255.0 * f
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return Quant(scale=[scale], zero_point=[zp])


def _copy(q: Quant) -> Quant:
    return Quant(scale=q.scale.copy(), zero_point=q.zero_point.copy())


def hard_swish_real(x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


# -- builder methods ---------------------------------------------------------------------------
def _unary(self: GraphBuilder, kind: str, x: Tensor, attrs, out_quant: Quant) -> Tensor:
    y = self.op(kind, [x], attrs, out_quant)
    self.spread[id(y)] = 128.0 / 3.0
    return y


@builder_method
def relu(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        lo, hi = real_range(x.quant)
        out_quant = quant_for_range(self, 0.0, max(hi, x.quant.s))
    return _unary(self, "RELU", x, None, out_quant)


@builder_method
def relu6(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    """TFLM's RELU6 ignores the output quantization; the default keeps the input's."""
    return _unary(self, "RELU6", x, None, out_quant or _copy(x.quant))


@builder_method
def leaky_relu(self: GraphBuilder, x: Tensor, alpha: float = 0.2, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        lo, hi = real_range(x.quant)
        vals = [v if v >= 0 else v * alpha for v in (lo, hi, 0.0)]
        out_quant = quant_for_range(self, min(vals), max(vals))
    return _unary(self, "LEAKY_RELU", x, LeakyReluAttrs(alpha=float(np.float32(alpha))), out_quant)


@builder_method
def logistic(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    return _unary(self, "LOGISTIC", x, None, out_quant or Quant(scale=[LOGISTIC_QUANT[0]], zero_point=[LOGISTIC_QUANT[1]]))


@builder_method
def tanh(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    return _unary(self, "TANH", x, None, out_quant or Quant(scale=[TANH_QUANT[0]], zero_point=[TANH_QUANT[1]]))


@builder_method
def hard_swish(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        lo, hi = real_range(x.quant)
        pts = [lo, hi] + ([-1.5] if lo < -1.5 < hi else [])
        vals = hard_swish_real(np.array(pts))
        out_quant = quant_for_range(self, float(vals.min()), float(vals.max()))
        if out_quant.s < x.quant.s / 100.0:
            # TFLM refuses out_scale <= in_scale / 128 (an input range that is all negative)
            lo_q = (-128 - out_quant.zp) * out_quant.s
            out_quant = Quant(scale=[x.quant.s / 100.0], zero_point=[int(np.clip(round(-128 - lo_q / (x.quant.s / 100.0)), -128, 127))])
    return _unary(self, "HARD_SWISH", x, None, out_quant)


@builder_method
def quantize(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    """float32 -> int8 (default: a random quantization) or int8 -> int8 (default: the input's
    range with a random scale factor in [1/3, 3], i.e. some saturation or some unused codes)."""
    if out_quant is None:
        if x.dtype == "float32":
            out_quant = self.quant()
        else:
            lo, hi = real_range(x.quant)
            f = float(np.exp(self.rng.uniform(np.log(1 / 3), np.log(3.0))))
            out_quant = quant_for_range(self, lo * f, hi * f, jitter=False)
    y = self.op("QUANTIZE", [x], None, out_quant)
    self.spread[id(y)] = _U8_STD
    return y


@builder_method
def dequantize(self: GraphBuilder, x: Tensor) -> Tensor:
    return self.op("DEQUANTIZE", [x], None, None, out_dtype="float32")


# -- hypothesis cases --------------------------------------------------------------------------
ACTIVATION_KINDS = ("RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH")

#: alphas the converter meets (Keras LeakyReLU defaults 0.3 / 0.2 / 0.01) and odd ones
alphas = st.one_of(st.sampled_from([0.01, 0.1, 0.2, 0.3, 0.5, 0.0, 1.0]),
                   st.floats(0.0, 1.0, allow_nan=False, width=32),
                   st.floats(-2.0, 3.0, allow_nan=False, width=32))


@st.composite
def shapes(draw, max_rank: int = 4, max_dim: int = 9):
    rank = draw(st.integers(1, max_rank))
    return tuple(draw(st.integers(1, max_dim)) for _ in range(rank))


@st.composite
def input_quants(draw):
    """(scale, zero_point) of the activation's input: from a narrow range (small scales, where
    LOGISTIC/TANH never saturate) to wide ones (everything beyond the saturation radius)."""
    scale = draw(st.floats(math.log(0.001), math.log(0.5)).map(math.exp))
    zp = draw(st.one_of(st.integers(-128, 127), st.sampled_from([-128, 0, 127])))
    return float(np.float32(scale)), zp


def _activation_strategy(kind: str):
    @st.composite
    def s(draw):
        c = dict(kind=kind, shape=draw(shapes()), in_quant=draw(input_quants()),
                 float_io=draw(st.sampled_from([False, False, True])), seed=draw(seeds))
        if kind == "LEAKY_RELU":
            c["alpha"] = float(draw(alphas))
        if kind in ("RELU", "RELU6", "LOGISTIC", "TANH"):
            # "same": output quantization = input's (RELU: multiplier exactly 1)
            c["out_mode"] = draw(st.sampled_from(["default", "default", "same"]))
        return c
    return s()


def _activation_graph(b: GraphBuilder, c: dict):
    scale, zp = c["in_quant"]
    if c["float_io"]:
        xf = b.input(c["shape"], dtype="float32")
        x = b.quantize(xf, Quant(scale=[scale], zero_point=[zp]))
    else:
        x = b.input(c["shape"], scale=scale, zero_point=zp)
    kind = c["kind"]
    out_q = _copy(x.quant) if c.get("out_mode") == "same" else None
    if kind == "LOGISTIC" and out_q is not None:
        out_q = Quant(scale=[scale], zero_point=[-128])  # TFLM only requires the zero point
    if kind == "RELU":
        y = b.relu(x, out_q)
    elif kind == "RELU6":
        y = b.relu6(x, out_q)
    elif kind == "LEAKY_RELU":
        y = b.leaky_relu(x, c["alpha"])
    elif kind == "LOGISTIC":
        y = b.logistic(x, out_q)
    elif kind == "TANH":
        y = b.tanh(x, out_q)
    elif kind == "HARD_SWISH":
        y = b.hard_swish(x)
    else:
        raise ValueError(kind)
    if c["float_io"]:
        y = b.dequantize(y)
    return y


def _activation_build(c: dict) -> bytes:
    b = GraphBuilder(c["kind"].lower(), seed=c["seed"])
    return b.tflite([_activation_graph(b, c)])


for _k in ACTIVATION_KINDS:
    def _build(c: dict) -> bytes:
        return _activation_build(c)
    _build.strategy = _activation_strategy(_k)  # type: ignore[attr-defined]
    case(_k)(_build)


# QUANTIZE: float32 -> int8 (graph output int8), int8 -> int8, or float -> int8 -> int8 -> float
@st.composite
def _quantize_strategy(draw):
    return dict(kind="QUANTIZE", shape=draw(shapes()),
                mode=draw(st.sampled_from(["f32_s8", "s8_s8", "f32_s8_s8_f32"])),
                in_quant=draw(input_quants()), seed=draw(seeds))


def _quantize_graph(b: GraphBuilder, c: dict) -> Tensor:
    scale, zp = c["in_quant"]
    if c["mode"] == "f32_s8":
        xf = b.input(c["shape"], dtype="float32")
        return b.quantize(xf, Quant(scale=[scale], zero_point=[zp]))
    if c["mode"] == "s8_s8":
        x = b.input(c["shape"], scale=scale, zero_point=zp)
        return b.quantize(x)
    xf = b.input(c["shape"], dtype="float32")
    x = b.quantize(xf, Quant(scale=[scale], zero_point=[zp]))
    return b.dequantize(b.quantize(x))


def _quantize_build(c: dict) -> bytes:
    b = GraphBuilder("quantize", seed=c["seed"])
    return b.tflite([_quantize_graph(b, c)])


_quantize_build.strategy = _quantize_strategy()  # type: ignore[attr-defined]
case("QUANTIZE")(_quantize_build)


# DEQUANTIZE: int8 graph input -> float32 graph output
@st.composite
def _dequantize_strategy(draw):
    return dict(kind="DEQUANTIZE", shape=draw(shapes()), in_quant=draw(input_quants()),
                extreme=draw(st.sampled_from([False, False, False, True])), seed=draw(seeds))


def _dequantize_graph(b: GraphBuilder, c: dict) -> Tensor:
    scale, zp = c["in_quant"]
    if c["extreme"]:  # huge and tiny (still normal) scales
        scale = float(np.float32(scale * (1e30 if c["seed"] % 2 else 1e-30)))
    x = b.input(c["shape"], scale=scale, zero_point=zp)
    return b.dequantize(x)


def _dequantize_build(c: dict) -> bytes:
    b = GraphBuilder("dequantize", seed=c["seed"])
    return b.tflite([_dequantize_graph(b, c)])


_dequantize_build.strategy = _dequantize_strategy()  # type: ignore[attr-defined]
case("DEQUANTIZE")(_dequantize_build)


# -- several cases in one model ----------------------------------------------------------------
def case_graph(b: GraphBuilder, c: dict) -> Tensor:
    """Add the graph of one case (of any kind above) to a builder; returns its output."""
    if c["kind"] == "QUANTIZE":
        return _quantize_graph(b, c)
    if c["kind"] == "DEQUANTIZE":
        return _dequantize_graph(b, c)
    return _activation_graph(b, c)


def build_branches(cases: Sequence[dict], name: str = "branches") -> bytes:
    """One model holding every case as an independent branch (its own graph input and output).
    Elementwise models are tiny: batching them keeps the host build (one C file per model)
    short while every branch keeps its own random configuration."""
    b = GraphBuilder(name)
    outs = []
    for c in cases:
        b.rng = np.random.default_rng(c["seed"])
        outs.append(case_graph(b, c))
    return b.tflite(outs)


# -- inputs for targeted tests -----------------------------------------------------------------
def all_int8_values(shape: Sequence[int] = (1, 256)) -> np.ndarray:
    """Every int8 value once (the shape must hold 256 elements)."""
    return np.arange(-128, 128, dtype=np.int8).reshape(shape)


def float_ties(scale: float, zero_point: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """float32 values x whose float32 quotient x / scale is exactly k + 1/2 (rounding ties), for
    k spread over (and a little beyond) the int8 range around the zero point."""
    s = np.float32(scale)
    out: list[np.float32] = []
    ks = np.arange(-140 - zero_point, 140 - zero_point)
    tries = 0
    while len(out) < n and tries < 50:
        tries += 1
        k = rng.choice(ks, size=4 * n)
        cand = ((k.astype(np.float64) + 0.5) * float(s)).astype(np.float32)
        ok = (cand / s) == (k + 0.5).astype(np.float32)
        out.extend(cand[ok].tolist())
    return np.array(out[:n], dtype=np.float32)


def float_specials(scale: float) -> np.ndarray:
    """Saturating and degenerate float32 inputs: far beyond the int8 range, beyond the int32
    range of x / scale, infinities, NaN, signed zeros, subnormals."""
    s = float(np.float32(scale))
    vals = [0.0, -0.0, 1e-45, -1e-45, 1e-38, s * 127.5, -s * 128.5, s * 1000, -s * 1000, s * 1e6, -s * 1e6,
            s * 2.0**31, -s * 2.0**31, s * 2.0**30, -s * 2.0**31 * 1.0000001, 3e38, -3e38,
            np.inf, -np.inf, np.nan, -np.nan]
    return np.array(vals, dtype=np.float32)
