"""ADD and SUB: int8 elementwise addition / subtraction with broadcasting (kernels: tg_add_s8,
tg_sub_s8). Also home of the broadcast analysis shared with MUL.

TFLite Micro's general int8 path rescales both inputs to a common scale (twice the larger input
scale, with 20 extra bits of headroom), adds or subtracts, and requantizes to the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Quant, Range, cstruct
from ..fast.elementwise import add_fast_check, binary_view, lower_add_fast
from ..ir import Op, Target
from ..kernel_library import buffer_size, constant
from ..schema import schema
from .base import register, unsupported
from .common import (
    ElementwiseOp,
    activation_range,
    check_fused,
    check_int8_activation,
    fused_activation,
    fused_activation_code,
)

#: TFLite Micro's RuntimeShape holds at most 6 dimensions
MAX_RANK = 6
#: extra headroom bits of the int8 ADD/SUB rescaling (TFLM: 20 for int8, 15 for int16)
ADD_LEFT_SHIFT = 20


# -- broadcasting (shared with MUL) -----------------------------------------------------------
def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy/TFLite broadcast of two shapes, or None when they are incompatible."""
    r = max(len(a), len(b))
    a = (1,) * (r - len(a)) + tuple(a)
    b = (1,) * (r - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


@cstruct("tg_broadcast")
@dataclass(frozen=True)
class Broadcast:
    """The loop nest of a broadcasting binary kernel: merged output dimensions (at most
    TG_BCAST_MAX_DIMS; the C arrays' unused entries are zero), input element strides."""

    rank: int
    shape: tuple[int, ...]
    stride1: tuple[int, ...]
    stride2: tuple[int, ...]


def plan_broadcast(s1: tuple[int, ...], s2: tuple[int, ...], out: tuple[int, ...]) -> Broadcast:
    """Merge the output dimensions into as few loops as possible.

    Size-1 output dimensions vanish; adjacent dimensions merge when each input is broadcast
    along both or along neither (then they are contiguous in that input too).
    """
    r = len(out)
    e1 = (1,) * (r - len(s1)) + tuple(s1)
    e2 = (1,) * (r - len(s2)) + tuple(s2)
    loops: list[list] = []  # [extent, input1 broadcast, input2 broadcast]
    for n, a, b in zip(out, e1, e2):
        if n == 1:
            continue
        pattern = (a == 1, b == 1)
        if loops and tuple(loops[-1][1:]) == pattern:
            loops[-1][0] *= n
        else:
            loops.append([n, *pattern])
    if not loops:
        loops = [[1, False, False]]
    stride1, stride2 = [0] * len(loops), [0] * len(loops)
    acc1 = acc2 = 1
    for i in range(len(loops) - 1, -1, -1):
        n, b1, b2 = loops[i]
        if not b1:
            stride1[i] = acc1
            acc1 *= n
        if not b2:
            stride2[i] = acc2
            acc2 *= n
    if len(loops) > constant("TG_BCAST_MAX_DIMS"):  # cannot happen for rank <= 6: the check refuses more
        raise ValueError(f"broadcast needs {len(loops)} loop dimensions")
    return Broadcast(rank=len(loops), shape=tuple(n for n, _, _ in loops), stride1=tuple(stride1),
                     stride2=tuple(stride2))


def check_binary(op: Op) -> None:
    """Checks common to int8 ADD, SUB and MUL: two int8 per-tensor inputs, broadcastable shapes
    of rank <= 6, an output of the broadcast shape."""
    if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
        raise unsupported(op, "expects two inputs and one output")
    x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
    check_int8_activation(op, x1, "input 1")
    check_int8_activation(op, x2, "input 2")
    check_int8_activation(op, y, "output")
    for t in (x1, x2, y):
        if t.size == 0:
            raise unsupported(op, f"tensor {t.name!r} has no elements (shape {list(t.shape)})")
        if t.rank > MAX_RANK:
            raise unsupported(op, f"tensor {t.name!r} has rank {t.rank}; TFLite Micro supports at most {MAX_RANK} dimensions")
    b = broadcast_shape(x1.shape, x2.shape)
    if b is None:
        raise unsupported(op, f"input shapes {list(x1.shape)} and {list(x2.shape)} do not broadcast")
    r = max(len(b), y.rank)
    if (1,) * (r - len(b)) + b != (1,) * (r - y.rank) + tuple(y.shape):
        raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)} but the inputs broadcast to {list(b)}")
    check_fused(op, op.attrs.activation)
    check_activation_range(op)


def check_activation_range(op: Op) -> None:
    """TFLM's Prepare fails when a fused activation bound, quantized, does not fit int32."""
    y = op.outputs[0]
    try:
        Q.activation_range(op.attrs.activation, y.quant.s, y.quant.zp)
    except ValueError:
        raise unsupported(op, f"fused activation {op.attrs.activation} bounds overflow int32 at output scale "
                              f"{y.quant.s:.3g} (TFLite Micro refuses it too)") from None


def infer_binary(op: Op) -> list[tuple[int, ...]]:
    b = broadcast_shape(op.inputs[0].shape, op.inputs[1].shape)
    if b is None:
        raise unsupported(op, f"input shapes {list(op.inputs[0].shape)} and {list(op.inputs[1].shape)} do not broadcast")
    return [b]


# -- ADD / SUB --------------------------------------------------------------------------------
@dataclass
class ActivationAttrs:
    activation: str = "NONE"  # fused activation


