"""Graph builders and hypothesis cases for the operators with state: SVDF and
UNIDIRECTIONAL_SEQUENCE_LSTM.

Their state is a variable tensor (`GraphBuilder.variable`), kept from one inference to the next;
a check runs several inputs in a row (tinygen.check runs every input set after the previous one,
from the initial state, through both the generated code and TFLite Micro), so the cases test
consecutive invocations. Quantizations follow TFLite's int8 LSTM/SVDF conventions: symmetric
per-tensor weights, int32 biases on input scale x weights scale, an int16 cell state on a
power-of-two scale, the hidden state's quantization on the output.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.svdf import SvdfAttrs
from ..ops.unidirectional_sequence_lstm import GATES, LstmAttrs, N_INPUTS
from .builder import GraphBuilder, builder_method
from .ops_elementwise import _log_uniform
from .strategies import case, seeds


@builder_method
def variable(self: GraphBuilder, shape: Sequence[int], dtype: str = "int8", quant: Quant | None = None,
             name: str | None = None) -> Tensor:
    """A variable tensor (operator state), starting from its zero point."""
    return Tensor(name=name or self._name("state"), shape=tuple(shape), dtype=dtype, quant=quant, is_variable=True)


def _sym_weights(b: GraphBuilder, shape, dtype: str, scale: float) -> Tensor:
    hi = 127 if dtype == "int8" else 32767
    w = b.rng.integers(-hi, hi + 1, size=tuple(shape)).astype(dtype)
    return b.const(w, dtype, Quant(scale=[scale], zero_point=[0]), name=b._name("weights"))


def _bias(b: GraphBuilder, n: int, scale: float, magnitude: float) -> Tensor:
    data = b.rng.normal(0.0, magnitude, size=n).round().astype(np.int32)
    return b.const(data, "int32", Quant(scale=[scale], zero_point=[0]), name=b._name("bias"))


@builder_method
def svdf(self: GraphBuilder, x: Tensor, units: int, rank: int = 1, memory: int = 4, time_dtype: str = "int8",
         out_quant: Quant | None = None, state_zero_point: int | None = None) -> Tensor:
    """SVDF over a [batches, input] int8 input; the state is a new variable tensor."""
    batches, n_in = x.shape
    filters = units * rank
    wf_scale = float(np.exp(self.rng.uniform(np.log(0.002), np.log(0.05))))
    wf = _sym_weights(self, (filters, n_in), "int8", wf_scale)
    # the state holds feature outputs: ~ sqrt(n_in) * input spread * weight spread
    feat_std = math.sqrt(n_in) * 74.0 * x.quant.s * 73.0 * wf_scale
    if time_dtype == "int8":
        s_state, zp_state = feat_std * 3.0 / 128.0, (int(self.rng.integers(-20, 21)) if state_zero_point is None
                                                      else state_zero_point)
        wt_scale = float(np.exp(self.rng.uniform(np.log(0.002), np.log(0.05))))
    else:
        s_state, zp_state = feat_std * 3.0 / 32768.0, 0
        wt_scale = float(np.exp(self.rng.uniform(np.log(1e-5), np.log(2e-4))))
    wt = _sym_weights(self, (filters, memory), time_dtype, wt_scale)
    bias_scale = float(np.float32(np.float32(s_state) * np.float32(wt_scale)))
    bias = _bias(self, units, bias_scale, 500.0)
    state = self.variable((batches, memory * filters), time_dtype, Quant(scale=[s_state], zero_point=[zp_state]))
    if out_quant is None:
        hi = 32767.0 if time_dtype == "int16" else 127.0
        real_std = math.sqrt(rank * memory) * (hi / 3.0) * s_state * (hi / 2.0) * wt_scale
        out_quant = self.output_quant_for(real_std)
    out = self.op("SVDF", [x, wf, wt, bias, state], SvdfAttrs(rank=rank), out_quant)
    self.spread[id(out)] = 128.0 / 3.0
    return out


@builder_method
def lstm(self: GraphBuilder, x: Tensor, state_size: int, time_major: bool = False, cell_clip: float = 0.0,
         cell_scale_log2: int = -11, hidden_quant: Quant | None = None) -> Tensor:
    """UNIDIRECTIONAL_SEQUENCE_LSTM (standard: no peephole, projection or layer norm) over a
    [batch, time, input] int8 input ([time, batch, input] when time_major)."""
    batches = x.shape[1] if time_major else x.shape[0]
    n_in = x.shape[2]
    if hidden_quant is None:  # tanh(c) * sigmoid(o) lies in (-1, 1)
        hidden_quant = Quant(scale=[float(np.exp(self.rng.uniform(np.log(1.0 / 128), np.log(1.0 / 64))))],
                             zero_point=[int(self.rng.integers(-10, 11))])
    inputs: list[Tensor | None] = [None] * N_INPUTS
    inputs[0] = x
    for name, (wi, wr, bi) in GATES.items():
        # gate sums on the Q3.12 scale: weights sized so that a sum spans a few units
        s_wi = 2.0 / (math.sqrt(n_in) * 74.0 * x.quant.s * 73.0) * float(np.exp(self.rng.uniform(-0.7, 0.7)))
        s_wr = 2.0 / (math.sqrt(state_size) * 64.0 * hidden_quant.s * 73.0) * float(np.exp(self.rng.uniform(-0.7, 0.7)))
        inputs[wi] = _sym_weights(self, (state_size, n_in), "int8", s_wi)
        inputs[wr] = _sym_weights(self, (state_size, state_size), "int8", s_wr)
        b_scale = float(np.float32(x.quant.s) * np.float32(s_wi))
        inputs[bi] = _bias(self, state_size, b_scale, 0.5 / b_scale)
    inputs[18] = self.variable((batches, state_size), "int8", hidden_quant)
    inputs[19] = self.variable((batches, state_size), "int16", Quant(scale=[2.0 ** cell_scale_log2], zero_point=[0]))
    out_q = Quant(scale=hidden_quant.scale.copy(), zero_point=hidden_quant.zero_point.copy())
    out = self.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs,
                  LstmAttrs(activation="TANH", cell_clip=float(np.float32(cell_clip)), time_major=time_major), out_q,
                  out_shape=(x.shape[0], x.shape[1], state_size))
    self.spread[id(out)] = 128.0 / 3.0
    return out


# -- hypothesis cases ------------------------------------------------------------------------------
@st.composite
def _svdf_strategy(draw):
    rank = draw(st.integers(1, 3))
    return dict(kind="SVDF", batches=draw(st.integers(1, 3)), input_size=draw(st.integers(1, 40)),
                units=draw(st.integers(1, 12)), rank=rank, memory=draw(st.integers(1, 10)),
                time_dtype=draw(st.sampled_from(["int8", "int8", "int16"])), scale=_log_uniform(draw, 0.005, 0.5),
                zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _svdf_into(b: GraphBuilder, c: dict) -> Tensor:
    x = b.input((c["batches"], c["input_size"]), scale=c["scale"], zero_point=c["zp"])
    return b.svdf(x, c["units"], rank=c["rank"], memory=c["memory"], time_dtype=c["time_dtype"])


@st.composite
def _lstm_strategy(draw):
    return dict(kind="UNIDIRECTIONAL_SEQUENCE_LSTM", batches=draw(st.integers(1, 3)), steps=draw(st.integers(1, 6)),
                input_size=draw(st.integers(1, 16)), state_size=draw(st.integers(1, 16)),
                time_major=draw(st.booleans()),
                cell_clip=draw(st.sampled_from([0.0, 0.0, 0.0, draw(st.floats(0.05, 8.0))])),
                cell_scale_log2=draw(st.integers(-15, -8)), scale=_log_uniform(draw, 0.005, 0.5),
                zp=draw(st.integers(-128, 127)), seed=draw(seeds))


def _lstm_into(b: GraphBuilder, c: dict) -> Tensor:
    shape = ((c["steps"], c["batches"], c["input_size"]) if c["time_major"]
             else (c["batches"], c["steps"], c["input_size"]))
    x = b.input(shape, scale=c["scale"], zero_point=c["zp"])
    return b.lstm(x, c["state_size"], time_major=c["time_major"], cell_clip=c["cell_clip"],
                  cell_scale_log2=c["cell_scale_log2"])


SEQUENCE_CASES = {
    "SVDF": (_svdf_strategy(), _svdf_into),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": (_lstm_strategy(), _lstm_into),
}


def build_sequence_packed(cases: Sequence[dict]) -> bytes:
    """One model holding every case as an independent subgraph, each with its own state."""
    b = GraphBuilder("seq", seed=cases[0]["seed"])
    return b.tflite([SEQUENCE_CASES[c["kind"]][1](b, c) for c in cases])


def _register(kind: str) -> None:
    strategy, into = SEQUENCE_CASES[kind]

    def build(c: dict) -> bytes:
        b = GraphBuilder(kind.lower(), seed=c["seed"])
        return b.tflite([into(b, c)])
    build.strategy = strategy  # type: ignore[attr-defined]
    case(kind)(build)


for _kind in SEQUENCE_CASES:
    _register(_kind)
