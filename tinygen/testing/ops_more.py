"""Graph builders and hypothesis cases for LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT, CAST, ELU,
LOG_SOFTMAX, DIV, REDUCE_ALL, BROADCAST_ARGS, DYNAMIC_UPDATE_SLICE and the float32-only NEG,
SQUARE, SQRT, FLOOR, CEIL, ROUND, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D.

As in ops_math: `build_more_packed` puts many cases into one model (independent subgraphs) so
that the host and target tests build once.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.add_sub import ActivationAttrs
from ..ops.cast import CastAttrs
from ..ops.mean import MeanAttrs
from ..ops.pooling import Pool2DAttrs
from .builder import GraphBuilder, builder_method
from .ops_elementwise import (
    _broadcast_shapes,
    _input_shape,
    _log_uniform,
    int8_range,
    range_quant,
)
from .strategies import case, seeds


# -- builder methods ---------------------------------------------------------------------------
@builder_method
def logical(self: GraphBuilder, kind: str, x: Tensor, y: Tensor) -> Tensor:
    """LOGICAL_AND or LOGICAL_OR of two bool tensors."""
    return self.op(kind, [x, y], None, None, out_dtype="bool")


@builder_method
def logical_not(self: GraphBuilder, x: Tensor) -> Tensor:
    return self.op("LOGICAL_NOT", [x], None, None, out_dtype="bool")


@builder_method
def cast(self: GraphBuilder, x: Tensor, dtype: str, options: bool = True) -> Tensor:
    """CAST to `dtype` (no quantization on the output, as converters write it)."""
    attrs = CastAttrs(in_dtype=x.dtype, out_dtype=dtype) if options else CastAttrs()
    return self.op("CAST", [x], attrs, None, out_dtype=dtype)


@builder_method
def elu(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    """int8 ELU; the default output spans [-1, the input's maximum] (a calibrated range)."""
    if out_quant is None:
        lo, hi = int8_range(x.quant)
        out_quant = range_quant(self, max(lo, -1.0), hi)
    out = self.op("ELU", [x], None, out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def log_softmax(self: GraphBuilder, x: Tensor, out_quant: Quant | None = None) -> Tensor:
    """int8 LOG_SOFTMAX; the output quantization TFLM requires (16/256, 127) unless given."""
    q = out_quant or Quant(scale=[16.0 / 256.0], zero_point=[127])
    out = self.op("LOG_SOFTMAX", [x], None, q)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def div(self: GraphBuilder, x: Tensor, y: Tensor, activation: str = "NONE", out_quant: Quant | None = None) -> Tensor:
    """DIV; int8 default output: the quotients of typical values (divisors away from zero)."""
    if out_quant is None and x.dtype == "int8":
        lo1, hi1 = int8_range(x.quant)
        lo2, hi2 = int8_range(y.quant)
        small = max(min(abs(lo2), abs(hi2)), 0.25 * max(abs(lo2), abs(hi2)), y.quant.s)
        big = max(abs(lo1), abs(hi1)) / small
        out_quant = range_quant(self, -big, big)
    out = self.op("DIV", [x, y], ActivationAttrs(activation=activation), out_quant, out_dtype=x.dtype)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def float_unary(self: GraphBuilder, kind: str, x: Tensor) -> Tensor:
    """NEG, SQUARE, SQRT, FLOOR, CEIL or ROUND of a float32 tensor."""
    return self.op(kind, [x], None, None, out_dtype="float32")


@builder_method
def floor_binary(self: GraphBuilder, kind: str, x: Tensor, y: Tensor) -> Tensor:
    """FLOOR_DIV or FLOOR_MOD of two float32 tensors."""
    return self.op(kind, [x, y], None, None, out_dtype="float32")


@builder_method
def l2_pool(self: GraphBuilder, x: Tensor, filter=(2, 2), stride=(2, 2), padding: str = "VALID",
            activation: str = "NONE") -> Tensor:
    """float32 L2_POOL_2D."""
    return self.op("L2_POOL_2D", [x], Pool2DAttrs(padding=padding, stride=tuple(stride), filter=tuple(filter),
                                                  activation=activation), None, out_dtype="float32")


@builder_method
def reduce_all(self: GraphBuilder, x: Tensor, axes: Sequence[int], keep_dims: bool = False) -> Tensor:
    ax = self.const(np.asarray(list(axes), dtype=np.int32).reshape(-1), "int32", name=self._name("axis"))
    return self.op("REDUCE_ALL", [x, ax], MeanAttrs(keep_dims=keep_dims), None, out_dtype="bool")


@builder_method
def broadcast_args(self: GraphBuilder, s1: Tensor, s2: Tensor) -> Tensor:
    return self.op("BROADCAST_ARGS", [s1, s2], None, None, out_dtype=s1.dtype)


@builder_method
def dynamic_update_slice(self: GraphBuilder, x: Tensor, update: Tensor, start: Tensor) -> Tensor:
    out = self.op("DYNAMIC_UPDATE_SLICE", [x, update, start], None,
                  None if x.quant is None else Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy()),
                  out_dtype=x.dtype)
    self.spread[id(out)] = self.spread.get(id(x), 40.0)
    return out


# -- hypothesis cases ------------------------------------------------------------------------------
def _bool_operand(b: GraphBuilder, shape, const: bool) -> Tensor:
    if const:
        return b.const(b.rng.integers(0, 2, size=tuple(shape)).astype(np.bool_), "bool", name=b._name("const"))
    return b.input(_input_shape(shape), dtype="bool")


# LOGICAL_AND / LOGICAL_OR
def _logical_strategy(kind: str):
    @st.composite
    def s(draw):
        s1, s2 = draw(_broadcast_shapes())
        return dict(kind=kind, shape1=tuple(s1), shape2=tuple(s2),
                    mode=draw(st.sampled_from(["inputs", "inputs", "const1", "const2", "same", "not"])),
                    seed=draw(seeds))
    return s()


def _logical_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["mode"] == "same":
        x = _bool_operand(b, c["shape1"], False)
        return b.logical(c["kind"], x, x)
    x1 = _bool_operand(b, c["shape1"], c["mode"] == "const1")
    x2 = _bool_operand(b, c["shape2"], c["mode"] == "const2")
    if c["mode"] == "not":  # an operand computed by LOGICAL_NOT
        x1 = b.logical_not(x1)
    return b.logical(c["kind"], x1, x2)


# LOGICAL_NOT
@st.composite
def _logical_not_strategy(draw):
    rank = draw(st.integers(1, 6))
    return dict(kind="LOGICAL_NOT", shape=tuple(draw(st.integers(1, 7)) for _ in range(rank)),
                twice=draw(st.booleans()), seed=draw(seeds))


def _logical_not_into(b: GraphBuilder, c: dict) -> Tensor:
    y = b.logical_not(b.input(c["shape"], dtype="bool"))
    return b.logical_not(y) if c["twice"] else y


# CAST
CAST_IN = ("int8", "int16", "int32", "float32", "bool")
CAST_OUT = ("int8", "int16", "int32", "float32", "bool")


@st.composite
def _cast_strategy(draw):
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 7)) for _ in range(rank))
    src = draw(st.sampled_from(CAST_IN))
    # a chain through a middle type reaches the conversions random inputs rarely hit: int32 ->
    # float32 (rounding) -> int8 (beyond int32's range at 2^31), float32 -> int32 -> int16 ...
    mid = draw(st.sampled_from((None, None) + CAST_OUT))
    return dict(kind="CAST", shape=shape, src=src, mid=mid, dst=draw(st.sampled_from(CAST_OUT)),
                options=draw(st.booleans()), seed=draw(seeds))