@cstruct("tg_add_params")
@dataclass(frozen=True)
class AddSubParams:
    input1_offset: int
    input2_offset: int
    output_offset: int
    left_shift: int
    input1: Quant
    input2: Quant
    output: Quant
    activation: Range


@dataclass(frozen=True)
class BinaryArgs:
    """Arguments of a broadcasting binary kernel (ADD, SUB, MUL)."""

    params: object  # AddSubParams or MulParams
    bcast: Broadcast


def _smaller_than_one(op: Op, m: float, what: str) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp; TFLite Micro aborts where this raises."""
    if not 0.0 < m < 1.0:
        raise unsupported(op, f"{what} rescaling factor {m:.6g} is not in (0, 1) (TFLite Micro refuses it); "
                              "the output scale is too small for the input scales")
    mult, shift = Q.quantize_multiplier(m)
    if shift > 0:
        raise unsupported(op, f"{what} rescaling factor {m!r} rounds up to 1.0 (TFLite Micro refuses it)")
    return mult, shift


def add_sub_multipliers(op: Op, s1: float, s2: float, so: float):
    """Real multipliers of the two inputs and of the output, in double precision from the float32
    scales: twice_max = 2 * max(s1, s2), s1 / twice_max, s2 / twice_max,
    twice_max / (2^20 * so).

    ADD computes exactly this (add_common.cc). The SUB source in the TFLM tree
    (sub_common.cc, since the 2023 revert of #1501) divides in float32 before widening, but
    the `tflite-micro` package we compare against matches the double-precision form for SUB
    too (tests/host/test_elementwise.py::test_sub_multipliers_use_double_precision shows a
    case where the two differ), so both use it.
    """
    twice_max = 2.0 * float(max(np.float32(s1), np.float32(s2)))
    r1 = float(np.float32(s1)) / twice_max
    r2 = float(np.float32(s2)) / twice_max
    ro = twice_max / ((1 << ADD_LEFT_SHIFT) * float(np.float32(so)))
    return (Quant(*_smaller_than_one(op, r1, "input 1")), Quant(*_smaller_than_one(op, r2, "input 2")),
            Quant(*_smaller_than_one(op, ro, "output")))


@dataclass(frozen=True)
class BinaryFastArgs:
    """Arguments of the same-shape fast kernels (tg_add_fast_s8, tg_mul_fast_s8)."""

    params: object  # AddFastParams or MulFastParams
    size: int


class BinaryOp(ElementwiseOp):
    """What ADD, SUB and MUL share: the options (a fused activation), shapes and checks."""

    options_class = "AddOptionsT"
    template = "ops/binary.c.j2"
    #: the same-shape fast kernel and its scratch query (None: none)
    fast_function: str | None = None
    fast_scratch_query: str | None = None

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ActivationAttrs()
        return ActivationAttrs(activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: ActivationAttrs):
        o = getattr(schema, self.options_class)()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        return infer_binary(op)

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def fast_params(self, args: BinaryArgs):
        """The fast kernel's parameters, or None when it is not exact for these parameters."""
        return None

    def variants(self, op, target: Target):
        """The same-shape fast kernel (any Cortex-M) where it is exact, then the portable one."""
        args = self.prepare(op)
        portable = self.kernel(op, args, template=self.template)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        if target.cpu is None or not (tuple(x1.shape) == tuple(x2.shape) == tuple(y.shape)):
            return [portable]
        fp = self.fast_params(args)
        if fp is None:
            return [portable]
        fast = self.kernel(op, BinaryFastArgs(params=fp, size=y.size), variant="fast", function=self.fast_function,
                           template="ops/binary_fast.c.j2", scratch_bytes=buffer_size(self.fast_scratch_query, y.size))
        return [fast, portable]

    def macs(self, op):
        return op.outputs[0].size


class _AddSub(BinaryOp):

    def check(self, op):
        check_binary(op)
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        add_sub_multipliers(op, x1.quant.s, x2.quant.s, y.quant.s)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        m1, m2, mo = add_sub_multipliers(op, x1.quant.s, x2.quant.s, y.quant.s)
        params = AddSubParams(input1_offset=-x1.quant.zp, input2_offset=-x2.quant.zp, output_offset=y.quant.zp,
                              left_shift=ADD_LEFT_SHIFT, input1=m1, input2=m2, output=mo,
                              activation=activation_range(op.attrs.activation, y))
        return BinaryArgs(params=params, bcast=plan_broadcast(x1.shape, x2.shape, y.shape))


@register
class Add(_AddSub):
    kind = "ADD"
    function = "tg_add_s8"
    fast_function = "tg_add_fast_s8"
    fast_scratch_query = "tg_add_fast_s8_get_buffer_size"

    def fast_params(self, args):
        view = binary_view(args.params)
        return lower_add_fast(view) if add_fast_check(view) is None else None
    options = "AddOptions"
    options_class = "AddOptionsT"


@register
class Sub(_AddSub):
    kind = "SUB"
    function = "tg_sub_s8"
    fast_function = "tg_add_fast_s8"
    fast_scratch_query = "tg_add_fast_s8_get_buffer_size"

    def fast_params(self, args):
        view = binary_view(args.params)
        return lower_add_fast(view, subtract=True) if add_fast_check(view, subtract=True) is None else None
    options = "SubOptions"
    options_class = "SubOptionsT"
