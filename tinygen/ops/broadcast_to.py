"""BROADCAST_TO: a tensor repeated along its size-1 (or missing leading) dimensions to a constant
shape, values copied unchanged (kernel: tg_remap with step-0 dimensions; see
tinygen/ops/remap.py).

TFLite Micro (broadcast_to.cc): ranks up to 5, a constant int32 or int64 shape that the input
broadcasts to and that the output has; any element type of a fixed size (tinygen takes float32,
int8, int16 and int32, its graph inputs and outputs).
"""

from __future__ import annotations

import numpy as np

from ..schema import schema
from .base import NoAttrs, register, unsupported
from .remap import RemapOp, element_strides
from .slice import const_vector

DTYPES = ("float32", "int8", "int16", "int32")
MAX_RANK = 5


@register
class BroadcastTo(RemapOp):
    kind = "BROADCAST_TO"
    options = "BroadcastToOptions"
    input_names = ("input", "shape")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.BroadcastToOptionsT()

    def infer(self, op):
        return [tuple(int(v) for v in np.asarray(op.inputs[1].data).reshape(-1))]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, a shape and one output")
        self.check_types(op, DTYPES)
        x, y = op.inputs[0], op.outputs[0]
        shape = const_vector(op, op.inputs[1], "shape", ("int32", "int64"))
        if op.inputs[1].rank != 1 or len(shape) != y.rank:
            raise unsupported(op, f"shape {shape} must be a vector with one entry per output dimension ({y.rank})")
        if y.rank > MAX_RANK or x.rank > y.rank:
            raise unsupported(op, f"cannot broadcast rank {x.rank} to rank {y.rank} (TFLite Micro: 1-5D tensors)")
        lead = y.rank - x.rank
        if any(n != 1 and n != shape[lead + d] for d, n in enumerate(x.shape)):
            raise unsupported(op, f"input shape {list(x.shape)} does not broadcast to {shape}")
        if tuple(y.shape) != tuple(shape):
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}, not {shape}")

    def remap_axes(self, op, output):
        x, y = op.inputs[0], op.outputs[0]
        lead = y.rank - x.rank
        st = [0] * lead + element_strides(x.shape)
        ext = (1,) * lead + tuple(x.shape)
        return [np.arange(n, dtype=np.int64) * (s if e != 1 else 0) for n, s, e in zip(y.shape, st, ext)]