def _cast_into(b: GraphBuilder, c: dict) -> Tensor:
    src = c["src"]
    x = b.input(c["shape"], dtype=src) if src != "int8" else b.input(c["shape"])
    if c["mid"] is not None:
        x = b.cast(x, c["mid"], options=c["options"])
    return b.cast(x, c["dst"], options=c["options"])


# ELU
@st.composite
def _elu_strategy(draw):
    rank = draw(st.integers(1, 4))
    return dict(kind="ELU", shape=tuple(draw(st.integers(1, 8)) for _ in range(rank)),
                scale=_log_uniform(draw, 0.002, 0.5), zp=draw(st.integers(-128, 127)),
                out=draw(st.sampled_from(["calibrated", "calibrated", "same", "random"])),
                out_scale=_log_uniform(draw, 0.002, 0.5), out_zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _elu_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    q = {"calibrated": None, "same": Quant(scale=[c["scale"]], zero_point=[c["zp"]]),
         "random": Quant(scale=[c["out_scale"]], zero_point=[c["out_zp"]])}[c["out"]]
    return b.elu(x, out_quant=q)


# LOG_SOFTMAX
@st.composite
def _log_softmax_strategy(draw):
    rank = draw(st.integers(1, 4))
    depth = draw(st.sampled_from([1, 2, 3, 10, 33, 128, 300, draw(st.integers(1, 40))]))
    outer = tuple(draw(st.integers(1, 4)) for _ in range(rank - 1))
    return dict(kind="LOG_SOFTMAX", shape=outer + (depth,), scale=_log_uniform(draw, 0.001, 2.0),
                zp=draw(st.integers(-128, 127)), via_relu=draw(st.integers(0, 4)) == 0, seed=draw(seeds))


def _log_softmax_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
    if c["via_relu"]:  # many equal values (the row maximum repeated, ties at the zero point)
        x = b.relu(x)
    return b.log_softmax(x)


# DIV
@st.composite
def _div_strategy(draw):
    s1, s2 = draw(_broadcast_shapes(max_rank=5))
    return dict(kind="DIV", shape1=tuple(s1), shape2=tuple(s2),
                dtype=draw(st.sampled_from(["int8", "int8", "int8", "int32", "float32"])),
                mode=draw(st.sampled_from(["inputs", "inputs", "const1", "const2", "same"])),
                activation=draw(st.sampled_from(["NONE", "NONE", "RELU", "RELU6", "RELU_N1_TO_1"])),
                scale1=_log_uniform(draw, 0.005, 0.5), scale2=_log_uniform(draw, 0.005, 0.5),
                zp1=draw(st.integers(-128, 127)), zp2=draw(st.integers(-128, 127)),
                out=draw(st.sampled_from(["calibrated", "calibrated", "random"])), seed=draw(seeds))


def _div_operand(b: GraphBuilder, c: dict, k: int, const: bool) -> Tensor:
    shape, dt = c[f"shape{k}"], c["dtype"]
    if dt == "int8":
        if const:
            return b.const_int8(shape, scale=c[f"scale{k}"], zero_point=c[f"zp{k}"])
        return b.input(_input_shape(shape), scale=c[f"scale{k}"], zero_point=c[f"zp{k}"])
    if dt == "int32":  # divisors never 0 (TFLM traps): a constant of nonzero values
        if k == 2:
            v = b.rng.integers(1, 1000, size=tuple(shape)) * b.rng.choice([-1, 1], size=tuple(shape))
            return b.const(np.asarray(v, dtype=np.int32).reshape(shape), "int32", name=b._name("const"))
        if const:
            return b.const(b.rng.integers(-(1 << 31), 1 << 31, size=tuple(shape)).astype(np.int32), "int32",
                           name=b._name("const"))
        return b.input(_input_shape(shape), dtype="int32")
    if const:
        return b.const(b.rng.normal(0.0, 1.0, size=tuple(shape)).astype(np.float32), "float32", name=b._name("const"))
    return b.input(_input_shape(shape), dtype="float32")


def _div_into(b: GraphBuilder, c: dict) -> Tensor:
    q = None
    if c["out"] == "random" and c["dtype"] == "int8":  # any output scale from 1e-3 to 10
        q = Quant(scale=[float(np.exp(b.rng.uniform(np.log(1e-3), np.log(10.0))))],
                  zero_point=[int(b.rng.integers(-128, 128))])
    if c["mode"] == "same" and c["dtype"] != "int32":
        x = _div_operand(b, c, 1, False)
        return b.div(x, x, activation=c["activation"], out_quant=q)
    x1 = _div_operand(b, c, 1, c["mode"] == "const1")
    x2 = _div_operand(b, c, 2, c["mode"] == "const2")
    return b.div(x1, x2, activation=c["activation"], out_quant=q)


# NEG, SQUARE, SQRT, FLOOR, CEIL, ROUND (float32): values from N(0, 1) scaled by a power of ten,
# so that halves, integers, large and tiny magnitudes (and negative SQRT inputs: NaN) all occur
FLOAT_UNARY = ("NEG", "SQUARE", "SQRT", "FLOOR", "CEIL", "ROUND")


def _float_unary_strategy(kind: str):
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 4))
        return dict(kind=kind, shape=tuple(draw(st.integers(1, 8)) for _ in range(rank)),
                    scale=draw(st.sampled_from([1.0, 1.0, 2.0, 0.5, 1e3, 1e-3, 1e30])),
                    after=draw(st.sampled_from(["input", "input", "dequantize"])), seed=draw(seeds))
    return s()


