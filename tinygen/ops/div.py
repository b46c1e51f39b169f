"""DIV: elementwise division with broadcasting, int8, int32 and float32 (kernel: tg_div).

TFLite Micro (div.cc, reference div.h): all three tensors of one type. int8: the multiplier is
input1_scale / (input2_scale * output_scale) (in double precision in the pinned package) through
QuantizeMultiplier; each element divides through a fixed-point reciprocal of the divisor
(GetReciprocal), then the quotient is requantized with a shift that can exceed 31 (the kernel
reproduces what the oracle's x86-64 build computes there) and clamped to the fused activation's
range. A divisor equal to its zero point is not checked by TFLite Micro either: the same
arithmetic runs through. int32 (no quantization): C++ truncating division, clamped to the fused
activation; division by zero or INT32_MIN / -1 traps in TFLite Micro, and the generated code
returns an error there. float32: IEEE division clamped to the activation range (NONE clamps
infinities to +-FLT_MAX, as TFLite Micro does). Broadcasting up to rank 5 (BroadcastDivSlow's N).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant as CQuant
from ..cstruct import Range, cstruct
from ..ir import Op
from ..schema import schema
from .add_sub import (
    ActivationAttrs,
    Broadcast,
    check_activation_range,
    infer_binary,
    plan_broadcast,
)
from .base import register, unsupported
from .common import (
    ElementwiseOp,
    check_fused,
    check_int8_activation,
    fused_activation,
    fused_activation_code,
)
from .maximum_minimum import check_broadcast_binary, dtype_code

#: BroadcastDivSlow's default rank
MAX_RANK = 5
FLT_MAX = float(np.finfo(np.float32).max)
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@cstruct("tg_div_params")
@dataclass(frozen=True)
class DivParams:
    dtype: int
    input1_offset: int
    input2_offset: int
    output_offset: int
    output: CQuant
    activation: Range
    float_min: float
    float_max: float


@dataclass(frozen=True)
class DivArgs:
    params: DivParams
    bcast: Broadcast


def div_multiplier(s1: float, s2: float, so: float) -> tuple[int, int]:
    """The TFLM source computes the ratio in float32; the pinned package computes it in double
    precision from the float32 scales (as for ABS): an exhaustive test with a ratio of exactly
    25 in decimal tells the two apart (tests/host/test_more_ops.py::test_div_every_int8_pair)."""
    f = np.float32
    return Q.quantize_multiplier(float(f(s1)) / (float(f(s2)) * float(f(so))))


def float_range(activation: str) -> tuple[float, float]:
    """CalculateActivationRange<float>."""
    return {"NONE": (-FLT_MAX, FLT_MAX), "RELU": (0.0, FLT_MAX), "RELU6": (0.0, 6.0),
            "RELU_N1_TO_1": (-1.0, 1.0)}[activation]


def int_range(activation: str) -> tuple[int, int]:
    """CalculateActivationRange<int32_t>."""
    return {"NONE": (INT32_MIN, INT32_MAX), "RELU": (0, INT32_MAX), "RELU6": (0, 6),
            "RELU_N1_TO_1": (-1, 1)}[activation]


@register
class Div(ElementwiseOp):
    kind = "DIV"
    options = "DivOptions"
    function = "tg_div"
    float_types = True

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ActivationAttrs()
        return ActivationAttrs(activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: ActivationAttrs):
        o = schema.DivOptionsT()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        return infer_binary(op)

    def check(self, op: Op):
        check_broadcast_binary(op, ("int8", "int32", "float32"), max_rank=MAX_RANK)
        check_fused(op, op.attrs.activation)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if x1.dtype == "int32":
            for i, t in enumerate((x1, x2), 1):
                if t.quant is not None:
                    raise unsupported(op, f"int32 input {i} {t.name!r} is quantized (TFLite Micro requires none)")
        if x1.dtype != "int8":
            return
        q1 = check_int8_activation(op, x1, "input 1")
        q2 = check_int8_activation(op, x2, "input 2")
        qy = check_int8_activation(op, y, "output")
        check_activation_range(op)
        _, shift = div_multiplier(q1.s, q2.s, qy.s)
        # the requantizing shift is output_shift - reciprocal shift - numerator headroom, at most
        # output_shift - 22; a positive one would shift left past the oracle's arithmetic
        if shift > 22:
            raise unsupported(op, f"output multiplier {q1.s / (q2.s * qy.s):.6g} is too large (shift {shift})")

    def prepare(self, op: Op) -> DivArgs:
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        act = op.attrs.activation
        fmin, fmax = float_range(act)
        if x1.dtype == "int8":
            mult, shift = div_multiplier(x1.quant.s, x2.quant.s, y.quant.s)
            lo, hi = Q.activation_range(act, y.quant.s, y.quant.zp)
            params = DivParams(dtype=dtype_code("int8"), input1_offset=-x1.quant.zp, input2_offset=-x2.quant.zp,
                               output_offset=y.quant.zp, output=CQuant(mult, shift), activation=Range(lo, hi),
                               float_min=fmin, float_max=fmax)
        else:
            lo, hi = int_range(act)
            params = DivParams(dtype=dtype_code(x1.dtype), input1_offset=0, input2_offset=0, output_offset=0,
                               output=CQuant(0, 0), activation=Range(lo, hi), float_min=fmin, float_max=fmax)
        return DivArgs(params=params, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/binary.c.j2")

    def macs(self, op):
        return op.outputs[0].size
