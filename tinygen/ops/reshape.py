"""RESHAPE, SQUEEZE, EXPAND_DIMS: the output is the input reinterpreted; no code, same memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..schema import schema
from .base import OpDef, register, unsupported


@dataclass
class ReshapeAttrs:
    new_shape: tuple[int, ...] | None = None


@dataclass
class SqueezeAttrs:
    squeeze_dims: tuple[int, ...] = field(default_factory=tuple)


class _Alias(OpDef):
    alias = True

    def check(self, op):
        x, y = op.inputs[0], op.outputs[0]
        if x is None or len(op.outputs) != 1:
            raise unsupported(op, "expects one data input and one output")
        if x.dtype != y.dtype:
            raise unsupported(op, f"input type {x.dtype} differs from output type {y.dtype}")
        if x.size != y.size:
            raise unsupported(op, f"input {list(x.shape)} and output {list(y.shape)} have different element counts")
        if x.quant is not None and y.quant is not None and not x.quant.same_as(y.quant):
            raise unsupported(op, "input and output quantization differ")

    def lower(self, op, target):
        return self.kernel(op, None, variant="alias", function=None, template="")

    def emit(self, op, ctx):
        return ""


@register
class Reshape(_Alias):
    kind = "RESHAPE"
    options = "ReshapeOptions"

    def parse(self, opts, inputs, outputs):
        shape = None
        if opts is not None and opts.newShape is not None and len(np.atleast_1d(opts.newShape)):
            shape = tuple(int(d) for d in np.atleast_1d(opts.newShape))
        return ReshapeAttrs(new_shape=shape)

    def write_options(self, a):
        o = schema.ReshapeOptionsT()
        o.newShape = list(a.new_shape) if a.new_shape is not None else None
        return o

    def infer(self, op):
        return [op.outputs[0].shape]


@register
class Squeeze(_Alias):
    kind = "SQUEEZE"
    options = "SqueezeOptions"

    def parse(self, opts, inputs, outputs):
        dims = ()
        if opts is not None and opts.squeezeDims is not None:
            dims = tuple(int(d) for d in np.atleast_1d(opts.squeezeDims))
        return SqueezeAttrs(squeeze_dims=dims)

    def write_options(self, a):
        o = schema.SqueezeOptionsT()
        o.squeezeDims = list(a.squeeze_dims)
        return o

    def infer(self, op):
        x = op.inputs[0]
        dims = [d % x.rank for d in op.attrs.squeeze_dims] if op.attrs.squeeze_dims else [i for i, d in enumerate(x.shape) if d == 1]
        return [tuple(d for i, d in enumerate(x.shape) if i not in dims)]


@register
class ExpandDims(_Alias):
    kind = "EXPAND_DIMS"
    options = "ExpandDimsOptions"

    def write_options(self, a):
        return schema.ExpandDimsOptionsT()

    def infer(self, op):
        return [op.outputs[0].shape]