def _float_unary_into(b: GraphBuilder, c: dict) -> Tensor:
    if c["after"] == "dequantize":  # at the float boundary of an int8 model: halves and integers
        x = b.op("DEQUANTIZE", [b.input(c["shape"], scale=0.5 * c["scale"], zero_point=int(b.rng.integers(-20, 20)))],
                 None, None, out_dtype="float32")
    else:
        x = b.input(c["shape"], dtype="float32")
        if c["scale"] != 1.0:
            k = b.const(np.full((1,), c["scale"], np.float32), "float32", name=b._name("scale"))
            x = b.div(x, k)
    return b.float_unary(c["kind"], x)


# FLOOR_DIV / FLOOR_MOD (float32): operands of mixed magnitudes and signs; the divisors of
# FLOOR_DIV never zero (TFLM fails the inference), FLOOR_MOD's may be
def _floor_strategy(kind: str):
    @st.composite
    def s(draw):
        s1, s2 = draw(_broadcast_shapes())
        return dict(kind=kind, shape1=tuple(s1), shape2=tuple(s2),
                    mode=draw(st.sampled_from(["inputs", "inputs", "const2", "const2", "same"])),
                    scale=draw(st.sampled_from([1.0, 0.1, 1e-3, 1e4])), seed=draw(seeds))
    return s()


