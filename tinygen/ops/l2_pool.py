"""L2_POOL_2D on float32, the only type TFLite Micro takes for it (kernel: tg_l2pool_f32).

TFLite Micro (l2_pool_2d.cc, reference pooling.h L2Pool): for every output element, the sum of
the squares of the window elements inside the input (rows, then columns, in float32), divided by
their count, square root, clamped to the fused activation's float range. Every step is exactly
rounded and the order is kept, so every target reproduces it bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cstruct import HW, Dims, cstruct
from .base import register, unsupported
from .common import (
    check_dtype,
    check_fused,
    check_padding,
    check_rank,
    check_shape,
    dims4,
)
from .div import float_range
from .pooling import _Pool2D


@cstruct("tg_l2pool_params")
@dataclass(frozen=True)
class L2PoolParams:
    stride: HW
    padding: HW
    filter: HW
    activation_min: float
    activation_max: float


@dataclass(frozen=True)
class L2PoolArgs:
    params: L2PoolParams
    input_dims: Dims
    output_dims: Dims


@register
class L2Pool2D(_Pool2D):
    kind = "L2_POOL_2D"
    function = "tg_l2pool_f32"
    float_types = True

    def check(self, op):
        a = op.attrs
        if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] is None:
            raise unsupported(op, "expects one input and one output")
        x, y = op.inputs[0], op.outputs[0]
        check_dtype(op, x, "float32", what="input")
        check_dtype(op, y, "float32", what="output")
        check_rank(op, x, 4, what="input")
        check_rank(op, y, 4, what="output")
        check_padding(op, a.padding)
        if min(a.stride) < 1 or min(a.filter) < 1:
            raise unsupported(op, f"stride {a.stride} / filter {a.filter} must be >= 1")
        check_fused(op, a.activation)
        out = self.infer(op)[0]
        if min(out[1:3]) < 1:
            raise unsupported(op, f"filter {a.filter} is larger than the input {list(x.shape[1:3])} with VALID padding")
        check_shape(op, y, out)

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        a = op.attrs
        lo, hi = float_range(a.activation)
        params = L2PoolParams(stride=HW(*a.stride), padding=HW(*self.window_padding(op)), filter=HW(*a.filter),
                              activation_min=lo, activation_max=hi)
        return L2PoolArgs(params=params, input_dims=dims4(x.shape), output_dims=dims4(y.shape))

    def variants(self, op, target):
        return [self.kernel(op, self.prepare(op), template="ops/pool_2d.c.j2")]

    def macs(self, op):
        return op.outputs[0].size * op.attrs.filter[0] * op.attrs.filter[1]
