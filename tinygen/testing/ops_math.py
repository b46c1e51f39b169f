"""Graph builders and hypothesis cases for MAXIMUM, MINIMUM, PRELU, SQUARED_DIFFERENCE, RSQRT,
L2_NORMALIZATION, REDUCE_MAX, SUM, ARG_MAX, ARG_MIN, BATCH_MATMUL, and REDUCE_MIN, ABS, ADD_N,
CUMSUM, EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, SELECT_V2.

Quantizations follow what a calibrated converter gives: outputs span the real range the
operation maps the inputs' ranges to, times a random factor (some cases saturate a little, some
leave codes unused). Type-independent operators (MAXIMUM, MINIMUM, REDUCE_MAX, ARG_MAX, ARG_MIN)
also draw every other element type TFLite Micro takes for them. `build_math_packed` puts many
cases into one model (independent subgraphs), which keeps the host and target tests fast.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.arg_min_max import ArgAttrs
from ..ops.batch_matmul import BatchMatMulAttrs
from ..ops.cumsum import CumsumAttrs
from ..ops.l2_normalization import L2NormAttrs
from ..ops.mean import MeanAttrs, loop_nest, resolve_axes
from .builder import GraphBuilder, builder_method
from .ops_elementwise import _broadcast_shapes, _input_shape, _log_uniform, int8_range, range_quant
from .strategies import case, seeds

#: L2_NORMALIZATION's output quantization as the converter writes it (TFLM ignores it)
L2NORM_QUANT = (1.0 / 128.0, 0)


def _copy(q: Quant | None) -> Quant | None:
    return None if q is None else Quant(scale=q.scale.copy(), zero_point=q.zero_point.copy())


def _axis_tensor(b: GraphBuilder, axes: Sequence[int]) -> Tensor:
    return b.const(np.asarray(list(axes), dtype=np.int32).reshape(-1), "int32", name=b._name("axis"))


# -- builder methods ---------------------------------------------------------------------------
@builder_method
def maximum(self: GraphBuilder, x: Tensor, y: Tensor) -> Tensor:
    """Elementwise maximum; the output keeps input 1's quantization (TFLM compares raw values)."""
    out = self.op("MAXIMUM", [x, y], None, _copy(x.quant), out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


@builder_method
def minimum(self: GraphBuilder, x: Tensor, y: Tensor) -> Tensor:
    out = self.op("MINIMUM", [x, y], None, _copy(x.quant), out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


@builder_method
def prelu(self: GraphBuilder, x: Tensor, alpha: Tensor, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None and x.dtype == "int8":
        lo, hi = int8_range(x.quant)
        alo, ahi = int8_range(alpha.quant)
        vals = [hi, 0.0] + [lo * a for a in (alo, ahi)]
        out_quant = range_quant(self, min(vals), max(vals))
    out = self.op("PRELU", [x, alpha], None, out_quant, out_dtype=x.dtype)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def squared_difference(self: GraphBuilder, x: Tensor, y: Tensor, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        lo1, hi1 = int8_range(x.quant)
        lo2, hi2 = int8_range(y.quant)
        # differences of typical (not extreme) values: a calibrated range is well below the maximum
        span = max(abs(hi1 - lo2), abs(hi2 - lo1)) * float(np.exp(self.rng.uniform(np.log(0.4), np.log(1.0))))
        out_quant = range_quant(self, 0.0, span * span)
    out = self.op("SQUARED_DIFFERENCE", [x, y], None, out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def rsqrt(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        lo, hi = int8_range(x.quant)
        smallest = max(x.quant.s, 0.01 * hi)  # the calibrated input rarely sits at one step
        out_quant = range_quant(self, 0.0, 1.0 / math.sqrt(smallest))
    out = self.op("RSQRT", [x], None, out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def l2_normalization(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    q = out_quant or Quant(scale=[L2NORM_QUANT[0]], zero_point=[L2NORM_QUANT[1]])
    out = self.op("L2_NORMALIZATION", [x], L2NormAttrs(), q)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def reduce_max(self: GraphBuilder, x: Tensor, axes: Sequence[int], keep_dims: bool = False) -> Tensor:
    """Maximum over `axes`; int8 output with the input's quantization (TFLM requires it)."""
    out = self.op("REDUCE_MAX", [x, _axis_tensor(self, axes)], MeanAttrs(keep_dims=keep_dims), _copy(x.quant),
                  out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


@builder_method
def reduce_sum(self: GraphBuilder, x: Tensor, axes: Sequence[int], keep_dims: bool = False,
               out_quant: Quant | None = None) -> Tensor:
    """SUM over `axes` (int8); the default output quantization spans the sum's typical range."""
    if out_quant is None:
        ax = _axis_tensor(self, axes)
        count = 1
        for a in set(int(v) % x.rank for v in axes):
            count *= x.shape[a]
        lo, hi = int8_range(x.quant)
        mid = (lo + hi) / 2.0 * count
        half = (hi - lo) / 2.0 * math.sqrt(count) * 1.5
        out_quant = range_quant(self, mid - half, mid + half)
    else:
        ax = _axis_tensor(self, axes)
    out = self.op("SUM", [x, ax], MeanAttrs(keep_dims=keep_dims), out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def arg_max(self: GraphBuilder, x: Tensor, axis: int) -> Tensor:
    return self.op("ARG_MAX", [x, _axis_tensor(self, [axis])], ArgAttrs(), None, out_dtype="int32")


@builder_method
def arg_min(self: GraphBuilder, x: Tensor, axis: int) -> Tensor:
    return self.op("ARG_MIN", [x, _axis_tensor(self, [axis])], ArgAttrs(), None, out_dtype="int32")


@builder_method
def batch_matmul(self: GraphBuilder, x: Tensor, y: Tensor, adj_x: bool = False, adj_y: bool = False,
                 out_quant: Quant | None = None) -> Tensor:
    if out_quant is None:
        # real output statistics for operands spread around their midpoints: a sum of `depth`
        # products, mean depth * mx * my, variance depth * (mx^2 vy + my^2 vx + vx vy)
        depth = x.shape[-2] if adj_x else x.shape[-1]
        (mx, vx), (my, vy) = [(((lo + hi) / 2.0), (self.spread.get(id(t), 74.0) * t.quant.s) ** 2)
                              for t in (x, y) for lo, hi in [int8_range(t.quant)]]
        mean = depth * mx * my
        sd = math.sqrt(depth * (mx * mx * vy + my * my * vx + vx * vy))
        out_quant = range_quant(self, mean - 3.0 * sd, mean + 3.0 * sd)
    out = self.op("BATCH_MATMUL", [x, y], BatchMatMulAttrs(adj_x=adj_x, adj_y=adj_y), out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def reduce_min(self: GraphBuilder, x: Tensor, axes: Sequence[int], keep_dims: bool = False) -> Tensor:
    out = self.op("REDUCE_MIN", [x, _axis_tensor(self, axes)], MeanAttrs(keep_dims=keep_dims), _copy(x.quant),
                  out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


@builder_method
def abs_(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    """ABS (named abs_: `abs` is Python's); int8 default: the range [0, max |x|]."""
    if out_quant is None and x.dtype == "int8":
        lo, hi = int8_range(x.quant)
        out_quant = range_quant(self, 0.0, max(abs(lo), abs(hi)))
    elif out_quant is None:
        out_quant = _copy(x.quant)
    out = self.op("ABS", [x], None, out_quant, out_dtype=x.dtype)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def add_n(self: GraphBuilder, xs: Sequence[Tensor], out_quant: Quant | None = None) -> Tensor:
    """ADD_N of tensors sharing one shape and quantization."""
    x0 = xs[0]
    if out_quant is None and x0.dtype == "int8":
        lo, hi = int8_range(x0.quant)
        mid, half = (lo + hi) / 2.0 * len(xs), (hi - lo) / 2.0 * math.sqrt(len(xs)) * 1.5
        out_quant = range_quant(self, mid - half, mid + half)
    out = self.op("ADD_N", list(xs), None, out_quant, out_dtype=x0.dtype)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def cumsum(self: GraphBuilder, x: Tensor, axis: int, exclusive: bool = False, reverse: bool = False,
           out_quant: Quant | None = None) -> Tensor:
    if out_quant is None and x.dtype == "int8":
        n = x.shape[axis]
        lo, hi = int8_range(x.quant)
        mid, half = (lo + hi) / 2.0 * n, (hi - lo) / 2.0 * math.sqrt(n) * 1.5
        out_quant = range_quant(self, min(mid - half, lo), max(mid + half, hi))
    out = self.op("CUMSUM", [x, _axis_tensor(self, [axis])], CumsumAttrs(exclusive=exclusive, reverse=reverse),
                  out_quant, out_dtype=x.dtype)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def compare(self: GraphBuilder, kind: str, x: Tensor, y: Tensor) -> Tensor:
    """EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS or LESS_EQUAL: a bool output."""
    return self.op(kind, [x, y], None, None, out_dtype="bool")


@builder_method
def select_v2(self: GraphBuilder, cond: Tensor, x: Tensor, y: Tensor) -> Tensor:
    out = self.op("SELECT_V2", [cond, x, y], None, _copy(x.quant), out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


# -- hypothesis cases ------------------------------------------------------------------------------
def distinct_cases(strategy: st.SearchStrategy, n: int) -> st.SearchStrategy:
    """Lists of n cases, at least half of them different (seeds aside). Hypothesis starts from
    its simplest example, n copies of the smallest case; this keeps a single example worth n."""
    def diverse(cs: list[dict]) -> bool:
        return len({repr(sorted((k, v) for k, v in c.items() if k != "seed")) for c in cs}) >= n // 2
    return st.lists(strategy, min_size=n, max_size=n).filter(diverse)


def draw_example(strategy: st.SearchStrategy):
    """One example of `strategy` drawn by hypothesis under the active settings profile (the
    derandomized CI profile gives the same example on every run). For tests that gather the cases
    of many operators into one build: a single @given over all of them would exceed hypothesis's
    data budget."""
    out = []

    @settings(max_examples=1, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(strategy)
    def grab(x):
        out.append(x)

    grab()
    return out[-1]


TYPED = ["int8", "int8", "int8", "int16", "int32", "int64", "float32"]


def _typed_input(b: GraphBuilder, shape, dtype: str, scale: float | None = None, zp: int | None = None) -> Tensor:
    if dtype == "int8":
        return b.input(_input_shape(shape), scale=scale, zero_point=zp)
    return b.input(_input_shape(shape), dtype=dtype)


def _typed_const(b: GraphBuilder, shape, dtype: str, scale: float | None = None, zp: int | None = None) -> Tensor:
    if dtype == "int8":
        return b.const_int8(tuple(shape), scale=scale, zero_point=zp)
    if dtype == "float32":
        return b.const(b.rng.normal(0.0, 1.0, size=tuple(shape)).astype(np.float32), "float32", name=b._name("const"))
    info = np.iinfo(np.dtype(dtype))
    lo, hi = max(info.min, -(1 << 40)), min(info.max, 1 << 40)
    return b.const(b.rng.integers(lo, hi, size=tuple(shape), endpoint=True).astype(dtype), dtype,
                   name=b._name("const"))


# MAXIMUM / MINIMUM
def _minmax_strategy(kind: str):
    @st.composite
    def s(draw):
        s1, s2 = draw(_broadcast_shapes())
        return dict(kind=kind, shape1=s1, shape2=s2, dtype=draw(st.sampled_from(TYPED)),
                    mode=draw(st.sampled_from(["inputs", "inputs", "const1", "const2", "same"])),
                    scale1=_log_uniform(draw, 0.005, 0.5), scale2=_log_uniform(draw, 0.005, 0.5),
                    zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)), seed=draw(seeds))
    return s()


def _minmax_into(b: GraphBuilder, c: dict) -> Tensor:
    fn = b.maximum if c["kind"] == "MAXIMUM" else b.minimum
    dt = c["dtype"]
    if c["mode"] == "same":
        x = _typed_input(b, c["shape1"], dt, c["scale1"], c["zp1"])
        return fn(x, x)
    x1 = (_typed_const(b, c["shape1"], dt, c["scale1"], c["zp1"]) if c["mode"] == "const1"
          else _typed_input(b, c["shape1"], dt, c["scale1"], c["zp1"]))
    x2 = (_typed_const(b, c["shape2"], dt, c["scale2"], c["zp2"]) if c["mode"] == "const2"
          else _typed_input(b, c["shape2"], dt, c["scale2"], c["zp2"]))
    return fn(x1, x2)


# PRELU
@st.composite
def _prelu_strategy(draw):
    dtype = draw(st.sampled_from(["int8"] * 5 + ["float32"]))
    rank = draw(st.integers(1, 4 if dtype == "float32" else 5))
    shape = [draw(st.integers(1, 7)) for _ in range(rank)]
    style = draw(st.sampled_from(["channel", "channel", "channel", "same", "scalar", "random"]))
    if style == "channel":  # Keras PReLU: one alpha per channel, shared over the other axes
        ashape = [shape[-1]] if draw(st.booleans()) else [1] * (rank - 1) + [shape[-1]]
    elif style == "same":
        ashape = list(shape)
    elif style == "scalar":
        ashape = [1]
    else:
        ashape = [n if draw(st.booleans()) else 1 for n in shape][draw(st.integers(0, rank - 1)):]
    swap = style == "random" and draw(st.booleans())  # the input may be the broadcast operand
    return dict(kind="PRELU", dtype=dtype, shape=tuple(ashape if swap else shape),
                alpha_shape=tuple(shape if swap else ashape), alpha_const=draw(st.sampled_from([True, True, False])),
                alpha_lo=draw(st.floats(-1.0, 0.5)), alpha_span=draw(st.floats(0.01, 1.5)),
                scale=_log_uniform(draw, 0.005, 0.5), zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _prelu_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["dtype"] == "float32":
        x = b.input(c["shape"], dtype="float32")
        if c["alpha_const"]:
            a = b.const(b.rng.uniform(c["alpha_lo"], c["alpha_lo"] + c["alpha_span"], size=c["alpha_shape"])
                        .astype(np.float32), "float32", name=b._name("alpha"))
        else:
            a = b.input(c["alpha_shape"], dtype="float32")
        return b.prelu(x, a)
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    lo, hi = c["alpha_lo"], c["alpha_lo"] + c["alpha_span"]
    aq = range_quant(b, lo, hi, jitter=(1.0, 1.0))
    if c["alpha_const"]:
        real = b.rng.uniform(lo, hi, size=c["alpha_shape"])
        data = np.clip(np.round(real / aq.s) + aq.zp, -128, 127).astype(np.int8)
        a = b.const(data, "int8", aq, name=b._name("alpha"))
    else:
        a = b.input(c["alpha_shape"], scale=aq.s, zero_point=aq.zp)
    return b.prelu(x, a)


# SQUARED_DIFFERENCE
@st.composite
def _sqdiff_strategy(draw):
    s1, s2 = draw(_broadcast_shapes())
    extreme = draw(st.integers(0, 5)) == 0
    sc1 = _log_uniform(draw, 0.002, 0.5)
    sc2 = sc1 * (_log_uniform(draw, 1e-6, 1e6) if extreme else _log_uniform(draw, 0.1, 10.0))
    return dict(kind="SQUARED_DIFFERENCE", shape1=s1, shape2=s2,
                mode=draw(st.sampled_from(["inputs", "inputs", "inputs", "const1", "const2", "same"])),
                scale1=sc1, scale2=sc2, zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)),
                seed=draw(seeds))


def _sqdiff_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["mode"] == "same":
        x = b.input(_input_shape(c["shape1"]), scale=c["scale1"], zero_point=c["zp1"])
        return b.squared_difference(x, x, out_quant=range_quant(b, 0.0, 1.0))
    x1 = (b.const_int8(c["shape1"], scale=c["scale1"], zero_point=c["zp1"]) if c["mode"] == "const1"
          else b.input(_input_shape(c["shape1"]), scale=c["scale1"], zero_point=c["zp1"]))
    x2 = (b.const_int8(c["shape2"], scale=c["scale2"], zero_point=c["zp2"]) if c["mode"] == "const2"
          else b.input(_input_shape(c["shape2"]), scale=c["scale2"], zero_point=c["zp2"]))
    return b.squared_difference(x1, x2)


# RSQRT: TFLM fails the inference on inputs below the zero point, so the input either has zero
# point -128 (every value valid) or comes out of a RELU (values at or above its zero point)
@st.composite
def _rsqrt_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 8)) for _ in range(rank))
    return dict(kind="RSQRT", shape=shape, via_relu=draw(st.booleans()), scale=_log_uniform(draw, 1e-4, 10.0),
                zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _rsqrt_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["via_relu"]:
        x = b.relu(b.input(c["shape"], scale=c["scale"], zero_point=c["zp"]))
    else:
        x = b.input(c["shape"], scale=c["scale"], zero_point=-128)
    return b.rsqrt(x)


# L2_NORMALIZATION
@st.composite
def _l2norm_strategy(draw):
    rank = draw(st.integers(1, 4))
    depth = draw(st.sampled_from([1, 2, 3, 8, 17, 64, 300, draw(st.integers(1, 40))]))
    outer = [draw(st.integers(1, 5)) for _ in range(rank - 1)]
    return dict(kind="L2_NORMALIZATION", shape=tuple(outer) + (depth,), scale=_log_uniform(draw, 0.001, 1.0),
                zp=draw(st.integers(-128, 127)), converter_quant=draw(st.sampled_from([True, True, True, False])),
                seed=draw(seeds))


def _l2norm_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    return b.l2_normalization(x, out_quant=None if c["converter_quant"] else b.quant())


# REDUCE_MAX / SUM
@st.composite
def _reduce_axes(draw, rank: int):
    k = draw(st.integers(1, rank))  # at least one axis: a .tflite file cannot hold an empty constant
    axes = draw(st.permutations(list(range(rank))))[:k]
    axes = [a - rank if draw(st.booleans()) else a for a in axes]
    if axes and draw(st.integers(0, 4)) == 0:
        axes.append(axes[0])  # a duplicate axis
    return axes


def _reduce_strategy(kind: str):
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 5))
        shape = [draw(st.integers(1, 7)) for _ in range(rank)]
        while int(np.prod(shape)) > 1500:
            i = int(np.argmax(shape))
            shape[i] = max(1, shape[i] // 2)
        dtype = draw(st.sampled_from(["int8", "int8", "int8", "float32"])) if kind != "SUM" else "int8"
        return dict(kind=kind, shape=tuple(shape), axes=tuple(draw(_reduce_axes(rank))), keep_dims=draw(st.booleans()),
                    dtype=dtype, scale=_log_uniform(draw, 0.001, 1.0), zp=draw(st.integers(-128, 127)),
                    seed=draw(seeds))
    return s()


def _reduce_loops_fit(c: dict) -> bool:
    """The kernels walk at most 4 loop levels of kept and of reduced dimensions (merged)."""
    axes = resolve_axes(c["axes"], len(c["shape"]))
    kept = [i for i in range(len(c["shape"])) if i not in axes]
    return loop_nest(c["shape"], kept).count <= 4 and loop_nest(c["shape"], sorted(axes)).count <= 4


def _reduce_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["dtype"] == "float32":
        x = b.input(c["shape"], dtype="float32")
    else:
        x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    if c["kind"] == "REDUCE_MAX":
        return b.reduce_max(x, c["axes"], keep_dims=c["keep_dims"])
    if c["kind"] == "REDUCE_MIN":
        return b.reduce_min(x, c["axes"], keep_dims=c["keep_dims"])
    return b.reduce_sum(x, c["axes"], keep_dims=c["keep_dims"])


# ARG_MAX / ARG_MIN
def _arg_strategy(kind: str):
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 5))
        shape = [draw(st.integers(1, 8)) for _ in range(rank)]
        while int(np.prod(shape)) > 1500:
            i = int(np.argmax(shape))
            shape[i] = max(1, shape[i] // 2)
        axis = draw(st.integers(-rank, rank - 1))
        return dict(kind=kind, shape=tuple(shape), axis=axis, dtype=draw(st.sampled_from(["int8", "int8", "float32"])),
                    ties=draw(st.booleans()), scale=_log_uniform(draw, 0.001, 1.0), zp=draw(st.integers(-128, 127)),
                    seed=draw(seeds))
    return s()


def _arg_into(b: GraphBuilder, c: dict) -> Tensor:
    fn = b.arg_max if c["kind"] == "ARG_MAX" else b.arg_min
    if c["dtype"] == "float32":
        return fn(b.input(c["shape"], dtype="float32"), c["axis"])
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    if c["ties"]:  # many equal values: a RELU clamps about half of them to its zero point
        x = b.relu(x)
    return fn(x, c["axis"])


# BATCH_MATMUL
@st.composite
def _matmul_strategy(draw):
    r, d, cc = draw(st.integers(1, 9)), draw(st.integers(1, 33)), draw(st.integers(1, 9))
    nb = draw(st.integers(0, 3))
    out_batch = [draw(st.integers(1, 3)) for _ in range(nb)]
    bx = [n if draw(st.booleans()) else 1 for n in out_batch]
    bw = [n if draw(st.booleans()) else 1 for n in out_batch]
    if nb and draw(st.booleans()):
        bx = bx[draw(st.integers(0, nb)):]
    if nb and draw(st.booleans()):
        bw = bw[draw(st.integers(0, nb)):]
    adj_x, adj_y = draw(st.booleans()), draw(st.booleans())
    return dict(kind="BATCH_MATMUL", lhs=tuple(bx) + ((d, r) if adj_x else (r, d)),
                rhs=tuple(bw) + ((cc, d) if adj_y else (d, cc)), adj_x=adj_x, adj_y=adj_y,
                rhs_const=draw(st.booleans()), scale1=_log_uniform(draw, 0.005, 0.5), scale2=_log_uniform(draw, 0.005, 0.5),
                zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)), seed=draw(seeds))


def _matmul_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["lhs"], scale=c["scale1"], zero_point=c["zp1"])
    y = (b.const_int8(c["rhs"], scale=c["scale2"], zero_point=c["zp2"]) if c["rhs_const"]
         else b.input(c["rhs"], scale=c["scale2"], zero_point=c["zp2"]))
    return b.batch_matmul(x, y, adj_x=c["adj_x"], adj_y=c["adj_y"])


# ABS
@st.composite
def _abs_strategy(draw):
    rank = draw(st.integers(1, 4))
    return dict(kind="ABS", shape=tuple(draw(st.integers(1, 8)) for _ in range(rank)),
                dtype=draw(st.sampled_from(["int8", "int8", "int8", "int16", "float32"])),
                same_scale=draw(st.booleans()), scale=_log_uniform(draw, 0.001, 1.0), zp=draw(st.integers(-128, 127)),
                seed=draw(seeds))


def _abs_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["dtype"] == "float32":
        return b.abs_(b.input(c["shape"], dtype="float32"))
    if c["dtype"] == "int16":
        x = b.input(c["shape"], dtype="int16", scale=c["scale"], zero_point=0)
        q = None if c["same_scale"] else Quant(scale=[c["scale"] * float(b.rng.uniform(0.5, 2.0))], zero_point=[0])
        return b.abs_(x, out_quant=q)
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    q = Quant(scale=[c["scale"]], zero_point=[int(b.rng.integers(-128, 128))]) if c["same_scale"] else None
    return b.abs_(x, out_quant=q)


# ADD_N
@st.composite
def _add_n_strategy(draw):
    rank = draw(st.integers(1, 5))
    shape = [draw(st.integers(1, 6)) for _ in range(rank)]
    n = draw(st.integers(2, 6))
    return dict(kind="ADD_N", shape=tuple(shape), n=n, consts=tuple(draw(st.integers(0, 3)) == 0 for _ in range(n)),
                dtype=draw(st.sampled_from(["int8", "int8", "int8", "float32"])), scale=_log_uniform(draw, 0.001, 1.0),
                zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _add_n_into(b: GraphBuilder, c: dict) -> Tensor:
    xs = []
    for k, is_const in enumerate(c["consts"]):
        if c["dtype"] == "float32":
            xs.append(_typed_const(b, c["shape"], "float32") if is_const and k else b.input(c["shape"], dtype="float32"))
        else:
            xs.append(b.const_int8(c["shape"], scale=c["scale"], zero_point=c["zp"]) if is_const and k
                      else b.input(c["shape"], scale=c["scale"], zero_point=c["zp"]))
    return b.add_n(xs)


# CUMSUM
@st.composite
def _cumsum_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.integers(1, 9)) for _ in range(rank))
    return dict(kind="CUMSUM", shape=shape, axis=draw(st.integers(-rank, rank - 1)), exclusive=draw(st.booleans()),
                reverse=draw(st.booleans()), dtype=draw(st.sampled_from(["int8", "int8", "int8", "float32"])),
                scale=_log_uniform(draw, 0.001, 1.0), zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _cumsum_into(b: GraphBuilder, c: dict) -> Tensor:
    x = (b.input(c["shape"], dtype="float32") if c["dtype"] == "float32"
         else b.input(c["shape"], scale=c["scale"], zero_point=c["zp"]))
    return b.cumsum(x, c["axis"], exclusive=c["exclusive"], reverse=c["reverse"])


# comparisons
def _compare_strategy(kind: str):
    types = ["int8", "int8", "int8", "int32", "int64", "float32"] + (["bool"] if kind in ("EQUAL", "NOT_EQUAL") else [])

    @st.composite
    def s(draw):
        s1, s2 = draw(_broadcast_shapes())
        # int8 scales below one (TFLM's requirement), often close so that equal real values occur
        sc1 = _log_uniform(draw, 0.002, 0.9)
        sc2 = draw(st.sampled_from([sc1, sc1 * 2.0, sc1 * 0.5, _log_uniform(draw, 0.002, 0.9)]))
        return dict(kind=kind, shape1=s1, shape2=s2, dtype=draw(st.sampled_from(types)),
                    mode=draw(st.sampled_from(["inputs", "inputs", "const1", "const2", "same"])), scale1=sc1,
                    scale2=min(sc2, 0.95), zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)),
                    seed=draw(seeds))
    return s()


def _compare_into(b: GraphBuilder, c: dict) -> Tensor:
    dt = c["dtype"]

    def operand(shape, scale, zp, const):
        if dt == "bool":
            if const:
                return b.const(b.rng.integers(0, 2, size=tuple(shape)).astype(np.bool_), "bool", name=b._name("const"))
            return b.input(_input_shape(shape), dtype="bool")
        return _typed_const(b, shape, dt, scale, zp) if const else _typed_input(b, shape, dt, scale, zp)
    if c["mode"] == "same":
        x = operand(c["shape1"], c["scale1"], c["zp1"], False)
        return b.compare(c["kind"], x, x)
    x1 = operand(c["shape1"], c["scale1"], c["zp1"], c["mode"] == "const1")
    x2 = operand(c["shape2"], c["scale2"], c["zp2"], c["mode"] == "const2")
    return b.compare(c["kind"], x1, x2)


# SELECT_V2
@st.composite
def _select_strategy(draw):
    rank = draw(st.integers(1, 5))
    out = [draw(st.integers(1, 6)) for _ in range(rank)]
    shapes = []
    for _ in range(3):
        sh = [n if draw(st.booleans()) else 1 for n in out]
        if draw(st.booleans()):
            sh = sh[draw(st.integers(0, rank - 1)):]
        shapes.append(tuple(sh))
    return dict(kind="SELECT_V2", cond=shapes[0], x=shapes[1], y=shapes[2],
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "float32"])),
                x_const=draw(st.integers(0, 3)) == 0, scale=_log_uniform(draw, 0.001, 1.0),
                zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _select_into(b: GraphBuilder, c: dict) -> Tensor:
    dt = c["dtype"]
    cond = b.input(_input_shape(c["cond"]), dtype="bool")
    if dt == "float32":
        x = _typed_const(b, c["x"], dt) if c["x_const"] else b.input(_input_shape(c["x"]), dtype=dt)
        y = b.input(_input_shape(c["y"]), dtype=dt)
    else:
        q = dict(scale=c["scale"], zero_point=c["zp"] if dt == "int8" else 0)
        x = (b.const(b.rng.integers(-128, 128, size=c["x"]).astype(dt), dt, Quant(scale=[c["scale"]], zero_point=[q["zero_point"]]))
             if c["x_const"] else b.input(_input_shape(c["x"]), dtype=dt, **q))
        y = b.input(_input_shape(c["y"]), dtype=dt, **q)
    return b.select_v2(cond, x, y)


# -- registration --------------------------------------------------------------------------------
#: case kind -> (strategy, function adding the case's operator to a builder, returning its output)
MATH_CASES = {
    "MAXIMUM": (_minmax_strategy("MAXIMUM"), _minmax_into),
    "MINIMUM": (_minmax_strategy("MINIMUM"), _minmax_into),
    "PRELU": (_prelu_strategy(), _prelu_into),
    "SQUARED_DIFFERENCE": (_sqdiff_strategy(), _sqdiff_into),
    "RSQRT": (_rsqrt_strategy(), _rsqrt_into),
    "L2_NORMALIZATION": (_l2norm_strategy(), _l2norm_into),
    "REDUCE_MAX": (_reduce_strategy("REDUCE_MAX").filter(_reduce_loops_fit), _reduce_into),
    "SUM": (_reduce_strategy("SUM").filter(_reduce_loops_fit), _reduce_into),
    "ARG_MAX": (_arg_strategy("ARG_MAX"), _arg_into),
    "ARG_MIN": (_arg_strategy("ARG_MIN"), _arg_into),
    "BATCH_MATMUL": (_matmul_strategy(), _matmul_into),
    "REDUCE_MIN": (_reduce_strategy("REDUCE_MIN").filter(_reduce_loops_fit), _reduce_into),
    "ABS": (_abs_strategy(), _abs_into),
    "ADD_N": (_add_n_strategy(), _add_n_into),
    "CUMSUM": (_cumsum_strategy(), _cumsum_into),
    **{k: (_compare_strategy(k), _compare_into) for k in ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS",
                                                          "LESS_EQUAL")},
    "SELECT_V2": (_select_strategy(), _select_into),
}


def build_math_packed(cases: Sequence[dict]) -> bytes:
    """One model holding every case as an independent subgraph (own inputs, own output)."""
    b = GraphBuilder("math", seed=cases[0]["seed"])
    return b.tflite([MATH_CASES[c["kind"]][1](b, c) for c in cases])


def _register(kind: str) -> None:
    strategy, into = MATH_CASES[kind]

    def build(c: dict) -> bytes:
        b = GraphBuilder(kind.lower(), seed=c["seed"])
        return b.tflite([into(b, c)])
    build.strategy = strategy  # type: ignore[attr-defined]
    case(kind)(build)


for _kind in MATH_CASES:
    _register(_kind)
