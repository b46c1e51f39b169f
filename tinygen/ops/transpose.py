"""TRANSPOSE: permutes the dimensions of an int8 or float32 tensor (kernel: tg_transpose).

TFLite Micro (transpose_common.cc) takes the permutation from a constant 1-D int32 tensor and
supports ranks 1 to 5. Values are moved, not requantized (TFLM copies them unchanged whatever the
output's quantization says, and so do we).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..geometry import Region
from ..kernel_library import constant
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype

MAX_RANK = 5
DTYPES = ("int8", "float32")


@cstruct("tg_transpose_params")
@dataclass(frozen=True)
class TransposeParams:
    """A gather over the output: loop dimension d (at most TG_TRANSPOSE_MAX_DIMS) has extent
    shape[d] and moves in_stride[d] elements in the input."""

    rank: int
    elem_size: int
    shape: tuple[int, ...]
    in_stride: tuple[int, ...]


def plan_transpose(in_shape: tuple[int, ...], perm: tuple[int, ...], elem_size: int = 1) -> TransposeParams:
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
    if len(loops) > constant("TG_TRANSPOSE_MAX_DIMS"):  # cannot happen: ranks above 5 are refused
        raise ValueError(f"transposition needs {len(loops)} loop dimensions")
    return TransposeParams(rank=len(loops), elem_size=elem_size, shape=tuple(lp[0] for lp in loops),
                           in_stride=tuple(lp[1] for lp in loops))


def _perm(op) -> tuple[int, ...] | None:
    p = op.inputs[1] if len(op.inputs) > 1 else None
    if p is None or not p.is_const:
        return None
    return tuple(int(v) for v in np.asarray(p.data).reshape(-1))


@register
class Transpose(OpDef):
    kind = "TRANSPOSE"
    options = "TransposeOptions"
    function = "tg_transpose"

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
        return plan_transpose(x.shape, _perm(op), x.itemsize)

    def overlap_gaps(self, op):
        """tg_transpose writes the output in order, one element after reading it (a gather loop),
        so the output may start `gap` bytes below the input: when output element q is written,
        every later element's input must still be intact. An NCHW -> NHWC image then needs
        (H*W - 1) * (C - 1) + 1 bytes below its input instead of a whole second image. Not when
        the innermost loop copies contiguous rows (memcpy, whose order is unspecified)."""
        x = op.inputs[0]
        perm = _perm(op)
        if perm is None or x.size < 2 or x.size > (1 << 22):
            return []
        plan = plan_transpose(x.shape, perm, x.itemsize)
        if plan.in_stride[plan.rank - 1] == 1:
            return []
        src = np.arange(x.size, dtype=np.int64).reshape(x.shape).transpose(perm).reshape(-1)
        later = np.minimum.accumulate(src[::-1])[::-1][1:]  # lowest input element read after q
        written = np.arange(1, x.size, dtype=np.int64) * x.itemsize
        return [(0, 0, int(max(0, (written - later * x.itemsize).max())))]

    def input_regions(self, op, out: Region):
        """Output rows/columns are the input's along the axes the permutation brings there (an
        NCHW input transposed to NHWC: axes 2, 3)."""
        perm = _perm(op)
        if op.outputs[0].rank != 4 or perm is None:
            return None
        return [out.on((perm[out.axes[0]], perm[out.axes[1]])), None]
