"""PRELU: x >= 0 ? x : alpha * x with a broadcast alpha, int8 and float32 (kernels: tg_prelu_s8,
tg_prelu_f32).

TFLite Micro (prelu_common.cc): two multipliers in double precision, input_scale / output_scale
for x >= zero point and input_scale * alpha_scale / output_scale for the rest, each split by
QuantizeMultiplier; the int8 kernel broadcasts with BroadcastBinaryOpSimple (ranks up to 8), the
float32 one through a 4-D loop (ranks up to 4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, cstruct
from ..ir import Op
from .add_sub import Broadcast, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp, check_int8_activation
from .maximum_minimum import check_broadcast_binary

#: the float32 kernel of TFLite Micro walks a 4-D loop nest
FLOAT_MAX_RANK = 4


@cstruct("tg_prelu_params")
@dataclass(frozen=True)
class PreluParams:
    input_offset: int
    alpha_offset: int
    output_offset: int
    identity: Quant   # input scale / output scale
    alpha: Quant      # input scale * alpha scale / output scale


@dataclass(frozen=True)
class PreluArgs:
    params: PreluParams | None   # None for float32
    bcast: Broadcast


def prelu_multipliers(op: Op, s_in: float, s_alpha: float, s_out: float) -> tuple[Quant, Quant]:
    m1 = float(np.float32(s_in)) / float(np.float32(s_out))
    m2 = float(np.float32(s_in)) * float(np.float32(s_alpha)) / float(np.float32(s_out))
    out = []
    for m, what in ((m1, "input/output"), (m2, "input x alpha/output")):
        mult, shift = Q.quantize_multiplier(m)
        if shift > 30:
            raise unsupported(op, f"{what} scale ratio {m:.6g} is too large (shift {shift} > 30)")
        out.append(Quant(mult, shift))
    return out[0], out[1]


@register
class Prelu(ElementwiseOp):
    kind = "PRELU"
    float_types = True
    input_names = ("input", "alpha")

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        x = op.inputs[0] if op.inputs else None
        if x is not None and x.dtype == "float32":
            check_broadcast_binary(op, ("float32",), max_rank=FLOAT_MAX_RANK)
            return
        check_broadcast_binary(op, ("int8",))
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        qx = check_int8_activation(op, x, "input")
        qa = check_int8_activation(op, alpha, "alpha")
        qy = check_int8_activation(op, y, "output")
        prelu_multipliers(op, qx.s, qa.s, qy.s)

    def prepare(self, op):
        x, alpha, y = op.inputs[0], op.inputs[1], op.outputs[0]
        bcast = plan_broadcast(x.shape, alpha.shape, y.shape)
        if x.dtype == "float32":
            return PreluArgs(params=None, bcast=bcast)
        identity, alpha_q = prelu_multipliers(op, x.quant.s, alpha.quant.s, y.quant.s)
        return PreluArgs(params=PreluParams(input_offset=-x.quant.zp, alpha_offset=-alpha.quant.zp,
                                            output_offset=y.quant.zp, identity=identity, alpha=alpha_q),
                         bcast=bcast)

    def lower(self, op, target):
        f32 = op.inputs[0].dtype == "float32"
        return self.kernel(op, self.prepare(op), function="tg_prelu_f32" if f32 else "tg_prelu_s8")

    def macs(self, op):
        return op.outputs[0].size
