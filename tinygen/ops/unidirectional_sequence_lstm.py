"""UNIDIRECTIONAL_SEQUENCE_LSTM: int8 LSTM over a sequence, with state (kernel:
tg_unidirectional_sequence_lstm_s8).

The 24 inputs of TFLite's LSTM: the input [batch, time, input] ([time, batch, input] when
time_major), four input weight matrices [state, input], four recurrent weight matrices
[state, state], peephole weights (9-11), four gate biases (12-15), projection weights and bias
(16-17), the hidden state (18) and the cell state (19) as *variable* tensors that carry over from
one inference to the next (tinygen keeps them in persistent buffers outside the arena), and layer
norm coefficients (20-23). TFLite Micro supports the standard LSTM only: no CIFG, peephole,
projection or layer normalization, and so do we.

Integer arithmetic (TFLite Micro's lstm_eval_common.cc, 8x8->16): every gate's two matrix
products go to int16 on the scale 2^-12 (multipliers input_scale * weights_scale / 2^-12, as
FULLY_CONNECTED computes them; per-tensor weights only), are added with saturation and go through
int16 sigmoid (tanh for the cell gate) to Q0.15; the cell state is int16 on a power-of-two scale;
the products gate x cell, gate x gate and tanh(cell) x output gate use multipliers 2^-15 * s1 * s2 /
s_out in double precision; the new hidden state is the output of every step. The sigmoid and tanh
interpolate in a table measured from the oracle (scripts/derive_sigmoid_lut.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from ..ir import Op
from ..kernel_library import buffer_size
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation, fused_activation, fused_activation_code, quant
from .fully_connected import per_tensor_multiplier

N_INPUTS = 24
INPUT, HIDDEN, CELL = 0, 18, 19
#: (input weights, recurrent weights, bias) indices of the forget, input, cell and output gates
GATES = {"forget": (2, 6, 13), "input": (1, 5, 12), "cell": (3, 7, 14), "output": (4, 8, 15)}
#: inputs of the LSTM variants TFLite Micro refuses: peephole, projection, layer normalization
VARIANT_INPUTS = {9: "peephole", 10: "peephole", 11: "peephole", 16: "projection", 17: "projection",
                  20: "layer norm", 21: "layer norm", 22: "layer norm", 23: "layer norm"}
#: scale of the gates' int16 inputs (Q3.12) and outputs (Q0.15)
GATE_INPUT_SCALE = 2.0 ** -12
GATE_OUTPUT_SCALE = 2.0 ** -15


@dataclass
class LstmAttrs:
    activation: str = "TANH"     # the cell gate's nonlinearity
    cell_clip: float = 0.0
    proj_clip: float = 0.0
    time_major: bool = False
    asymmetric_quantize_inputs: bool = False
    diagonal_recurrent_tensors: bool = False


@cstruct("tg_lstm_gate")
@dataclass(frozen=True, eq=False)
class LstmGate:
    input_weights: np.ndarray
    recurrent_weights: np.ndarray
    bias: np.ndarray
    input_weights_offset: int
    recurrent_weights_offset: int
    input_fc: Quant
    recurrent_fc: Quant


@cstruct("tg_lstm_params")
@dataclass(frozen=True, eq=False)
class LstmParams:
    batches: int
    time_steps: int
    input_size: int
    state_size: int
    time_major: int
    input_offset: int
    hidden_offset: int
    hidden_zero_point: int
    forget_gate: LstmGate
    input_gate: LstmGate
    cell_gate: LstmGate
    output_gate: LstmGate
    forget_mul: Quant
    input_mul: Quant
    hidden_mul: Quant
    cell_clip: int
    cell_tanh_multiplier: int
    cell_tanh_shift: int


def cell_scale_power(s: float) -> int | None:
    """log2 of a power-of-two cell state scale (TFLite Micro's CheckedLog2), None if the scale is
    not a power of two (then its float32 rounding of log2 could decide the tanh rescaling)."""
    p = math.log2(float(np.float32(s)))
    r = Q.round_half_away(p)
    return int(r) if abs(p - r) < 1e-3 else None


def cell_tanh_rescale(power: int) -> tuple[int, int]:
    """(multiplier, shift) of tanh(cell state): the table coordinate is (c * m + round) >> shift."""
    left = 15 + power - 3
    if left < 0:
        return 3, -left
    return 3 << left, 0


def quantized_cell_clip(clip: float, cell_scale: float) -> int:
    """static_cast<int16_t>(clamp(double(clip) / double(scale), -32768, 32767)): truncation."""
    if not clip > 0:
        return -1
    v = min(max(float(np.float32(clip)) / float(np.float32(cell_scale)), -32768.0), 32767.0)
    return int(v)


def inter_gate_multiplier(s1: float, s2: float, s_out: float) -> Quant:
    return Quant(*Q.quantize_multiplier(float(np.float32(s1)) * float(np.float32(s2)) / float(np.float32(s_out))))


@register
class UnidirectionalSequenceLstm(OpDef):
    kind = "UNIDIRECTIONAL_SEQUENCE_LSTM"
    options = "UnidirectionalSequenceLSTMOptions"
    function = "tg_unidirectional_sequence_lstm_s8"
    input_names = ("input", "input_to_input_weights", "input_to_forget_weights", "input_to_cell_weights",
                   "input_to_output_weights", "recurrent_to_input_weights", "recurrent_to_forget_weights",
                   "recurrent_to_cell_weights", "recurrent_to_output_weights", "cell_to_input_weights",
                   "cell_to_forget_weights", "cell_to_output_weights", "input_gate_bias", "forget_gate_bias",
                   "cell_gate_bias", "output_gate_bias", "projection_weights", "projection_bias", "hidden_state",
                   "cell_state", "input_layer_norm", "forget_layer_norm", "cell_layer_norm", "output_layer_norm")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return LstmAttrs(activation="NONE")
        return LstmAttrs(activation=fused_activation(opts.fusedActivationFunction),
                         cell_clip=float(np.float32(opts.cellClip)), proj_clip=float(np.float32(opts.projClip)),
                         time_major=bool(opts.timeMajor), asymmetric_quantize_inputs=bool(opts.asymmetricQuantizeInputs),
                         diagonal_recurrent_tensors=bool(opts.diagonalRecurrentTensors))

    def write_options(self, a: LstmAttrs):
        o = schema.UnidirectionalSequenceLSTMOptionsT()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        o.cellClip, o.projClip = float(a.cell_clip), float(a.proj_clip)
        o.timeMajor = bool(a.time_major)
        o.asymmetricQuantizeInputs = bool(a.asymmetric_quantize_inputs)
        o.diagonalRecurrentTensors = bool(a.diagonal_recurrent_tensors)
        return o

    def infer(self, op):
        x, h = op.inputs[INPUT], op.inputs[HIDDEN]
        state = h.size // max(1, x.shape[1] if op.attrs.time_major else x.shape[0])
        return [(x.shape[0], x.shape[1], state)]

    def _sizes(self, op: Op) -> tuple[int, int, int, int]:
        """(batches, time steps, input size, state size)."""
        x, h = op.inputs[INPUT], op.inputs[HIDDEN]
        t_major = op.attrs.time_major
        batches, steps = (x.shape[1], x.shape[0]) if t_major else (x.shape[0], x.shape[1])
        return batches, steps, x.shape[2], h.shape[-1]

    def check(self, op):
        a: LstmAttrs = op.attrs
        if len(op.inputs) != N_INPUTS or len(op.outputs) != 1:
            raise unsupported(op, f"expects {N_INPUTS} inputs (some optional) and one output")
        for i, what in VARIANT_INPUTS.items():
            if op.inputs[i] is not None:
                raise unsupported(op, f"has {what} tensors (input {i}); TFLite Micro supports the standard LSTM only")
        for i in [INPUT, HIDDEN, CELL] + [k for g in GATES.values() for k in g]:
            if op.inputs[i] is None:
                what = "CIFG (no input gate)" if i in GATES["input"] else f"input {i} ({self.input_names[i]})"
                raise unsupported(op, f"{what} is missing; TFLite Micro needs it")
        x, h, c, y = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]
        qx = check_int8_activation(op, x, "input")
        check_int8_activation(op, y, "output")
        qh = check_int8_activation(op, h, "hidden state")
        check_dtype(op, c, "int16", what="cell state (int16 for an int8 LSTM)")
        for t, what in ((h, "hidden state"), (c, "cell state")):
            if not t.is_variable:
                raise unsupported(op, f"{what} {t.name!r} is not a variable tensor (TFLite Micro requires one)")
        if a.activation != "TANH":
            raise unsupported(op, f"cell gate activation {a.activation}; TFLite Micro's LSTM supports TANH")
        if a.diagonal_recurrent_tensors:
            raise unsupported(op, "diagonal recurrent weights are not supported by TFLite Micro")
        if x.rank != 3 or y.rank != 3:
            raise unsupported(op, f"input {list(x.shape)} and output {list(y.shape)} must be 3-D")
        batches, steps, n_in, n_state = self._sizes(op)
        if h.size != batches * n_state or c.size != batches * n_state or n_state < 1:
            raise unsupported(op, f"hidden state {list(h.shape)} and cell state {list(c.shape)} must hold "
                                  f"{batches} x {n_state} values")
        if tuple(y.shape) != (x.shape[0], x.shape[1], n_state):
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; expected "
                                  f"{[x.shape[0], x.shape[1], n_state]}")
        qc = quant(op, c, "cell state")
        if qc.zp != 0 or qc.per_channel:
            raise unsupported(op, f"cell state {c.name!r} must be per-tensor with zero point 0")
        power = cell_scale_power(qc.s)
        if power is None:
            raise unsupported(op, f"cell state scale {qc.s:g} is not a power of two")
        if 15 + power - 3 > 13:
            raise unsupported(op, f"cell state scale {qc.s:g} is too large (the tanh rescaling overflows)")
        for name, (wi, wr, bi) in GATES.items():
            for idx, shape in ((wi, (n_state, n_in)), (wr, (n_state, n_state))):
                w = op.inputs[idx]
                check_dtype(op, w, "int8", what=f"{self.input_names[idx]}")
                if not w.is_const or tuple(w.shape) != shape:
                    raise unsupported(op, f"{self.input_names[idx]} {w.name!r} must be a constant of shape {list(shape)}")
                qw = quant(op, w, self.input_names[idx])
                if qw.per_channel:
                    raise unsupported(op, f"{self.input_names[idx]} {w.name!r} is quantized per channel; TFLite "
                                          "Micro's LSTM uses one scale per weight matrix")
                if not -128 <= qw.zp <= 127:
                    raise unsupported(op, f"{self.input_names[idx]} has zero point {qw.zp} outside int8 range")
            b = op.inputs[bi]
            check_dtype(op, b, "int32", what=self.input_names[bi])
            if not b.is_const or tuple(b.shape) != (n_state,):
                raise unsupported(op, f"{self.input_names[bi]} {b.name!r} must be a constant of shape [{n_state}]")
        for m in self._multipliers(op, qx.s, qh.s).values():
            if isinstance(m, Quant) and m.shift > 30:
                raise unsupported(op, "a rescaling factor is too large (shift > 30)")

    def _multipliers(self, op: Op, s_in: float, s_h: float) -> dict:
        c = op.inputs[CELL]
        out: dict = {}
        for name, (wi, wr, _) in GATES.items():
            out[f"{name}_in"] = Quant(*per_tensor_multiplier(s_in, op.inputs[wi].quant.s, GATE_INPUT_SCALE))
            out[f"{name}_rec"] = Quant(*per_tensor_multiplier(s_h, op.inputs[wr].quant.s, GATE_INPUT_SCALE))
        s_c = c.quant.s
        out["forget_mul"] = inter_gate_multiplier(GATE_OUTPUT_SCALE, s_c, s_c)
        out["input_mul"] = inter_gate_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, s_c)
        out["hidden_mul"] = inter_gate_multiplier(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, op.inputs[HIDDEN].quant.s)
        return out

    def _gate(self, op: Op, name: str, m: dict) -> LstmGate:
        wi, wr, b = (op.inputs[k] for k in GATES[name])
        return LstmGate(input_weights=wi.data, recurrent_weights=wr.data, bias=b.data,
                        input_weights_offset=-wi.quant.zp, recurrent_weights_offset=-wr.quant.zp,
                        input_fc=m[f"{name}_in"], recurrent_fc=m[f"{name}_rec"])

    def prepare(self, op):
        x, h, c = op.inputs[INPUT], op.inputs[HIDDEN], op.inputs[CELL]
        batches, steps, n_in, n_state = self._sizes(op)
        m = self._multipliers(op, x.quant.s, h.quant.s)
        mult, shift = cell_tanh_rescale(cell_scale_power(c.quant.s))
        return LstmParams(batches=batches, time_steps=steps, input_size=n_in, state_size=n_state,
                          time_major=int(op.attrs.time_major), input_offset=-x.quant.zp, hidden_offset=-h.quant.zp,
                          hidden_zero_point=h.quant.zp, forget_gate=self._gate(op, "forget", m),
                          input_gate=self._gate(op, "input", m), cell_gate=self._gate(op, "cell", m),
                          output_gate=self._gate(op, "output", m), forget_mul=m["forget_mul"],
                          input_mul=m["input_mul"], hidden_mul=m["hidden_mul"],
                          cell_clip=quantized_cell_clip(op.attrs.cell_clip, c.quant.s),
                          cell_tanh_multiplier=mult, cell_tanh_shift=shift)

    def lower(self, op, target):
        params = self.prepare(op)
        return self.kernel(op, params, scratch_bytes=buffer_size(
            "tg_unidirectional_sequence_lstm_s8_get_buffer_size", params.state_size))

    def macs(self, op):
        batches, steps, n_in, n_state = self._sizes(op)
        return batches * steps * 4 * n_state * (n_in + n_state)
