"""TRANSPOSE: permutes the dimensions of an int8 or float32 tensor (kernel: tg_transpose).

TFLite Micro (transpose_common.cc) takes the permutation from a constant 1-D int32 tensor and
supports ranks 1 to 5. Values are moved, not requantized (TFLM copies them unchanged whatever the
output's quantization says, and so do we).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..frontend.schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype

MAX_RANK = 5
#: TG_TRANSPOSE_MAX_DIMS in tg_nn.h
TRANSPOSE_MAX_DIMS = 5
DTYPES = ("int8", "float32")


@dataclass(frozen=True)
class TransposeLoops:
    shape: tuple[int, ...]      # output extent of each loop dimension
    in_stride: tuple[int, ...]  # input elements moved per step along each loop dimension

    def c_init(self, elem_size: int) -> str:
        pad = TRANSPOSE_MAX_DIMS - len(self.shape)

        def arr(v):
            return "{" + ", ".join(str(int(x)) for x in tuple(v) + (0,) * pad) + "}"
        return f"{{{len(self.shape)}, {elem_size}, {arr(self.shape)}, {arr(self.in_stride)}}}"


@dataclass
class TransposeParams:
    elem_size: int
    loops: TransposeLoops


def plan_transpose(in_shape: tuple[int, ...], perm: tuple[int, ...]) -> TransposeLoops:
    """Output loop nest of a transposition: size-1 dimensions dropped, and output dimensions
    merged when they are also adjacent (in the same order) in the input.

    Loops over (n_outer, stride S) and (n, stride s) merge into (n_outer * n, s) when S == n * s."""
    strides = [1] * len(in_shape)
    for d in range(len(in_shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * in_shape[d + 1]
    loops: list[list[int]] = []  # [extent, input stride]
    for p in perm:
        n = in_shape[p]
        if n == 1:
            continue
        if loops and loops[-1][1] == strides[p] * n:
            # the previous loop steps exactly over this dimension: one loop of stride strides[p]
            loops[-1] = [loops[-1][0] * n, strides[p]]
        else:
            loops.append([n, strides[p]])
    if not loops:
        loops = [[1, 1]]
    return TransposeLoops(shape=tuple(l[0] for l in loops), in_stride=tuple(l[1] for l in loops))


def _perm(op) -> tuple[int, ...] | None:
    p = op.inputs[1] if len(op.inputs) > 1 else None
    if p is None or not p.is_const:
        return None
    return tuple(int(v) for v in np.asarray(p.data).reshape(-1))


@register
class Transpose(OpDef):
    kind = "TRANSPOSE"
    options = "TransposeOptions"

    def write_options(self, a):
        return schema.TransposeOptionsT()

    def infer(self, op):
        x = op.inputs[0]
        perm = _perm(op)
        return [tuple(x.shape[p] for p in perm)]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
            raise unsupported(op, "expects an input, a permutation and one output")
        x, p, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, *DTYPES, what="input")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output type {y.dtype} differs from input type {x.dtype}")
        if not 1 <= x.rank <= MAX_RANK:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; TFLite Micro supports ranks 1 to {MAX_RANK}")
        if x.size == 0:
            raise unsupported(op, f"input {x.name!r} has no elements (shape {list(x.shape)})")
        check_dtype(op, p, "int32", what="permutation")
        if not p.is_const:
            raise unsupported(op, f"permutation {p.name!r} is not constant (TFLite Micro requires a constant)")
        perm = _perm(op)
        if p.rank != 1 or len(perm) != x.rank or sorted(perm) != list(range(x.rank)):
            raise unsupported(op, f"permutation {list(perm)} is not a permutation of the input's {x.rank} dimensions")
        expected = tuple(x.shape[d] for d in perm)
        if tuple(y.shape) != expected:
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)} but the permutation gives {list(expected)}")

    def prepare(self, op):
        x = op.inputs[0]
        return TransposeParams(elem_size=x.itemsize, loops=plan_transpose(x.shape, _perm(op)))
