"""DYNAMIC_UPDATE_SLICE: the operand with an update written at start indices read at run time
(kernel: tg_dynamic_update_slice).

TFLite Micro (dynamic_update_slice.cc): operand, update and output float32, int8, int16 or int32
(values moved unchanged, quantization ignored); start indices int32 or int64, one per operand
dimension, each clamped to [0, operand size - update size]; the update has the operand's rank and
no larger sizes. Ranks up to 6 (RuntimeShape's small size).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..kernel_library import constant
from .base import OpDef, register, unsupported
from .common import check_dtype, check_shape

TYPES = ("float32", "int8", "int16", "int32")


@cstruct("tg_dus_params")
@dataclass(frozen=True)
class DusParams:
    rank: int
    element_size: int
    indices_int64: int
    operand_dims: tuple[int, ...]
    update_dims: tuple[int, ...]


@register
class DynamicUpdateSlice(OpDef):
    kind = "DYNAMIC_UPDATE_SLICE"
    function = "tg_dynamic_update_slice"
    moves_values = True
    input_names = ("operand", "update", "start")

    def infer(self, op):
        return [op.inputs[0].shape]

    def check(self, op):
        if len(op.inputs) != 3 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an operand, an update, start indices and one output")
        x, u, idx = op.inputs
        y = op.outputs[0]
        check_dtype(op, x, *TYPES, what="operand")
        for t, what in ((u, "update"), (y, "output")):
            if t.dtype != x.dtype:
                raise unsupported(op, f"{what} {t.name!r} has type {t.dtype} but the operand has {x.dtype}")
        check_dtype(op, idx, "int32", "int64", what="start indices")
        max_dims = constant("TG_DUS_MAX_DIMS")
        if not 1 <= x.rank <= max_dims:
            raise unsupported(op, f"operand {x.name!r} has rank {x.rank}; supported: 1 to {max_dims}")
        if idx.rank != 1 or idx.size != x.rank:
            raise unsupported(op, f"start indices {idx.name!r} have shape {list(idx.shape)}; expected [{x.rank}]")
        if u.rank != x.rank or any(not 1 <= a <= b for a, b in zip(u.shape, x.shape)):
            raise unsupported(op, f"update shape {list(u.shape)} does not fit in the operand's {list(x.shape)}")
        check_shape(op, y, x.shape)

    def prepare(self, op):
        x, u, idx = op.inputs
        pad = constant("TG_DUS_MAX_DIMS") - x.rank
        return DusParams(rank=x.rank, element_size=x.itemsize, indices_int64=int(idx.dtype == "int64"),
                         operand_dims=tuple(int(d) for d in x.shape) + (0,) * pad,
                         update_dims=tuple(int(d) for d in u.shape) + (0,) * pad)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/dynamic_update_slice.c.j2")

    def inplace_variant(self, op, target):
        """The output written over the operand (the kernel then only writes the update), when the
        operand is a computed tensor the graph does not read afterwards (the memory_opt pass
        decides)."""
        if op.inputs[0].is_const:
            return None
        return self.kernel(op, self.prepare(op), template="ops/dynamic_update_slice.c.j2", inplace=True)

    def macs(self, op):
        return int(np.prod(op.inputs[1].shape))
