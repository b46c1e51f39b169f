"""REVERSE_V2: a tensor reversed along one or more adjacent axes, values copied unchanged
(kernel: tg_remap; see tinygen/ops/remap.py).

TFLite Micro (reverse.cc) takes the axes from an int32 vector (negative ones count from the end),
sorts them and refuses axes that are not adjacent; reversing the flattened span of adjacent axes,
as it does, is reversing each of them. It supports int8, uint8, int16, int32, int64, float32 and
bool; tinygen takes float32, int8, int16 and int32 (its graph inputs and outputs).
"""

from __future__ import annotations

import numpy as np

from ..schema import schema
from .base import NoAttrs, register, unsupported
from .common import check_shape
from .remap import RemapOp, element_strides
from .slice import const_vector

DTYPES = ("float32", "int8", "int16", "int32")
MAX_RANK = 6  # RuntimeShape::kMaxSmallSize


def _axes(op) -> list[int]:
    x = op.inputs[0]
    v = const_vector(op, op.inputs[1], "axis")
    if op.inputs[1].rank != 1 or not 1 <= len(v) <= x.rank:
        raise unsupported(op, f"axis {v} must be a vector of 1 to {x.rank} entries")
    axes = sorted(a + x.rank if a < 0 else a for a in v)
    if any(not 0 <= a < x.rank for a in axes):
        raise unsupported(op, f"axis {v} is out of range for rank {x.rank}")
    if any(b != a + 1 for a, b in zip(axes, axes[1:])):
        raise unsupported(op, f"axes {v} are not adjacent (TFLite Micro: Non-contiguous `axes` not supported)")
    return axes


@register
class ReverseV2(RemapOp):
    kind = "REVERSE_V2"
    options = "ReverseV2Options"
    input_names = ("input", "axis")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.ReverseV2OptionsT()

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, an axis vector and one output")
        self.check_types(op, DTYPES)
        x = op.inputs[0]
        if not 1 <= x.rank <= MAX_RANK:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; supported ranks are 1 to {MAX_RANK}")
        _axes(op)
        check_shape(op, op.outputs[0], x.shape)

    def remap_axes(self, op, output):
        x = op.inputs[0]
        rev = set(_axes(op))
        out = []
        for d, (n, s) in enumerate(zip(x.shape, element_strides(x.shape))):
            i = np.arange(n, dtype=np.int64)
            out.append(((n - 1 - i) if d in rev else i) * s)
        return out