def _floor_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(_input_shape(c["shape1"]), dtype="float32")
    if c["mode"] == "same":
        return b.floor_binary(c["kind"], x, x)
    if c["mode"] == "const2":  # small divisors of either sign: many quotients near integers
        v = b.rng.integers(1, 8, size=c["shape2"]) * b.rng.choice([-1.0, 1.0], size=c["shape2"]) * c["scale"]
        if c["kind"] == "FLOOR_MOD" and v.size > 1:
            v.reshape(-1)[0] = 0.0
        y = b.const(np.asarray(v, np.float32).reshape(c["shape2"]), "float32", name=b._name("const"))
    else:
        y = b.input(_input_shape(c["shape2"]), dtype="float32")
    return b.floor_binary(c["kind"], x, y)


# L2_POOL_2D (float32)
@st.composite
def _l2pool_strategy(draw):
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    pad = draw(st.sampled_from(["SAME", "VALID"]))
    h = draw(st.integers(k[0] if pad == "VALID" else 1, 12))
    w = draw(st.integers(k[1] if pad == "VALID" else 1, 12))
    return dict(kind="L2_POOL_2D", shape=(draw(st.integers(1, 2)), h, w, draw(st.integers(1, 5))), filter=k,
                stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))), padding=pad,
                activation=draw(st.sampled_from(["NONE", "NONE", "RELU", "RELU6", "RELU_N1_TO_1"])),
                scale=draw(st.sampled_from([1.0, 1.0, 1e-3, 1e4])), seed=draw(seeds))


def _l2pool_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], dtype="float32")
    if c["scale"] != 1.0:
        x = b.div(x, b.const(np.full((1,), 1.0 / c["scale"], np.float32), "float32", name=b._name("scale")))
    return b.l2_pool(x, filter=c["filter"], stride=c["stride"], padding=c["padding"], activation=c["activation"])


# REDUCE_ALL (bool): inputs mostly true (an OR of two random bools, or of three), so that outputs
# are not almost always false
@st.composite
def _reduce_all_strategy(draw):
    rank = draw(st.integers(1, 5))
    shape = [draw(st.integers(1, 6)) for _ in range(rank)]
    k = draw(st.integers(1, rank))
    axes = draw(st.permutations(list(range(rank))))[:k]
    axes = [a - rank if draw(st.booleans()) else a for a in axes]
    if draw(st.integers(0, 4)) == 0:
        axes.append(axes[0])
    return dict(kind="REDUCE_ALL", shape=tuple(shape), axes=tuple(axes), keep_dims=draw(st.booleans()),
                ors=draw(st.integers(0, 3)), seed=draw(seeds))


