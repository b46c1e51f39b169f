"""Graph builders and hypothesis cases for DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D,
MAX_POOL_2D, MEAN, PAD and PADV2."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.base import NoAttrs
from ..ops.depthwise_conv2d import DepthwiseConv2DAttrs
from ..ops.fully_connected import FullyConnectedAttrs
from ..ops.mean import MeanAttrs, resolve_axes
from ..ops.pooling import Pool2DAttrs
from .builder import _U8_STD, GraphBuilder, builder_method
from .strategies import activations, case, paddings, seeds

# std of a uniformly random int8 weight in [-127, 127]
_W_STD = 73.0


# -- builder methods ---------------------------------------------------------------------------
@builder_method
def depthwise_conv2d(self: GraphBuilder, x: Tensor, multiplier: int = 1, kernel=(3, 3), stride=(1, 1),
                     dilation=(1, 1), padding: str = "SAME", activation: str = "NONE",
                     per_channel: bool = True, bias: bool = True, out_quant: Quant | None = None) -> Tensor:
    cout = x.shape[3] * multiplier
    w = self.weights((1, kernel[0], kernel[1], cout), per_channel, axis=3)
    b = self.bias(cout, x.quant.s, w.quant.scale) if bias else None
    if out_quant is None:
        k = kernel[0] * kernel[1]
        real_std = math.sqrt(k) * self.spread.get(id(x), _U8_STD) * _W_STD * x.quant.s * float(np.mean(w.quant.scale))
        out_quant = self.output_quant_for(real_std)
    y = self.op("DEPTHWISE_CONV_2D", [x, w] + ([b] if b is not None else []),
                DepthwiseConv2DAttrs(padding=padding, stride=tuple(stride), dilation=tuple(dilation),
                                     depth_multiplier=multiplier, activation=activation), out_quant)
    self.spread[id(y)] = 128.0 / 3.0
    return y


@builder_method
def fully_connected(self: GraphBuilder, x: Tensor, units: int, activation: str = "NONE",
                    per_channel: bool = True, bias: bool = True, keep_num_dims: bool = False,
                    out_quant: Quant | None = None) -> Tensor:
    depth = x.shape[-1]
    w = self.weights((units, depth), per_channel, axis=0)
    b = self.bias(units, x.quant.s, w.quant.scale) if bias else None
    if out_quant is None:
        real_std = math.sqrt(depth) * self.spread.get(id(x), _U8_STD) * _W_STD * x.quant.s * float(np.mean(w.quant.scale))
        out_quant = self.output_quant_for(real_std)
    y = self.op("FULLY_CONNECTED", [x, w, b],
                FullyConnectedAttrs(activation=activation, keep_num_dims=keep_num_dims), out_quant)
    self.spread[id(y)] = 128.0 / 3.0
    return y


def _pool(self: GraphBuilder, kind: str, x: Tensor, filter, stride, padding, activation) -> Tensor:
    q = Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy())
    y = self.op(kind, [x], Pool2DAttrs(padding=padding, stride=tuple(stride), filter=tuple(filter),
                                       activation=activation), q)
    self.spread[id(y)] = self.spread.get(id(x), _U8_STD)
    return y


@builder_method
def avg_pool2d(self: GraphBuilder, x: Tensor, filter=(2, 2), stride=(2, 2), padding: str = "VALID",
               activation: str = "NONE") -> Tensor:
    return _pool(self, "AVERAGE_POOL_2D", x, filter, stride, padding, activation)


@builder_method
def max_pool2d(self: GraphBuilder, x: Tensor, filter=(2, 2), stride=(2, 2), padding: str = "VALID",
               activation: str = "NONE") -> Tensor:
    return _pool(self, "MAX_POOL_2D", x, filter, stride, padding, activation)


@builder_method
def mean(self: GraphBuilder, x: Tensor, axes: Sequence[int], keep_dims: bool = True,
         out_quant: Quant | None = None, same_quant: bool = False) -> Tensor:
    ax = self.const(np.asarray(list(axes), dtype=np.int32), "int32", name=self._name("axes"))
    if same_quant:
        out_quant = Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy())
    elif out_quant is None:
        n = int(np.prod([x.shape[a] for a in resolve_axes(axes, x.rank) or []], dtype=np.int64))
        q = self.output_quant_for(self.spread.get(id(x), _U8_STD) * x.quant.s / math.sqrt(max(n, 1)))
        # A mean keeps the input's offset while its spread shrinks: centre the output range on it.
        # Graph inputs are checked with values uniform over the int8 range (centre -0.5).
        centre_q = -0.5 if any(x is t for t in self.inputs) else float(x.quant.zp)
        real_centre = (centre_q - x.quant.zp) * x.quant.s
        zp = int(np.clip(round(-real_centre / q.s) + q.zp // 4, -128, 127))
        out_quant = Quant(scale=q.scale, zero_point=[zp])
    y = self.op("MEAN", [x, ax], MeanAttrs(keep_dims=keep_dims), out_quant)
    self.spread[id(y)] = 128.0 / 3.0
    return y


@builder_method
def pad(self: GraphBuilder, x: Tensor, paddings: Sequence[Sequence[int]], constant: int | None = None,
        out_quant: Quant | None = None) -> Tensor:
    p = self.const(np.asarray(paddings, dtype=np.int32).reshape(-1, 2), "int32", name=self._name("paddings"))
    q = out_quant or Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy())
    if constant is None:
        y = self.op("PAD", [x, p], NoAttrs(), q)
    else:
        v = self.const(np.array([constant], dtype=np.int8), "int8",
                       Quant(scale=q.scale.copy(), zero_point=q.zero_point.copy()), name=self._name("pad_value"))
        y = self.op("PADV2", [x, p, v], NoAttrs(), q)
    self.spread[id(y)] = self.spread.get(id(x), _U8_STD)
    return y


# -- hypothesis cases --------------------------------------------------------------------------
def _spatial(draw, k, stride, dil, pad, max_hw=12):
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    h = draw(st.integers(eff[0] if pad == "VALID" else 1, max(max_hw, eff[0])))
    w = draw(st.integers(eff[1] if pad == "VALID" else 1, max(max_hw, eff[1])))
    return h, w


@st.composite
def _dw_strategy(draw):
    k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if draw(st.booleans()) else (1, 1)
    pad = draw(paddings)
    h, w = _spatial(draw, k, stride, dil, pad)
    return dict(kind="DEPTHWISE_CONV_2D", shape=(draw(st.integers(1, 2)), h, w, draw(st.integers(1, 8))),
                multiplier=draw(st.sampled_from([1, 1, 1, 2, 3])), kernel=k, stride=stride, dilation=dil,
                padding=pad, activation=draw(activations), per_channel=draw(st.booleans()),
                bias=draw(st.booleans()), seed=draw(seeds))


def _dw_add(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"])
    return b.depthwise_conv2d(x, c["multiplier"], kernel=c["kernel"], stride=c["stride"], dilation=c["dilation"],
                              padding=c["padding"], activation=c["activation"], per_channel=c["per_channel"],
                              bias=c["bias"])


def _dw_build(c: dict) -> bytes:
    return build_combined([c])


_dw_build.strategy = _dw_strategy()  # type: ignore[attr-defined]
case("DEPTHWISE_CONV_2D")(_dw_build)


@st.composite
def _fc_strategy(draw):
    lead = draw(st.sampled_from([(1,), (1,), (2,), (3,), (2, 3), (1, 2, 2)]))
    return dict(kind="FULLY_CONNECTED", shape=lead + (draw(st.integers(1, 64)),), units=draw(st.integers(1, 24)),
                activation=draw(activations), per_channel=draw(st.booleans()), bias=draw(st.booleans()),
                keep_num_dims=draw(st.booleans()), seed=draw(seeds))


def _fc_add(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"])
    return b.fully_connected(x, c["units"], activation=c["activation"], per_channel=c["per_channel"],
                             bias=c["bias"], keep_num_dims=c["keep_num_dims"])


def _fc_build(c: dict) -> bytes:
    return build_combined([c])


_fc_build.strategy = _fc_strategy()  # type: ignore[attr-defined]
case("FULLY_CONNECTED")(_fc_build)


def _pool_strategy(kind: str):
    @st.composite
    def s(draw):
        f = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        pad = draw(paddings)
        h, w = _spatial(draw, f, stride, (1, 1), pad)
        return dict(kind=kind, shape=(draw(st.integers(1, 2)), h, w, draw(st.integers(1, 6))), filter=f,
                    stride=stride, padding=pad, activation=draw(activations), seed=draw(seeds))
    return s()


def _pool_add(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"])
    fn = b.avg_pool2d if c["kind"] == "AVERAGE_POOL_2D" else b.max_pool2d
    return fn(x, filter=c["filter"], stride=c["stride"], padding=c["padding"], activation=c["activation"])


for _kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
    def _b(c: dict) -> bytes:
        return build_combined([c])
    _b.strategy = _pool_strategy(_kind)  # type: ignore[attr-defined]
    case(_kind)(_b)


@st.composite
def _mean_strategy(draw):
    rank = draw(st.sampled_from([4, 4, 4, 2, 3]))
    shape = tuple(draw(st.integers(1, 7)) for _ in range(rank))
    if rank == 4 and draw(st.booleans()):
        axes = draw(st.sampled_from([[1, 2], [2, 1], [-3, -2]]))
    else:
        axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank))
    return dict(kind="MEAN", shape=shape, axes=axes, keep_dims=draw(st.booleans()),
                same_quant=draw(st.booleans()), seed=draw(seeds))


def _mean_add(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"])
    return b.mean(x, c["axes"], keep_dims=c["keep_dims"], same_quant=c["same_quant"])


def _mean_build(c: dict) -> bytes:
    return build_combined([c])


_mean_build.strategy = _mean_strategy()  # type: ignore[attr-defined]
case("MEAN")(_mean_build)


def _pad_strategy(kind: str):
    @st.composite
    def s(draw):
        rank = draw(st.integers(1, 5))
        shape = tuple(draw(st.integers(1, 5)) for _ in range(rank))
        pads = [[draw(st.integers(0, 3)), draw(st.integers(0, 3))] for _ in range(rank)]
        if rank == 4 and draw(st.booleans()):  # image style: no batch/channel padding
            pads[0], pads[3] = [0, 0], [0, 0]
        return dict(kind=kind, shape=shape, paddings=pads, requant=draw(st.booleans()),
                    constant=draw(st.integers(-128, 127)) if kind == "PADV2" else None, seed=draw(seeds))
    return s()


def _pad_add(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input(c["shape"])
    q = b.quant() if c["requant"] else None
    return b.pad(x, c["paddings"], constant=c["constant"], out_quant=q)


for _kind in ("PAD", "PADV2"):
    def _pb(c: dict) -> bytes:
        return build_combined([c])
    _pb.strategy = _pad_strategy(_kind)  # type: ignore[attr-defined]
    case(_kind)(_pb)


_ADDERS = {"DEPTHWISE_CONV_2D": _dw_add, "FULLY_CONNECTED": _fc_add, "AVERAGE_POOL_2D": _pool_add,
           "MAX_POOL_2D": _pool_add, "MEAN": _mean_add, "PAD": _pad_add, "PADV2": _pad_add}


def build_combined(cases: Sequence[dict], name: str = "conv_pool") -> bytes:
    """One .tflite holding every case as an independent branch (its own input and output), each
    drawn from its own seed. Checking k cases in one model costs one C file instead of k, which is
    what keeps the random tests fast (the host C compiler dominates their run time)."""
    b = GraphBuilder(name, seed=0)
    outs = []
    for c in cases:
        b.rng = np.random.default_rng(c["seed"])
        outs.append(_ADDERS[c["kind"]](b, c))
    return b.tflite(outs)
