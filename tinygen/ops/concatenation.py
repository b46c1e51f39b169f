"""CONCATENATION: joins tensors along one axis (kernel: tg_concatenation, byte copies).

TFLite Micro (concatenation.cc) requires int8 inputs to carry exactly the output's scale and
zero point (no requantization), accepts no fused activation, and at most 10 inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..geometry import Region
from ..ir import Op
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_int8_activation, fused_activation, fused_activation_code

#: kMaxInputNum in TFLite Micro's concatenation.cc
MAX_INPUTS = 10
MAX_RANK = 6
DTYPES = ("int8",)  # float32 tensors are refused model-wide (passes/check.py)


@dataclass
class ConcatAttrs:
    axis: int = 0
    activation: str = "NONE"


@cstruct("tg_concat_params")
@dataclass(frozen=True, eq=False)
class ConcatParams:
    outer: int               # product of the dimensions before the axis
    num_inputs: int
    copy_bytes: np.ndarray   # int32, one per input: its extent along the axis x inner elements x size


def _axis(op: Op) -> int:
    y = op.outputs[0] if op.outputs and op.outputs[0].rank else op.inputs[0]
    a = op.attrs.axis
    return a + y.rank if a < 0 else a


@register
class Concatenation(OpDef):
    kind = "CONCATENATION"
    options = "ConcatenationOptions"
    function = "tg_concatenation"

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ConcatAttrs()
        return ConcatAttrs(axis=int(opts.axis), activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: ConcatAttrs):
        o = schema.ConcatenationOptionsT()
        o.axis = int(a.axis)
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        xs = op.inputs
        r = xs[0].rank
        a = op.attrs.axis + r if op.attrs.axis < 0 else op.attrs.axis
        shape = list(xs[0].shape)
        shape[a] = sum(x.shape[a] for x in xs)
        return [tuple(shape)]

    def check(self, op):
        a: ConcatAttrs = op.attrs
        if not op.inputs or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects one or more inputs and one output")
        if len(op.inputs) > MAX_INPUTS:
            raise unsupported(op, f"has {len(op.inputs)} inputs; TFLite Micro supports at most {MAX_INPUTS}")
        if a.activation != "NONE":
            raise unsupported(op, f"fused activation {a.activation} (TFLite Micro accepts only NONE)")
        y = op.outputs[0]
        if y.dtype not in DTYPES:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype}; supported: {', '.join(DTYPES)}")
        if any(t.size == 0 for t in (y, *op.inputs)):
            raise unsupported(op, "a tensor has no elements")
        if y.rank < 1 or y.rank > MAX_RANK:
            raise unsupported(op, f"output {y.name!r} has rank {y.rank}; supported ranks are 1 to {MAX_RANK}")
        axis = _axis(op)
        if not 0 <= axis < y.rank:
            raise unsupported(op, f"axis {a.axis} is out of range for rank {y.rank}")
        qy = check_int8_activation(op, y, "output") if y.dtype == "int8" else None
        for i, x in enumerate(op.inputs):
            if x.dtype != y.dtype:
                raise unsupported(op, f"input {x.name!r} has type {x.dtype} but the output is {y.dtype}")
            if x.rank != y.rank or any(x.shape[d] != y.shape[d] for d in range(y.rank) if d != axis):
                raise unsupported(op, f"input {x.name!r} with shape {list(x.shape)} does not match output "
                                      f"{list(y.shape)} outside axis {axis}")
            if qy is not None:
                qx = check_int8_activation(op, x, f"input {i}")
                if qx.s != qy.s or qx.zp != qy.zp:
                    raise unsupported(op, f"input {x.name!r} is quantized (scale {qx.s!r}, zero point {qx.zp}) "
                                          f"unlike the output (scale {qy.s!r}, zero point {qy.zp}); "
                                          "TFLite Micro requires equal quantization for int8 CONCATENATION")
        if sum(x.shape[axis] for x in op.inputs) != y.shape[axis]:
            raise unsupported(op, f"the inputs' extents along axis {axis} do not add up to the output's {y.shape[axis]}")

    def input_regions(self, op, out: Region):
        """Along the channels (any axis but the region's rows and columns) every input is read
        over the output's region."""
        y = op.outputs[0]
        if y.rank != 4 or _axis(op) in out.axes or any(t is None or t.rank != 4 for t in op.inputs):
            return None
        return [out] * len(op.inputs)

    def prepare(self, op):
        y = op.outputs[0]
        axis = _axis(op)
        outer = int(np.prod(y.shape[:axis], dtype=np.int64))
        inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64)) * y.itemsize
        return ConcatParams(outer=outer, num_inputs=len(op.inputs),
                            copy_bytes=np.array([x.shape[axis] * inner for x in op.inputs], dtype=np.int32))
