"""What the data-movement operators share: a copy through per-axis input offsets (kernel
tg_remap), planned here from "where does output index i of axis d read in the input".

SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD,
RESIZE_NEAREST_NEIGHBOR, REVERSE_V2, BROADCAST_TO, SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND are all
such copies: output element (i_0, ..., i_{r-1}) is input element sum_d A_d[i_d] for one array A_d
of input element offsets per output axis (arithmetic progressions for slices and rearrangements,
step 0 for broadcasting, tables for mirror padding and nearest-neighbour resizing). They
differ only in how the arrays are computed (each operator's `remap_axes`), which is exactly what
TFLite Micro's kernels compute index by index; the values are moved unchanged, whatever the
element type and the quantization (TFLite Micro does not requantize either).

`plan_remap` turns the arrays into the kernel's loop nest: size-1 axes dropped, trailing contiguous
axes folded into one block copy, adjacent arithmetic axes merged, tables only where an axis is not
arithmetic. `remap_gap` gives how far below its input the output may start (the kernel writes
blocks in order, each after reading it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np

from ..cstruct import cstruct
from ..geometry import Region
from ..ir import Op
from ..kernel_library import constant
from .base import OpDef, unsupported

INT32_MAX = 2**31 - 1
#: blocks beyond which the overlap gap is not computed (no overlap is declared)
MAX_GAP_BLOCKS = 1 << 21


@cstruct("tg_remap_params")
@dataclass(frozen=True, eq=False)
class RemapParams:
    rank: int
    block_bytes: int
    base: int
    shape: tuple[int, ...]
    step: tuple[int, ...]
    table: tuple[int, ...]
    #: byte offsets of the tabulated dimensions (int32, in flash), or None (NULL) if none
    offsets: np.ndarray


@dataclass(frozen=True, eq=False)
class RemapCall:
    """One tg_remap call: input `input` of the operator into output `output`."""

    params: RemapParams
    input: int
    output: int


@dataclass(frozen=True, eq=False)
class RemapArgs:
    calls: tuple[RemapCall, ...]


@dataclass(frozen=True)
class PatchWindow:
    """Where an operator of a patch (tinygen.patching) sits in the image: its output region starts
    at image row/column `out_origin`, its input buffer holds the image from `in_origin` on, and
    the whole input image is in_hw[0] x in_hw[1] (the operator's tables depend on it)."""

    in_hw: tuple[int, int]
    out_origin: tuple[int, int]
    in_origin: tuple[int, int]


def spatial_region(rows: np.ndarray, cols: np.ndarray, out: Region) -> Region:
    """The input region read by output region `out` of an operator whose output pixel (y, x)
    reads input pixel (rows[y], cols[x]) (image coordinates)."""
    r, c = rows[out.y0:out.y1], cols[out.x0:out.x1]
    return Region(int(r.min()), int(r.max()) + 1, int(c.min()), int(c.max()) + 1)


def _affine_step(a: np.ndarray) -> int | None:
    """The common difference of a (len >= 2), or None if a is not an arithmetic progression."""
    d = np.diff(a)
    return int(d[0]) if (d == d[0]).all() else None


def plan_remap(axes: Sequence[np.ndarray], itemsize: int) -> RemapParams:
    """The tg_remap loop nest for output axes reading input element offsets axes[d][i]."""
    max_dims = constant("TG_REMAP_MAX_DIMS")
    arrs = [np.asarray(a, dtype=np.int64).reshape(-1) for a in axes]
    if any(a.size == 0 for a in arrs):
        raise ValueError("an output axis has no elements")
    base = int(sum(int(a[0]) for a in arrs)) * itemsize
    # loop dimensions as [extent, step or None, byte offsets relative to index 0]
    dims = [[a.size, None, (a - a[0]) * itemsize] for a in arrs if a.size > 1]
    for d in dims:
        d[1] = _affine_step(d[2])
    block = itemsize
    while dims and dims[-1][1] == block:  # contiguous innermost: one bigger block
        block *= dims.pop()[0]
    merged: list[list] = []
    for d in dims:  # (n1, S) then (n2, s) with S == n2 * s: one loop (n1 * n2, s)
        if merged and merged[-1][1] is not None and d[1] is not None and merged[-1][1] == d[0] * d[1]:
            n = merged[-1][0] * d[0]
            merged[-1] = [n, d[1], np.arange(n, dtype=np.int64) * d[1]]
        else:
            merged.append(d)
    dims = merged
    while len(dims) > max_dims:  # tabulate the pair of adjacent dimensions with the fewest entries
        j = min(range(len(dims) - 1), key=lambda k: dims[k][0] * dims[k + 1][0])
        a, b = dims[j], dims[j + 1]
        dims[j:j + 2] = [[a[0] * b[0], None, (a[2][:, None] + b[2][None, :]).reshape(-1)]]
    if not dims:
        dims = [[1, 0, np.zeros(1, dtype=np.int64)]]
    tables, table, step = [], [], []
    n_tab = 0
    for n, s, offs in dims:
        if s is None:
            table.append(n_tab)
            step.append(0)
            tables.append(offs)
            n_tab += n
        else:
            table.append(-1)
            step.append(int(s))
    pad = max_dims - len(dims)
    offsets = np.concatenate(tables).astype(np.int64) if tables else None
    for v in ([base, block] + step + ([int(np.abs(offsets).max())] if offsets is not None else [])):
        if abs(v) > INT32_MAX:
            raise ValueError("byte offsets beyond the int32 range")
    return RemapParams(rank=len(dims), block_bytes=int(block), base=base,
                       shape=tuple(int(d[0]) for d in dims) + (1,) * pad,
                       step=tuple(step) + (0,) * pad, table=tuple(table) + (-1,) * pad,
                       offsets=None if offsets is None else offsets.astype(np.int32))


def block_reads(p: RemapParams) -> np.ndarray:
    """The input byte offset of every block, in the order the kernel writes them."""
    offs = np.array([p.base], dtype=np.int64)
    for d in range(p.rank):
        if p.table[d] < 0:
            axis = np.arange(p.shape[d], dtype=np.int64) * p.step[d]
        else:
            axis = p.offsets[p.table[d]:p.table[d] + p.shape[d]].astype(np.int64)
        offs = (offs[:, None] + axis[None, :]).reshape(-1)
    return offs


def gap_for_reads(lowest_reads: np.ndarray, unit_bytes: int) -> int:
    """How far below its input an output may start when a kernel writes it in units of
    `unit_bytes` bytes, unit p after reading its inputs, the lowest input byte unit p reads being
    lowest_reads[p]: the largest (p + 1) * unit_bytes - min over q >= p of lowest_reads[q]
    (the writes of units <= p then never reach input a unit >= p still needs)."""
    if lowest_reads.size == 0:
        return 0
    suffix_min = np.minimum.accumulate(np.asarray(lowest_reads, dtype=np.int64)[::-1])[::-1]
    written = (np.arange(suffix_min.size, dtype=np.int64) + 1) * unit_bytes
    return int(max(0, (written - suffix_min).max()))


def remap_gap(p: RemapParams) -> int | None:
    """Bytes the output of a tg_remap call must start below the input (None: not computed, the
    copy has too many blocks)."""
    n = 1
    for d in range(p.rank):
        n *= p.shape[d]
    if n > MAX_GAP_BLOCKS:
        return None
    return gap_for_reads(block_reads(p), p.block_bytes)


def element_strides(shape: Sequence[int]) -> list[int]:
    """Row-major element strides of a shape."""
    st = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        st[d] = st[d + 1] * int(shape[d + 1])
    return st


def slice_axes(in_shape: Sequence[int], starts: Sequence[int], counts: Sequence[int],
               steps: Sequence[int] | None = None) -> list[np.ndarray]:
    """Per-axis element offsets of a (strided) slice of a row-major tensor."""
    st = element_strides(in_shape)
    steps = steps or [1] * len(in_shape)
    return [(int(b) + np.arange(int(n), dtype=np.int64) * int(s)) * st[d]
            for d, (b, n, s) in enumerate(zip(starts, counts, steps))]


class RemapOp(OpDef):
    """An operator that is one tg_remap call per output (see the module docstring)."""

    function = "tg_remap"
    #: only moves stored values: any element type (float32 included) passes the model-wide checks
    moves_values: ClassVar[bool] = True
    #: index of the data input
    data_input: ClassVar[int] = 0

    def remap_axes(self, op: Op, output: int) -> list[np.ndarray]:
        """Input element offsets along each axis of output `output`."""
        raise NotImplementedError

    def prepare(self, op: Op) -> RemapArgs:
        x = op.inputs[self.data_input]
        return RemapArgs(calls=tuple(RemapCall(params=plan_remap(self.remap_axes(op, i), x.itemsize),
                                               input=self.data_input, output=i)
                                     for i in range(len(op.outputs))))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/remap.c.j2")

    def overlap_gaps(self, op):
        # one output only: with several, a later call would read input an earlier output overwrote
        if len(op.outputs) != 1:
            return []
        if op.inputs[self.data_input].is_const:
            return []
        gap = remap_gap(self.prepare(op).calls[0].params)
        return [] if gap is None else [(self.data_input, 0, gap)]

    # -- shared checks ---------------------------------------------------------------------------
    def check_types(self, op: Op, dtypes: Sequence[str]) -> None:
        """Data input and every output of one of `dtypes`, outputs of the input's type."""
        x = op.inputs[self.data_input]
        if x is None:
            raise unsupported(op, "missing input")
        if x.dtype not in dtypes:
            raise unsupported(op, f"input {x.name!r} has type {x.dtype}; supported: {', '.join(dtypes)}")
        for y in op.outputs:
            if y.dtype != x.dtype:
                raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input is {x.dtype}")
        if any(t.size == 0 for t in [x, *op.outputs]):
            raise unsupported(op, "a tensor has no elements")


__all__ = ["PatchWindow", "RemapArgs", "RemapCall", "RemapOp", "RemapParams", "block_reads", "element_strides",
           "gap_for_reads", "plan_remap", "remap_gap", "slice_axes", "spatial_region"]
