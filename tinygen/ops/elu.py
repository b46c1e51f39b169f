"""ELU on int8 (kernel: tg_lut_s8, a 256-entry table lookup).

TFLite Micro (elu.cc) fills a table in Prepare, in float32 arithmetic: for every int8 value q,
x = input_scale * (q - input_zero_point); y = x < 0 ? exp(x) - 1 : x; out = (int)(round(y *
(1 / output_scale)) + output_zero_point), clamped to int8. tinygen computes the same table in
Python with the same float32 operations and the C library's expf (tinygen.quant.expf: the
function TFLite Micro calls on the compiling host), so the table is bit-identical, and the
generated code only looks values up. A quotient beyond the int32 range (a float -> int cast C++
leaves undefined) is refused. float32 ELU (TFLite Micro calls expm1f, whose last bit differs
between C libraries) is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import cstruct
from ..ir import Op
from .activation_utils import UnaryOp, check_unary_s8
from .base import register, unsupported


@cstruct("tg_lut_params")
@dataclass(frozen=True)
class LutParams:
    table: np.ndarray  # int8[256], indexed by the input value + 128


def elu_table(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    """TFLite Micro's PopulateLookupTable<int8_t> for ELU; raises ValueError where the rescaled value
    leaves the int32 range."""
    f = np.float32
    s_in, inv = f(in_scale), f(1.0) / f(out_scale)
    table = np.zeros(256, dtype=np.int8)
    for q in range(-128, 128):
        x = f(s_in * f(q - in_zp))
        y = f(f(Q.expf(x)) - f(1.0)) if x < f(0.0) else x
        with np.errstate(over="ignore", invalid="ignore"):
            r = f(Q.round_half_away(float(f(y * inv))))
            v = f(r + f(out_zp))
        if not (np.isfinite(v) and -2.0**31 <= float(v) < 2.0**31):
            raise ValueError(f"the rescaled value of input {q} ({float(v):g}) is beyond the int32 range")
        table[q + 128] = int(min(max(int(v), -128), 127))
    return table


@register
class Elu(UnaryOp):
    kind = "ELU"
    function = "tg_lut_s8"

    def check(self, op: Op) -> None:
        qx, qy = check_unary_s8(op)
        try:
            elu_table(qx.s, qx.zp, qy.s, qy.zp)
        except ValueError as e:
            raise unsupported(op, f"output scale {qy.s:g} for input scale {qx.s:g}: {e}") from None

    def params(self, op):
        x, y = op.inputs[0], op.outputs[0]
        return LutParams(table=elu_table(x.quant.s, x.quant.zp, y.quant.s, y.quant.zp))

    def macs(self, op):
        return op.outputs[0].size
