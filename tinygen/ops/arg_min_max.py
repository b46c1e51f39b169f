"""ARG_MAX and ARG_MIN: the index of the largest / smallest value along one axis, int8 or
float32 input, int32 output (kernels: tg_arg_max, tg_arg_min).

TFLite Micro (arg_min_max.cc) has no Prepare: it reads the axis from the first element of the
int32 axis tensor when the model runs (we need it constant), supports int8 and float32 inputs and
only an int32 output, and keeps the first index on ties (a later value wins only when strictly
greater / smaller). The values are compared as stored; quantization plays no part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..ir import Op
from ..schema import DTYPE_TO_TFLITE, TENSOR_TYPE_NAMES, TFLITE_TO_DTYPE, schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_shape
from .maximum_minimum import dtype_code


@dataclass
class ArgAttrs:
    output_type: str = "int32"  # what the options ask for; TFLM looks at the output tensor only


@cstruct("tg_arg_params")
@dataclass(frozen=True)
class ArgParams:
    dtype: int
    outer: int
    axis_size: int
    inner: int


def _axis(op: Op) -> int | None:
    x, ax = op.inputs[0], op.inputs[1]
    a = int(np.asarray(ax.data).reshape(-1)[0])
    a = a + x.rank if a < 0 else a
    return a if 0 <= a < x.rank else None


class _ArgMinMax(OpDef):
    float_types = True
    options_class = "ArgMaxOptionsT"

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ArgAttrs()
        name = TENSOR_TYPE_NAMES.get(int(opts.outputType), "")
        return ArgAttrs(output_type=TFLITE_TO_DTYPE.get(name, name.lower() or "int32"))

    def write_options(self, a: ArgAttrs):
        o = getattr(schema, self.options_class)()
        o.outputType = DTYPE_TO_TFLITE[a.output_type]
        return o

    def infer(self, op):
        x = op.inputs[0]
        a = _axis(op)
        return [tuple(d for i, d in enumerate(x.shape) if i != a)]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
            raise unsupported(op, "expects an input, an axis tensor and one output")
        x, ax, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, "int8", "float32", what="input")
        check_dtype(op, y, "int32", what="output")
        check_dtype(op, ax, "int32", what="axis")
        if not ax.is_const:
            raise unsupported(op, f"axis tensor {ax.name!r} is not constant (tinygen needs the axis at compile time)")
        if ax.size < 1:
            raise unsupported(op, f"axis tensor {ax.name!r} is empty")
        if x.rank < 1 or x.size == 0:
            raise unsupported(op, f"input {x.name!r} has shape {list(x.shape)}; it needs at least one element")
        if _axis(op) is None:
            raise unsupported(op, f"axis {int(np.asarray(ax.data).reshape(-1)[0])} is out of range for rank {x.rank}")
        check_shape(op, y, self.infer(op)[0])

    def prepare(self, op):
        x = op.inputs[0]
        a = _axis(op)
        return ArgParams(dtype=dtype_code(x.dtype), outer=int(np.prod(x.shape[:a], dtype=np.int64)),
                         axis_size=x.shape[a], inner=int(np.prod(x.shape[a + 1:], dtype=np.int64)))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/reduce.c.j2")

    def macs(self, op):
        return op.inputs[0].size


@register
class ArgMax(_ArgMinMax):
    kind = "ARG_MAX"
    options = "ArgMaxOptions"
    options_class = "ArgMaxOptionsT"
    function = "tg_arg_max"


@register
class ArgMin(_ArgMinMax):
    kind = "ARG_MIN"
    options = "ArgMinOptions"
    options_class = "ArgMinOptionsT"
    function = "tg_arg_min"
