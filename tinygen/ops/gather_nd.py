"""GATHER_ND: slices of a float32 or int8 tensor picked by int32 index tuples, values copied
unchanged (kernel: tg_gather_nd).

TFLite Micro (gather_nd.cc): params of rank >= 1, int32 indices of rank >= 1 whose last dimension
(the tuple length) is at most the params' rank and at most 5; the output is
indices.shape[:-1] + params.shape[tuple length:]. It checks a tuple only against the params' total
size (flat position sum index[j] * elements per step of dimension j), so an index past its own
dimension reads into the next one, and tinygen does the same. Constant indices reaching past the
params are refused; indices computed at run time are checked by the kernel like TFLite Micro's
Eval does (it fails there as well).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..kernel_library import constant
from ..schema import schema
from .base import NoAttrs, OpDef, register, unsupported
from .common import check_dtype, check_shape

DTYPES = ("float32", "int8")


@cstruct("tg_gather_nd_params")
@dataclass(frozen=True)
class GatherNdParams:
    slices: int
    depth: int
    stride: tuple[int, ...]
    slice_size: int
    flat_size: int
    elem_size: int


def _prod(v) -> int:
    return int(np.prod(v, dtype=np.int64)) if len(v) else 1


@register
class GatherNd(OpDef):
    kind = "GATHER_ND"
    options = "GatherNdOptions"
    function = "tg_gather_nd"
    moves_values = True
    input_names = ("params", "indices")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.GatherNdOptionsT()

    def infer(self, op):
        x, idx = op.inputs[0], op.inputs[1]
        nd = idx.shape[-1]
        return [tuple(idx.shape[:-1]) + tuple(x.shape[nd:])]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects params, indices and one output")
        x, idx, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, *DTYPES, what="params")
        check_dtype(op, idx, "int32", what="indices")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the params are {x.dtype}")
        if x.rank < 1 or idx.rank < 1:
            raise unsupported(op, "params and indices must be at least vectors")
        nd = idx.shape[-1]
        if nd > x.rank or nd > constant("TG_GATHER_ND_MAX_DEPTH"):
            raise unsupported(op, f"index tuples of {nd} entries: at most the params' rank {x.rank} and "
                                  f"{constant('TG_GATHER_ND_MAX_DEPTH')}")
        if x.size == 0 or y.size == 0:
            raise unsupported(op, "a tensor has no elements")
        check_shape(op, y, self.infer(op)[0])
        if idx.is_const:
            p = self.prepare(op)
            tuples = np.asarray(idx.data, dtype=np.int64).reshape(-1, nd) if nd else np.zeros((p.slices, 0))
            pos = tuples @ np.array(p.stride[:nd], dtype=np.int64) if nd else np.zeros(p.slices)
            if (pos < 0).any() or (pos > p.flat_size - p.slice_size).any():
                raise unsupported(op, "an index tuple reaches outside the params (TFLite Micro: gather_nd index "
                                      "out of bounds)")

    def prepare(self, op) -> GatherNdParams:
        x, idx = op.inputs[0], op.inputs[1]
        nd = idx.shape[-1]
        strides = [_prod(x.shape[j + 1:]) for j in range(nd)]
        return GatherNdParams(slices=_prod(idx.shape[:-1]), depth=nd,
                              stride=tuple(strides) + (0,) * (constant("TG_GATHER_ND_MAX_DEPTH") - nd),
                              slice_size=_prod(x.shape[nd:]), flat_size=x.size, elem_size=x.itemsize)
