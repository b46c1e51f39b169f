"""Graph builders and hypothesis cases for ADD, SUB, MUL, CONCATENATION, TRANSPOSE and SOFTMAX.

Output quantizations of ADD/SUB/MUL span the real range the operation maps the inputs' ranges
to (as a calibrated converter would), with a random factor so that some cases saturate a little
and some leave codes unused. Binary cases cover every broadcast pattern up to rank 6 (each
dimension of each input either full or 1, lower-rank inputs, scalars), constant operands in
either position, the same tensor on both sides, and extreme input scale ratios.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.add_sub import ActivationAttrs
from ..ops.concatenation import ConcatAttrs
from ..ops.softmax import SoftmaxAttrs
from .builder import GraphBuilder, builder_method
from .strategies import activations, case, seeds

SOFTMAX_QUANT = (1.0 / 256.0, -128)


# -- quantization helpers ----------------------------------------------------------------------
def int8_range(q: Quant) -> tuple[float, float]:
    """Real values an int8 tensor with quantization q can hold."""
    return (-128 - q.zp) * q.s, (127 - q.zp) * q.s


def range_quant(b: GraphBuilder, lo: float, hi: float, jitter: tuple[float, float] = (0.6, 1.4)) -> Quant:
    """An int8 quantization covering [lo, hi] (widened to contain 0), its scale multiplied by a
    random factor drawn log-uniformly from `jitter`."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = max(hi - lo, 1e-9)
    f = float(np.exp(b.rng.uniform(np.log(jitter[0]), np.log(jitter[1]))))
    scale = span / 255.0 * f
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return Quant(scale=[scale], zero_point=[zp])


def _as_tensor(b: GraphBuilder, v, scale: float | None = None, zero_point: int | None = None) -> Tensor:
    """A Tensor stays itself; an array becomes an int8 constant with its own quantization."""
    if isinstance(v, Tensor):
        return v
    return b.const_int8(v, scale=scale, zero_point=zero_point)


# -- builder methods ---------------------------------------------------------------------------
@builder_method
def const_int8(self: GraphBuilder, data_or_shape, scale: float | None = None, zero_point: int | None = None) -> Tensor:
    """An int8 constant (random values when given a shape) with a per-tensor quantization."""
    if isinstance(data_or_shape, np.ndarray):
        data = data_or_shape.astype(np.int8)
    else:
        data = self.rng.integers(-128, 128, size=tuple(data_or_shape)).astype(np.int8)
    return self.const(data, "int8", self.quant(scale, zero_point), name=self._name("const"))


def _binary(self: GraphBuilder, kind: str, x, y, activation: str, out_quant: Quant | None) -> Tensor:
    x = _as_tensor(self, x)
    y = _as_tensor(self, y)
    if out_quant is None:
        lo1, hi1 = int8_range(x.quant)
        lo2, hi2 = int8_range(y.quant)
        if kind == "ADD":
            lo, hi = lo1 + lo2, hi1 + hi2
        elif kind == "SUB":
            lo, hi = lo1 - hi2, hi1 - lo2
        else:
            prods = [a * c for a in (lo1, hi1) for c in (lo2, hi2)]
            lo, hi = min(prods), max(prods)
        out_quant = range_quant(self, lo, hi)
    out = self.op(kind, [x, y], ActivationAttrs(activation=activation), out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def add(self: GraphBuilder, x, y, activation: str = "NONE", out_quant: Quant | None = None) -> Tensor:
    """x + y; x or y may be a numpy array (an int8 constant with a random quantization)."""
    return _binary(self, "ADD", x, y, activation, out_quant)


@builder_method
def sub(self: GraphBuilder, x, y, activation: str = "NONE", out_quant: Quant | None = None) -> Tensor:
    return _binary(self, "SUB", x, y, activation, out_quant)


@builder_method
def mul(self: GraphBuilder, x, y, activation: str = "NONE", out_quant: Quant | None = None) -> Tensor:
    return _binary(self, "MUL", x, y, activation, out_quant)


@builder_method
def concatenation(self: GraphBuilder, xs: Sequence[Tensor], axis: int, activation: str = "NONE",
                  out_quant: Quant | None = None) -> Tensor:
    """Joins xs along axis; the output keeps the first input's quantization unless given."""
    q = out_quant
    if q is None and xs[0].quant is not None:
        q = Quant(scale=xs[0].quant.scale.copy(), zero_point=xs[0].quant.zero_point.copy())
    out = self.op("CONCATENATION", list(xs), ConcatAttrs(axis=axis, activation=activation), q,
                  out_dtype=xs[0].dtype)
    self.spread[id(out)] = self.spread.get(id(xs[0]), 128.0 / 3.0)
    return out


@builder_method
def transpose(self: GraphBuilder, x: Tensor, perm: Sequence[int], out_quant: Quant | None = None) -> Tensor:
    p = self.const(np.asarray(perm, dtype=np.int32), "int32", name=self._name("perm"))
    q = out_quant
    if q is None and x.quant is not None:
        q = Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy())
    out = self.op("TRANSPOSE", [x, p], None, q, out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 128.0 / 3.0)
    return out


