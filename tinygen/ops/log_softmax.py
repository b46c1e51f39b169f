"""LOG_SOFTMAX on int8 over the last dimension (kernel: tg_log_softmax_s8).

TFLite Micro (log_softmax.cc, reference log_softmax.h) requires an output of scale exactly 16/256
and zero point 127 and computes in gemmlowp fixed point: beta is 1; the input multiplier is
SOFTMAX's (input_scale * 2^26 in double, capped at 2^31 - 1, QuantizeMultiplierGreaterThanOne);
the reverse scaling divisor is 2^(31 - left shift) / multiplier through
QuantizeMultiplierSmallerThanOneExp; diff_min is minus the input radius. float32 LOG_SOFTMAX
(std::exp and std::log, whose last bits differ between C libraries) is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import cstruct
from ..ir import Op
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_int8_activation
from .softmax import softmax_scaling

OUTPUT_SCALE = 16.0 / 256.0
OUTPUT_ZERO_POINT = 127


@cstruct("tg_log_softmax_params")
@dataclass(frozen=True)
class LogSoftmaxParams:
    input_multiplier: int
    input_left_shift: int
    reverse_scaling_divisor: int
    reverse_scaling_shift: int
    diff_min: int


@dataclass(frozen=True)
class LogSoftmaxArgs:
    params: LogSoftmaxParams
    rows: int
    depth: int


def log_softmax_params(input_scale: float) -> LogSoftmaxParams | str:
    """TFLite Micro's Prepare, or the reason it refuses (aborts on) this input scale."""
    r = softmax_scaling(1.0, input_scale)
    if isinstance(r, str):
        return r
    mult, shift, diff_min = r
    reverse = float(1 << (31 - shift)) / float(mult)
    if not 0.0 < reverse < 1.0:
        return f"reverse scaling divisor {reverse!r} is not in (0, 1)"
    rmult, rshift = Q.quantize_multiplier(reverse)
    if rshift > 0:
        return f"reverse scaling divisor {reverse!r} rounds up to 1"
    return LogSoftmaxParams(input_multiplier=mult, input_left_shift=shift, reverse_scaling_divisor=rmult,
                            reverse_scaling_shift=rshift, diff_min=diff_min)


@register
class LogSoftmax(OpDef):
    kind = "LOG_SOFTMAX"
    options = "LogSoftmaxOptions"
    function = "tg_log_softmax_s8"

    def write_options(self, a):
        return schema.LogSoftmaxOptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op: Op):
        if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] is None:
            raise unsupported(op, "expects one input and one output")
        x, y = op.inputs[0], op.outputs[0]
        qx = check_int8_activation(op, x, "input")
        qy = check_int8_activation(op, y, "output")
        if x.rank < 1:
            raise unsupported(op, f"input {x.name!r} is a scalar; log-softmax needs at least one dimension")
        if x.size == 0:
            raise unsupported(op, f"input {x.name!r} has no elements (shape {list(x.shape)})")
        if tuple(y.shape) != tuple(x.shape):
            raise unsupported(op, f"output shape {list(y.shape)} differs from input shape {list(x.shape)}")
        if qy.zp != OUTPUT_ZERO_POINT or np.float32(qy.s) != np.float32(OUTPUT_SCALE):
            raise unsupported(op, f"int8 output must have scale 16/256 and zero point 127 (TFLite Micro requires it); "
                                  f"got scale {qy.s!r}, zero point {qy.zp}")
        r = log_softmax_params(qx.s)
        if isinstance(r, str):
            raise unsupported(op, r)

    def prepare(self, op: Op):
        x = op.inputs[0]
        depth = x.shape[-1]
        return LogSoftmaxArgs(params=log_softmax_params(x.quant.s), rows=x.size // depth, depth=depth)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/softmax.c.j2")

    def overlap_gaps(self, op):
        x, y = op.inputs[0], op.outputs[0]
        return [(0, 0, 0)] if not x.is_const and x.itemsize == y.itemsize else []

    def macs(self, op):
        return op.inputs[0].size * 3
