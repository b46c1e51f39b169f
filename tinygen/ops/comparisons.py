"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL: elementwise comparisons with
broadcasting and a bool output (kernels: tg_equal ... tg_less_equal).

TFLite Micro (comparisons.cc): float32, int32, int64 and int8 inputs (bool too for EQUAL and
NOT_EQUAL), both of one type. int8 values are compared on a common scale: (q - zero point)
shifted left by 8, times the input's own scale as a Q31 multiplier (QuantizeMultiplierSmallerThanOneExp
of the scale, which must therefore be below one), so inputs with different quantizations compare
by their real values. Other types compare as stored. Broadcasting up to rank 8 (BroadcastBinaryOpSimple).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import Quant, cstruct
from ..ir import Op
from ..schema import schema
from .add_sub import Broadcast, _smaller_than_one, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp, check_int8_activation
from .maximum_minimum import check_broadcast_binary, dtype_code

#: headroom bits of the int8 comparison scale
LEFT_SHIFT = 8


@cstruct("tg_compare_params")
@dataclass(frozen=True)
class CompareParams:
    dtype: int
    left_shift: int
    input1_offset: int
    input2_offset: int
    input1: Quant
    input2: Quant


@dataclass(frozen=True)
class CompareArgs:
    params: CompareParams
    bcast: Broadcast


class _Comparison(ElementwiseOp):
    float_types = True
    dtypes: tuple[str, ...] = ("int8", "int32", "int64", "float32")
    options_class = ""

    def write_options(self, a):
        return getattr(schema, self.options_class)()

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        check_broadcast_binary(op, self.dtypes, out_dtype="bool")
        if op.inputs[0].dtype == "int8":
            self._multipliers(op)

    def _multipliers(self, op: Op) -> tuple[Quant, Quant]:
        out = []
        for i, t in enumerate(op.inputs[:2], 1):
            q = check_int8_activation(op, t, f"input {i}")
            if not float(np.float32(q.s)) < 1.0:
                raise unsupported(op, f"input {i} scale {q.s:g} is not below 1 (TFLite Micro refuses it)")
            out.append(Quant(*_smaller_than_one(op, float(np.float32(q.s)), f"input {i}")))
        return out[0], out[1]

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if x1.dtype == "int8":
            m1, m2 = self._multipliers(op)
            offsets = (-x1.quant.zp, -x2.quant.zp)
        else:
            m1 = m2 = Quant(0, 0)
            offsets = (0, 0)
        params = CompareParams(dtype=dtype_code(x1.dtype), left_shift=LEFT_SHIFT, input1_offset=offsets[0],
                               input2_offset=offsets[1], input1=m1, input2=m2)
        return CompareArgs(params=params, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/binary.c.j2")

    def overlap_gaps(self, op):
        return []  # bool output of int32/int64/float32 inputs: element sizes differ; kept simple

    def macs(self, op):
        return op.outputs[0].size


@register
class Equal(_Comparison):
    kind = "EQUAL"
    options = "EqualOptions"
    options_class = "EqualOptionsT"
    function = "tg_equal"
    dtypes = ("int8", "int32", "int64", "float32", "bool")


@register
class NotEqual(_Comparison):
    kind = "NOT_EQUAL"
    options = "NotEqualOptions"
    options_class = "NotEqualOptionsT"
    function = "tg_not_equal"
    dtypes = ("int8", "int32", "int64", "float32", "bool")


@register
class Greater(_Comparison):
    kind = "GREATER"
    options = "GreaterOptions"
    options_class = "GreaterOptionsT"
    function = "tg_greater"


@register
class GreaterEqual(_Comparison):
    kind = "GREATER_EQUAL"
    options = "GreaterEqualOptions"
    options_class = "GreaterEqualOptionsT"
    function = "tg_greater_equal"


@register
class Less(_Comparison):
    kind = "LESS"
    options = "LessOptions"
    options_class = "LessOptionsT"
    function = "tg_less"


@register
class LessEqual(_Comparison):
    kind = "LESS_EQUAL"
    options = "LessEqualOptions"
    options_class = "LessEqualOptionsT"
    function = "tg_less_equal"