@builder_method
def softmax(self: GraphBuilder, x: Tensor, beta: float = 1.0, out_quant: Quant | None = None) -> Tensor:
    q = out_quant or Quant(scale=[SOFTMAX_QUANT[0]], zero_point=[SOFTMAX_QUANT[1]])
    out = self.op("SOFTMAX", [x], SoftmaxAttrs(beta=float(np.float32(beta))), q)
    self.spread[id(out)] = 128.0 / 3.0
    return out


# -- hypothesis cases: ADD / SUB / MUL -----------------------------------------------------------
def _log_uniform(draw, lo: float, hi: float) -> float:
    return float(np.exp(draw(st.floats(np.log(lo), np.log(hi)))))


@st.composite
def _broadcast_shapes(draw, max_rank: int = 6, max_elems: int = 1500):
    """Output shape and two input shapes broadcasting to it: every dimension of each input is
    either the output's or 1, and an input may have fewer (leading) dimensions."""
    rank = min(draw(st.sampled_from([1, 2, 2, 3, 3, 4, 4, 4, 5, 6])), max_rank)
    out = [draw(st.integers(1, 7)) for _ in range(rank)]
    while int(np.prod(out)) > max_elems:
        i = int(np.argmax(out))
        out[i] = max(1, out[i] // 2)
    style = draw(st.sampled_from(["same", "same", "random", "random", "random", "channel", "scalar"]))
    if style == "same":
        s1, s2 = list(out), list(out)
    elif style == "channel":  # squeeze-and-excite / bias-vector style: [.., C] against [1, .., 1, C]
        s1 = list(out)
        s2 = [1] * (rank - 1) + [out[-1]]
        if draw(st.booleans()):
            s2 = s2[-draw(st.integers(1, rank)):]
    elif style == "scalar":
        s1 = list(out)
        s2 = draw(st.sampled_from([[], [1], [1] * rank]))
    else:
        s1 = [n if draw(st.booleans()) else 1 for n in out]
        s2 = [n if draw(st.booleans()) else 1 for n in out]
        if draw(st.booleans()):
            s1 = s1[draw(st.integers(0, rank - 1)):]
        if draw(st.booleans()):
            s2 = s2[draw(st.integers(0, rank - 1)):]
    if draw(st.booleans()):
        s1, s2 = s2, s1
    return tuple(s1), tuple(s2)


def _binary_strategy(kind: str):
    @st.composite
    def s(draw):
        s1, s2 = draw(_broadcast_shapes())
        mode = draw(st.sampled_from(["inputs", "inputs", "inputs", "const2", "const1", "same"]))
        extreme = draw(st.integers(0, 5)) == 0
        sc1 = _log_uniform(draw, 0.002, 0.5)
        # ADD/SUB: ratios up to 1e9 flush the smaller input's multiplier to zero; MUL depends on
        # the product of the scales only (beyond 1e4 fused bounds would overflow int32)
        wide = 1e9 if kind != "MUL" else 1e4
        sc2 = sc1 * (_log_uniform(draw, 1 / wide, wide) if extreme else _log_uniform(draw, 0.05, 20.0))
        return dict(kind=kind, shape1=s1, shape2=s2, mode=mode, activation=draw(activations),
                    scale1=sc1, scale2=sc2, zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)),
                    seed=draw(seeds))
    return s()


def _input_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    # Scalar (rank-0) graph inputs cannot be fed to TFLM through tinygen.reference.TFLMReference
    # (np.ascontiguousarray turns them into 1-D arrays); scalars stay covered as constants.
    return shape if shape else (1,)


def _binary_into(b: GraphBuilder, c: dict) -> Tensor:
    fn = {"ADD": b.add, "SUB": b.sub, "MUL": b.mul}[c["kind"]]
    mode = c["mode"]
    if mode == "same":
        x = b.input(_input_shape(c["shape1"]), scale=c["scale1"], zero_point=c["zp1"])
        y = fn(x, x, activation=c["activation"])
    else:
        x1 = (b.const_int8(c["shape1"], scale=c["scale1"], zero_point=c["zp1"]) if mode == "const1"
              else b.input(_input_shape(c["shape1"]), scale=c["scale1"], zero_point=c["zp1"]))
        x2 = (b.const_int8(c["shape2"], scale=c["scale2"], zero_point=c["zp2"]) if mode == "const2"
              else b.input(_input_shape(c["shape2"]), scale=c["scale2"], zero_point=c["zp2"]))
        y = fn(x1, x2, activation=c["activation"])
    return y