def _reduce_all_fits(c: dict) -> bool:
    from ..ops.mean import loop_nest, resolve_axes
    axes = resolve_axes(c["axes"], len(c["shape"]))
    kept = [i for i in range(len(c["shape"])) if i not in axes]
    return loop_nest(c["shape"], kept).count <= 4 and loop_nest(c["shape"], sorted(axes)).count <= 4


def _reduce_all_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"], dtype="bool")
    for _ in range(c["ors"]):
        x = b.logical("LOGICAL_OR", x, b.input(c["shape"], dtype="bool"))
    return b.reduce_all(x, c["axes"], keep_dims=c["keep_dims"])


# BROADCAST_ARGS: int32 shape vectors of graph inputs (SHAPE, computed at run time) or constants;
# sizes always broadcast (TFLM aborts the process otherwise). int64 vectors can only be constants
# here (no operator computes them from a graph input), so they are checked in
# build_float_specials, next to a graph input
@st.composite
def _bargs_strategy(draw):
    s1, s2 = draw(_broadcast_shapes(max_rank=5))
    return dict(kind="BROADCAST_ARGS", shape1=tuple(s1) or (1,), shape2=tuple(s2) or (1,),
                const1=draw(st.booleans()), seed=draw(seeds))


def _bargs_into(b: GraphBuilder, c: dict) -> Tensor:
    def shape_of(shape, const):
        if const:
            return b.const(np.asarray(shape, dtype=np.int32), "int32", name=b._name("shape"))
        return b.op("SHAPE", [b.input(shape, dtype="int8")], None, None, out_dtype="int32", out_shape=(len(shape),))
    x1 = shape_of(c["shape1"], c["const1"])
    x2 = shape_of(c["shape2"], False)
    return b.broadcast_args(x1, x2)


# DYNAMIC_UPDATE_SLICE: start indices constant (in range or not: clamped) or graph inputs (random
# int32/int64 values, clamped); the operand an input or computed (the in-place variant may apply)
@st.composite
def _dus_strategy(draw):
    rank = draw(st.integers(1, 6))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(rank))
    upd = tuple(draw(st.integers(1, n)) for n in shape)
    return dict(kind="DYNAMIC_UPDATE_SLICE", shape=shape, update=upd,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])),
                indices=draw(st.sampled_from(["int32", "int64"])), start_const=draw(st.booleans()),
                computed=draw(st.booleans()), seed=draw(seeds))


def _dus_into(b: GraphBuilder, c: dict) -> Tensor:
    dt = c["dtype"]
    x = b.input(c["shape"]) if dt == "int8" else b.input(c["shape"], dtype=dt)
    if c["computed"]:  # a computed operand (the graph does not read it afterwards)
        x = b.cast(b.cast(x, "int32"), dt) if dt != "int32" else b.cast(b.cast(x, "float32"), dt)
        if dt == "int8":
            x.quant = Quant(scale=[0.05], zero_point=[3])
    u = b.input(c["update"]) if dt == "int8" else b.input(c["update"], dtype=dt)
    if dt == "int8":
        u.quant = Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy())
    if c["start_const"]:
        vals = [int(b.rng.integers(-2, n - m + 3)) for n, m in zip(c["shape"], c["update"])]
        start = b.const(np.asarray(vals, dtype=c["indices"]), c["indices"], name=b._name("start"))
    else:
        start = b.input((len(c["shape"]),), dtype=c["indices"])
    return b.dynamic_update_slice(x, u, start)


# -- registration --------------------------------------------------------------------------------
#: case kind -> (strategy, function adding the case's operator to a builder, returning its output)
MORE_CASES = {
    "LOGICAL_AND": (_logical_strategy("LOGICAL_AND"), _logical_into),
    "LOGICAL_OR": (_logical_strategy("LOGICAL_OR"), _logical_into),
    "LOGICAL_NOT": (_logical_not_strategy(), _logical_not_into),
    "CAST": (_cast_strategy(), _cast_into),
    "ELU": (_elu_strategy(), _elu_into),
    "LOG_SOFTMAX": (_log_softmax_strategy(), _log_softmax_into),
    "DIV": (_div_strategy(), _div_into),
    **{k: (_float_unary_strategy(k), _float_unary_into) for k in FLOAT_UNARY},
    "FLOOR_DIV": (_floor_strategy("FLOOR_DIV"), _floor_into),
    "FLOOR_MOD": (_floor_strategy("FLOOR_MOD"), _floor_into),
    "L2_POOL_2D": (_l2pool_strategy(), _l2pool_into),
    "REDUCE_ALL": (_reduce_all_strategy().filter(_reduce_all_fits), _reduce_all_into),
    "BROADCAST_ARGS": (_bargs_strategy(), _bargs_into),
    "DYNAMIC_UPDATE_SLICE": (_dus_strategy(), _dus_into),
}


