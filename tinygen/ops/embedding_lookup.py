"""EMBEDDING_LOOKUP: rows of a float32 or int8 table picked by int32 ids, values copied unchanged
(kernel: tg_gather, the rows being slices along axis 0).

TFLite Micro (embedding_lookup.cc): ids a 1-D int32 tensor, the table of rank >= 2, the output
[ids, table.shape[1:]]; an id outside the table fails its Eval, and the kernel returns an error
there too (constant ids outside are refused). Its hybrid path (int8 table, float32 output
dequantized by the table's scale) is refused: tinygen compiles int8 models.
"""

from __future__ import annotations

import numpy as np

from .base import NoAttrs, OpDef, register, unsupported
from .common import check_dtype, check_shape
from .gather import GatherParams

DTYPES = ("float32", "int8")


@register
class EmbeddingLookup(OpDef):
    kind = "EMBEDDING_LOOKUP"
    options = None
    function = "tg_gather"
    moves_values = True
    input_names = ("ids", "table")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def infer(self, op):
        ids, table = op.inputs[0], op.inputs[1]
        return [(ids.shape[0],) + tuple(table.shape[1:])]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects ids, a table and one output")
        ids, table, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, ids, "int32", what="ids")
        check_dtype(op, table, *DTYPES, what="table")
        if ids.rank != 1 or table.rank < 2:
            raise unsupported(op, f"ids must be 1-D and the table at least 2-D (got ranks {ids.rank} and {table.rank})")
        if y.dtype != table.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the table is {table.dtype} (TFLite "
                                  "Micro's hybrid int8 -> float32 lookup is not supported)")
        if table.size == 0 or y.size == 0:
            raise unsupported(op, "a tensor has no elements")
        check_shape(op, y, self.infer(op)[0])
        if ids.is_const:
            v = np.asarray(ids.data).reshape(-1)
            if v.min() < 0 or v.max() >= table.shape[0]:
                raise unsupported(op, f"an id is outside [0, {table.shape[0]}) (TFLite Micro: index out of bounds)")

    def prepare(self, op) -> GatherParams:
        ids, table = op.inputs[0], op.inputs[1]
        return GatherParams(batches=1, outer=1, coords=ids.shape[0], axis_size=table.shape[0],
                            inner_bytes=table.size // table.shape[0] * table.itemsize)
