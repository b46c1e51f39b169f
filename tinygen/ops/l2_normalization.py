"""L2_NORMALIZATION: x / ||x|| over the last dimension, int8 (kernel: tg_l2_normalization_s8).

TFLite Micro (l2norm.cc) accepts ranks up to 4 and no fused activation. The int8 kernel ignores
the output tensor's quantization: it writes values on the scale 1/128 with zero point 0 (the
converter gives L2_NORMALIZATION exactly that output quantization), and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cstruct import cstruct
from ..schema import schema
from .activation_utils import check_unary_s8
from .base import register, unsupported
from .common import ElementwiseOp, fused_activation, fused_activation_code

MAX_RANK = 4


@dataclass
class L2NormAttrs:
    activation: str = "NONE"


@cstruct("tg_l2norm_params")
@dataclass(frozen=True)
class L2NormParams:
    input_zero_point: int
    rows: int
    depth: int


@register
class L2Normalization(ElementwiseOp):
    kind = "L2_NORMALIZATION"
    options = "L2NormOptions"
    function = "tg_l2_normalization_s8"

    def parse(self, opts, inputs, outputs):
        return L2NormAttrs(activation=fused_activation(opts.fusedActivationFunction) if opts is not None else "NONE")

    def write_options(self, a: L2NormAttrs):
        o = schema.L2NormOptionsT()
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        check_unary_s8(op)
        x = op.inputs[0]
        if not 1 <= x.rank <= MAX_RANK:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; TFLite Micro supports ranks 1 to {MAX_RANK}")
        if x.size == 0:
            raise unsupported(op, f"input {x.name!r} has no elements")
        if op.attrs.activation != "NONE":
            raise unsupported(op, f"fused activation {op.attrs.activation} (TFLite Micro supports none)")

    def prepare(self, op):
        x = op.inputs[0]
        depth = x.shape[-1]
        return L2NormParams(input_zero_point=x.quant.zp, rows=x.size // depth, depth=depth)

    def input_regions(self, op, out):
        # each pixel is normalized over its channels: a region needs the same region
        return super().input_regions(op, out) if op.inputs[0].rank == 4 else None

    def macs(self, op):
        return 2 * op.inputs[0].size