#: float32 values where targets disagree unless the kernels take care: NaN, signed zeros,
#: infinities, halves, 2^23 neighbours, extremes, subnormals, values beyond the int32 range
FLOAT_SPECIALS = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.4999998, 8388607.5,
                           8388608.0, 8388609.0, -8388607.5, 3.4028235e38, -3.4028235e38, 1e-45, -1e-45,
                           1.17549435e-38, 2.0, 7.0, -0.49999997, 300.7, -129.0, 3e9, -3e9, 65535.9, -32769.5],
                          dtype=np.float32)


def build_float_specials() -> bytes:
    """One model feeding FLOAT_SPECIALS to every float32 operator here: NEG ... ROUND, DIV by each
    special and by +-0, CAST to every type, FLOOR_DIV and FLOOR_MOD; and an int64 BROADCAST_ARGS. For targets whose test harness draws only random
    inputs: the specials are computed in the model (a generated C file holds finite constants only)
    as num / den by DIV (0/0 for NaN, +-1/0 for the infinities) and selected over a graph input by
    SELECT_V2."""
    b = GraphBuilder("fspecial", seed=11)
    n = FLOAT_SPECIALS.size
    v = FLOAT_SPECIALS
    finite = np.isfinite(v)
    num = np.where(finite, v, np.where(np.isnan(v), 0.0, np.sign(v))).astype(np.float32)
    den = np.where(finite, 1.0, 0.0).astype(np.float32)
    specials = b.div(b.const(num, "float32", name=b._name("num")), b.const(den, "float32", name=b._name("den")))
    x = b.select_v2(b.const(np.ones(n, np.bool_), "bool", name=b._name("cond")), specials,
                    b.input((n,), dtype="float32"))
    outs = [b.float_unary(k, x) for k in FLOAT_UNARY]
    xs = b.reshape(x, (n, 1))
    outs.append(b.div(xs, b.reshape(x, (1, n))))
    outs.append(b.div(xs, b.const(np.array([[0.0, -0.0]], np.float32), "float32", name=b._name("zeros")),
                      activation="RELU"))
    outs += [b.cast(x, dt) for dt in CAST_OUT]
    outs.append(b.floor_binary("FLOOR_MOD", xs, b.reshape(x, (1, n))))
    nonzero = b.const(np.array([[2.5, -3.0, 1e-30, -7e30]], np.float32), "float32", name=b._name("divisors"))
    outs += [b.floor_binary("FLOOR_DIV", xs, nonzero), b.floor_binary("FLOOR_MOD", xs, nonzero)]
    # int64 BROADCAST_ARGS (sizes beyond 32 bits pass through C++ int in TFLM: 2^33 + 3 reads as 3)
    s1 = b.const(np.array([1, 5, 1, 2**33 + 3], np.int64), "int64", name=b._name("shape"))
    s2 = b.const(np.array([7, 4, 1, 1, 3], np.int64), "int64", name=b._name("shape"))
    outs.append(b.broadcast_args(s1, s2))
    return b.tflite(outs)


def build_more_packed(cases: Sequence[dict]) -> bytes:
    """One model holding every case as an independent subgraph (own inputs, own output)."""
    b = GraphBuilder("more", seed=cases[0]["seed"])
    return b.tflite([MORE_CASES[c["kind"]][1](b, c) for c in cases])


def _register(kind: str) -> None:
    strategy, into = MORE_CASES[kind]

    def build(c: dict) -> bytes:
        b = GraphBuilder(kind.lower(), seed=c["seed"])
        return b.tflite([into(b, c)])
    build.strategy = strategy  # type: ignore[attr-defined]
    case(kind)(build)


for _kind in MORE_CASES:
    _register(_kind)
