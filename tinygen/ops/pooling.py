"""AVERAGE_POOL_2D and MAX_POOL_2D: int8 or int16 pooling, input and output sharing one
quantization (kernels: tg_avgpool_s8, tg_maxpool_s8; tg_avgpool_s16, tg_maxpool_s16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..cstruct import HW, Dims
from ..fast.pooling import PoolParams, avgpool_fast_check
from ..kernel_library import buffer_size
from ..schema import schema
from .base import register, unsupported
from .common import (
    WindowedOp,
    activation_range,
    check_padding,
    check_fused,
    check_int8_activation,
    check_int16_activation,
    check_rank,
    check_shape,
    dims4,
    fused_activation,
    fused_activation_code,
    padding_code,
    padding_name,
)
from .conv2d import conv_out_hw

if TYPE_CHECKING:  # pragma: no cover
    from .common import ExplicitPadding


@dataclass
class Pool2DAttrs:
    #: "SAME" | "VALID"; ExplicitPadding (a folded PAD, MAX_POOL_2D only); or (top, left) (an
    #: operator of a patch)
    padding: "str | ExplicitPadding | tuple[int, int]" = "SAME"
    stride: tuple[int, int] = (1, 1)   # (h, w)
    filter: tuple[int, int] = (1, 1)   # (h, w)
    activation: str = "NONE"


@dataclass(frozen=True)
class PoolArgs:
    params: PoolParams
    input_dims: Dims
    output_dims: Dims


class _Pool2D(WindowedOp):
    options = "Pool2DOptions"

    def window(self, op):
        return tuple(op.attrs.filter), op.attrs.stride, (1, 1)

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return Pool2DAttrs()
        return Pool2DAttrs(
            padding=padding_name(opts.padding),
            stride=(int(opts.strideH), int(opts.strideW)),
            filter=(int(opts.filterHeight), int(opts.filterWidth)),
            activation=fused_activation(opts.fusedActivationFunction),
        )

    def write_options(self, a: Pool2DAttrs):
        o = schema.Pool2DOptionsT()
        if not isinstance(a.padding, str):
            raise ValueError(f"padding {a.padding} has no TFLite encoding (SAME or VALID only)")
        o.padding = padding_code(a.padding)
        o.strideH, o.strideW = a.stride
        o.filterHeight, o.filterWidth = a.filter
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        x = op.inputs[0]
        a: Pool2DAttrs = op.attrs
        oh, ow = conv_out_hw(x.shape[1:3], a.filter, a.stride, (1, 1), a.padding)
        return [(x.shape[0], oh, ow, x.shape[3])]

    def check(self, op):
        a: Pool2DAttrs = op.attrs
        if len(op.inputs) != 1 or len(op.outputs) != 1:
            raise unsupported(op, "expects one input and one output")
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "int16":  # TFLite Micro's int16 pooling (zero points 0)
            qx, qy = check_int16_activation(op, x, "input"), check_int16_activation(op, y, "output")
        else:
            qx, qy = check_int8_activation(op, x, "input"), check_int8_activation(op, y, "output")
        check_rank(op, x, 4, what="input")
        check_rank(op, y, 4, what="output")
        # TFLM's Prepare: |input scale - output scale| (in float32) <= 1e-6 and equal zero points
        if float(abs(np.float32(qx.s) - np.float32(qy.s))) > 1.0e-6 or qx.zp != qy.zp:
            raise unsupported(op, f"input ({qx.s:g}, {qx.zp}) and output ({qy.s:g}, {qy.zp}) quantizations differ")
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
        a: Pool2DAttrs = op.attrs
        params = PoolParams(stride=HW(*a.stride), padding=HW(*self.window_padding(op)), filter=HW(*a.filter),
                            activation=activation_range(a.activation, y))
        return PoolArgs(params=params, input_dims=dims4(x.shape), output_dims=dims4(y.shape))

    def lower(self, op, target):
        return self.variants(op, target)[0]

    def variants(self, op, target):
        s16 = op.inputs[0].dtype == "int16"
        return [self.kernel(op, self.prepare(op), template="ops/pool_2d.c.j2",
                            function=self.function.replace("_s8", "_s16") if s16 else None)]


@register
class AveragePool2D(_Pool2D):
    kind = "AVERAGE_POOL_2D"
    function = "tg_avgpool_s8"

    def variants(self, op, target):
        """tg_avgpool_fast_s8 on a Cortex-M (same parameters, write order and no scratch; SXTAB16
        sums, one instruction with the DSP extension), then the portable kernel."""
        portable, = super().variants(op, target)
        if target.cpu is None or op.inputs[0].dtype != "int8" or avgpool_fast_check(portable.args.params) is not None:
            return [portable]
        a = portable.args
        return [self.kernel(op, a, variant="fast", function="tg_avgpool_fast_s8", template="ops/pool_2d.c.j2",
                            scratch_bytes=buffer_size("tg_avgpool_fast_s8_get_buffer_size", a.input_dims,
                                                      a.output_dims)), portable]


@register
class MaxPool2D(_Pool2D):
    kind = "MAX_POOL_2D"
    function = "tg_maxpool_s8"
