"""SVDF: int8 singular-value-decomposition filter with state (kernels: tg_svdf_s8 with int8 time
weights and state, tg_svdf_s8_s16 with int16 ones).

Inputs: input [batches, input_size] int8, feature weights [filters, input_size] int8, time weights
[filters, memory] int8 or int16, bias [units] int32 (units = filters / rank), and the activation
state [batches, memory * filters], a *variable* tensor of the time weights' type that the
operator updates at every inference (tinygen keeps it in a persistent buffer outside the arena,
see tinygen.codegen). TFLite Micro (svdf_common.cc):
  - effective scales in float32 arithmetic, then QuantizeMultiplier:
    input_scale * feature_scale / state_scale and state_scale * time_scale / output_scale;
  - the bias scale must be within 1e-5 of state_scale * time_scale; TFLite Micro's int8 path
    dereferences the bias, so a missing bias is refused;
  - the weights' zero points are ignored (symmetric weights), and so is the fused activation:
    the integer path clamps the output to int8 and applies nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from ..ir import Op
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_int8_activation, fused_activation, fused_activation_code, quant


@dataclass
class SvdfAttrs:
    rank: int = 1
    activation: str = "NONE"   # ignored by TFLite Micro's integer path


@cstruct("tg_svdf_params")
@dataclass(frozen=True)
class SvdfParams:
    batches: int
    input_size: int
    filters: int
    rank: int
    memory: int
    input_offset: int
    state_zero_point: int
    output_offset: int
    feature: Quant
    time: Quant


def _f32_ratio(a: float, b: float, c: float) -> float:
    """float32 a * b / c, widened (TFLite Micro's static_cast<double>(a * b / c) on floats)."""
    with np.errstate(all="ignore"):
        return float(np.float32(np.float32(a) * np.float32(b)) / np.float32(c))


def svdf_multipliers(op: Op, s_in: float, s_wf: float, s_state: float, s_wt: float, s_out: float):
    out = []
    for m, what in ((_f32_ratio(s_in, s_wf, s_state), "input x feature weights / state"),
                    (_f32_ratio(s_state, s_wt, s_out), "state x time weights / output")):
        if not np.isfinite(m) or m <= 0:
            raise unsupported(op, f"{what} scale ratio {m} is not a positive finite number")
        mult, shift = Q.quantize_multiplier(m)
        if shift > 30:
            raise unsupported(op, f"{what} scale ratio {m:.6g} is too large (shift {shift} > 30)")
        out.append(Quant(mult, shift))
    return out[0], out[1]


@register
class Svdf(OpDef):
    kind = "SVDF"
    options = "SVDFOptions"
    input_names = ("input", "weights_feature", "weights_time", "bias", "state")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return SvdfAttrs()
        return SvdfAttrs(rank=int(opts.rank), activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: SvdfAttrs):
        o = schema.SVDFOptionsT()
        o.rank = int(a.rank)
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        x, wf = op.inputs[0], op.inputs[1]
        return [(x.shape[0], wf.shape[0] // max(1, op.attrs.rank))]

    def check(self, op):
        if len(op.inputs) != 5 or len(op.outputs) != 1:
            raise unsupported(op, "expects input, feature weights, time weights, bias, state and one output")
        x, wf, wt, b, state = op.inputs
        y = op.outputs[0]
        if any(t is None for t in (x, wf, wt, state)):
            raise unsupported(op, "a required input is missing")
        if b is None:
            raise unsupported(op, "has no bias; TFLite Micro's int8 SVDF needs one (it reads the bias scale)")
        qx = check_int8_activation(op, x, "input")
        qy = check_int8_activation(op, y, "output")
        check_dtype(op, wf, "int8", what="feature weights")
        check_dtype(op, wt, "int8", "int16", what="time weights")
        check_dtype(op, b, "int32", what="bias")
        check_dtype(op, state, wt.dtype, what="state (same type as the time weights)")
        for t, what in ((wf, "feature weights"), (wt, "time weights"), (b, "bias")):
            if not t.is_const:
                raise unsupported(op, f"{what} {t.name!r} are not constant")
        if not state.is_variable:
            raise unsupported(op, f"state {state.name!r} is not a variable tensor (TFLite Micro requires one)")
        rank = op.attrs.rank
        if x.rank != 2 or wf.rank != 2 or wt.rank != 2 or state.rank != 2 or y.rank != 2:
            raise unsupported(op, "input, weights, state and output must be 2-D")
        batches, input_size = x.shape
        filters, memory = wf.shape[0], wt.shape[1]
        if rank < 1 or filters % rank:
            raise unsupported(op, f"rank {rank} does not divide the {filters} filters")
        units = filters // rank
        if wf.shape[1] != input_size or wt.shape[0] != filters or memory < 1:
            raise unsupported(op, f"weights {list(wf.shape)} / {list(wt.shape)} do not fit input {list(x.shape)}")
        if tuple(b.shape) != (units,):
            raise unsupported(op, f"bias {b.name!r} has shape {list(b.shape)}; expected [{units}]")
        if tuple(state.shape) != (batches, memory * filters):
            raise unsupported(op, f"state {state.name!r} has shape {list(state.shape)}; expected "
                                  f"[{batches}, {memory * filters}]")
        if tuple(y.shape) != (batches, units):
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; expected [{batches}, {units}]")
        qwf, qwt, qb = quant(op, wf, "feature weights"), quant(op, wt, "time weights"), quant(op, b, "bias")
        qs = quant(op, state, "state")
        for q, t, what in ((qwf, wf, "feature weights"), (qwt, wt, "time weights"), (qs, state, "state")):
            if q.per_channel:
                raise unsupported(op, f"{what} {t.name!r} are quantized per channel; SVDF needs per-tensor scales")
        if state.dtype == "int8" and not -128 <= qs.zp <= 127:
            raise unsupported(op, f"state {state.name!r} has zero point {qs.zp} outside int8 range")
        prod = float(np.float32(np.float32(qs.s) * np.float32(qwt.s)))
        if not abs(float(qb.scale[0]) - prod) < 1e-5:
            raise unsupported(op, f"bias scale {float(qb.scale[0]):g} differs from state scale x time weights scale "
                                  f"{prod:g} (TFLite Micro refuses this model)")
        svdf_multipliers(op, qx.s, qwf.s, qs.s, qwt.s, qy.s)

    def prepare(self, op):
        x, wf, wt, b, state = op.inputs
        y = op.outputs[0]
        feature, time = svdf_multipliers(op, x.quant.s, wf.quant.s, state.quant.s, wt.quant.s, y.quant.s)
        return SvdfParams(batches=x.shape[0], input_size=x.shape[1], filters=wf.shape[0], rank=op.attrs.rank,
                          memory=wt.shape[1], input_offset=-x.quant.zp, state_zero_point=state.quant.zp,
                          output_offset=y.quant.zp, feature=feature, time=time)

    def lower(self, op, target):
        f = "tg_svdf_s8_s16" if op.inputs[2].dtype == "int16" else "tg_svdf_s8"
        return self.kernel(op, self.prepare(op), function=f)

    def macs(self, op):
        x, wf, wt = op.inputs[0], op.inputs[1], op.inputs[2]
        return x.shape[0] * (wf.size + wt.size)