# -- CONCATENATION -------------------------------------------------------------------------------
def _concat_strategy():
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 6))
        base = [draw(st.integers(1, 5)) for _ in range(rank)]
        while int(np.prod(base)) > 400:
            i = int(np.argmax(base))
            base[i] = max(1, base[i] // 2)
        axis = draw(st.integers(-rank, rank - 1))
        n = draw(st.sampled_from([2, 2, 3, 3, 4, 5, 10]))
        extents = [draw(st.integers(1, 4)) for _ in range(n)]
        consts = [draw(st.integers(0, 4)) == 0 for _ in range(n)]
        if all(consts):
            consts[0] = False
        return dict(kind="CONCATENATION", base=tuple(base), axis=axis, extents=tuple(extents),
                    consts=tuple(consts), scale=_log_uniform(draw, 0.001, 1.0),
                    zp=draw(st.integers(-128, 127)), seed=draw(seeds))
    return s()


def _concat_into(b: GraphBuilder, c: dict) -> Tensor:
    rank = len(c["base"])
    ax = c["axis"] % rank
    xs = []
    for e, is_const in zip(c["extents"], c["consts"]):
        shape = list(c["base"])
        shape[ax] = e
        xs.append(b.const_int8(shape, scale=c["scale"], zero_point=c["zp"]) if is_const
                  else b.input(shape, scale=c["scale"], zero_point=c["zp"]))
    return b.concatenation(xs, c["axis"])


# -- TRANSPOSE -----------------------------------------------------------------------------------
def _transpose_strategy():
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 5))
        shape = [draw(st.integers(1, 6)) for _ in range(rank)]
        while int(np.prod(shape)) > 1200:
            i = int(np.argmax(shape))
            shape[i] = max(1, shape[i] // 2)
        perm = draw(st.permutations(list(range(rank))))
        return dict(kind="TRANSPOSE", shape=tuple(shape), perm=tuple(perm),
                    dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))
    return s()


def _transpose_into(b: GraphBuilder, c: dict) -> Tensor:
    return b.transpose(b.input(c["shape"], dtype=c["dtype"]), c["perm"])


# -- SOFTMAX -------------------------------------------------------------------------------------
def _softmax_strategy():
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 4))
        depth = draw(st.sampled_from([2, 3, 5, 10, 17, 64, 100, 255, 511, 512, 1000, draw(st.integers(2, 300))]))
        outer = [draw(st.integers(1, 4)) for _ in range(rank - 1)]
        while int(np.prod(outer)) * depth > 3000 and outer:
            i = int(np.argmax(outer))
            outer[i] = max(1, outer[i] // 2)
        # k = beta * input_scale: from barely above TFLM's minimum (2^-26) to far past saturation
        # (multiplier capped at 2^31 - 1). Rows of >= 512 elements with tiny k can reach a sum of
        # exponentials >= 512, where TFLM aborts: keep k >= 0.05 there.
        lo = 0.05 if depth >= 512 else 2e-8
        k = _log_uniform(draw, lo, 200.0)
        beta = draw(st.sampled_from([1.0, 1.0, 0.5, 2.0, _log_uniform(draw, 0.01, 100.0)]))
        return dict(kind="SOFTMAX", shape=tuple(outer) + (depth,), beta=beta, scale=k / beta,
                    zp=draw(st.integers(-128, 127)), seed=draw(seeds))
    return s()


def _softmax_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    return b.softmax(x, beta=c["beta"])


# -- registration --------------------------------------------------------------------------------
#: case kind -> (strategy, function adding the case's operator to a builder, returning its output)
_INTO = {
    "ADD": (_binary_strategy("ADD"), _binary_into),
    "SUB": (_binary_strategy("SUB"), _binary_into),
    "MUL": (_binary_strategy("MUL"), _binary_into),
    "CONCATENATION": (_concat_strategy(), _concat_into),
    "TRANSPOSE": (_transpose_strategy(), _transpose_into),
    "SOFTMAX": (_softmax_strategy(), _softmax_into),
}


def build_packed(cases: Sequence[dict]) -> bytes:
    """One model holding every case as an independent subgraph (own inputs, own output), seeded
    by the first case: many random operators per host build, which keeps the tests fast."""
    b = GraphBuilder("packed", seed=cases[0]["seed"])
    return b.tflite([_INTO[c["kind"]][1](b, c) for c in cases])


def _register(kind: str) -> None:
    strategy, into = _INTO[kind]

    def build(c: dict) -> bytes:
        b = GraphBuilder(kind.lower(), seed=c["seed"])
        return b.tflite([into(b, c)])
    build.strategy = strategy  # type: ignore[attr-defined]
    case(kind)(build)


for _kind in _INTO:
    _register(_kind)
