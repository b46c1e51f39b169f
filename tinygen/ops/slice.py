"""SLICE and STRIDED_SLICE: a (strided) window of a float32, int8, int16 or int32 tensor, copied
unchanged (kernel: tg_remap, see tinygen/ops/remap.py).

TFLite Micro also accepts bool tensors for both; tinygen has no bool graph inputs or outputs and no
operator producing bool, so it refuses them.

SLICE (TFLite Micro's slice.cc): begin and size vectors (int32 or int64, one entry per input
dimension; size -1 means "to the end"), ranks 1 to 5. TFLite Micro does not check that the window
lies inside the input (it reads past it); such models are refused here.

STRIDED_SLICE (strided_slice.cc, strided_slice_common.cc): constant int32 begin, end and strides,
ranks 1 to 4, begin/end/shrink-axis masks. TFLite Micro sets the ellipsis and new-axis masks and
the `offset` option to zero, whatever the model says, and so does this compiler. Its Prepare checks
the output shape with one set of index rules and its Eval copies with another; where they disagree
(a shrunk axis whose start is past the end, or a shrunk axis with a negative stride) TFLite Micro
leaves the output unwritten, and such models are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..schema import schema
from .base import NoAttrs, register, unsupported
from .common import check_shape
from .remap import RemapOp, slice_axes

SLICE_DTYPES = ("float32", "int32", "int8", "int16")
STRIDED_SLICE_DTYPES = ("float32", "int8", "int16", "int32")
SLICE_MAX_RANK = 5            # kMaxDim in slice.cc
STRIDED_SLICE_MAX_RANK = 4    # kMaxDim in strided_slice_common.cc


def const_vector(op, t, what: str, dtypes: tuple[str, ...] = ("int32",)) -> list[int]:
    """The values of a constant 1-D integer operand, or a refusal naming it."""
    if t is None:
        raise unsupported(op, f"missing {what}")
    if t.dtype not in dtypes:
        raise unsupported(op, f"{what} {t.name!r} has type {t.dtype}; TFLite Micro reads {' or '.join(dtypes)}")
    if not t.is_const:
        raise unsupported(op, f"{what} {t.name!r} is not constant (tinygen needs it at compile time)")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


# -- SLICE ------------------------------------------------------------------------------------------
def _slice_window(op) -> tuple[list[int], list[int]]:
    x = op.inputs[0]
    begin = const_vector(op, op.inputs[1], "begin", ("int32", "int64"))
    size = const_vector(op, op.inputs[2], "size", ("int32", "int64"))
    if op.inputs[1].rank != 1 or op.inputs[2].rank != 1 or len(begin) != x.rank or len(size) != x.rank:
        raise unsupported(op, f"begin {begin} and size {size} must be vectors of {x.rank} entries, one per input dimension")
    counts = [n - b if s == -1 else s for b, s, n in zip(begin, size, x.shape)]
    for d, (b, c, n) in enumerate(zip(begin, counts, x.shape)):
        if b < 0 or c < 0 or b + c > n:
            raise unsupported(op, f"the window [{b}, {b + c}) of dimension {d} is not inside the input's {n} "
                                  "(TFLite Micro would read outside the input)")
    return begin, counts


@register
class Slice(RemapOp):
    kind = "SLICE"
    options = "SliceOptions"
    input_names = ("input", "begin", "size")

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def write_options(self, a):
        return schema.SliceOptionsT()

    def infer(self, op):
        return [tuple(_slice_window(op)[1])]

    def check(self, op):
        if len(op.inputs) != 3 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, begin, size and one output")
        self.check_types(op, SLICE_DTYPES)
        x = op.inputs[0]
        if not 1 <= x.rank <= SLICE_MAX_RANK:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; TFLite Micro supports ranks 1 to {SLICE_MAX_RANK}")
        if op.inputs[1].dtype != op.inputs[2].dtype:
            raise unsupported(op, "begin and size have different types")
        check_shape(op, op.outputs[0], self.infer(op)[0])

    def remap_axes(self, op, output):
        begin, counts = _slice_window(op)
        return slice_axes(op.inputs[0].shape, begin, counts)


# -- STRIDED_SLICE ----------------------------------------------------------------------------------
@dataclass
class StridedSliceAttrs:
    begin_mask: int = 0
    end_mask: int = 0
    shrink_axis_mask: int = 0
    #: read and written back, but ignored like TFLite Micro does
    ellipsis_mask: int = 0
    new_axis_mask: int = 0
    offset: bool = False


@dataclass(frozen=True)
class StridedWindow:
    starts: tuple[int, ...]
    counts: tuple[int, ...]     # elements copied along each input axis (Eval's loops)
    strides: tuple[int, ...]
    shape: tuple[int, ...]      # the output shape TFLite Micro's Prepare requires


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else (lo if v < lo else v)


def strided_window(op) -> StridedWindow:
    """Start, element count and stride per input axis as TFLite Micro's Eval computes them
    (StridedSliceStartForAxis / StridedSliceEndForAxis), and the output shape its Prepare checks
    (StartForAxis / StopForAxis and ceil((end - begin) / stride) in float)."""
    a: StridedSliceAttrs = op.attrs
    x = op.inputs[0]
    r = x.rank
    vals = []
    for i, what in ((1, "begin"), (2, "end"), (3, "strides")):
        v = const_vector(op, op.inputs[i], what)
        if len(v) < r:
            raise unsupported(op, f"{what} has {len(v)} entries for an input of rank {r}")
        vals.append(v[:r])
    begin, end, strides = vals
    starts, counts, shape = [], [], []
    for d in range(r):
        n, s = x.shape[d], strides[d]
        if s == 0:
            raise unsupported(op, f"stride {d} is 0 (TFLite Micro: stride value has to be non-zero)")
        shrink = bool(a.shrink_axis_mask >> d & 1)
        # Eval
        start = begin[d] + (n if begin[d] < 0 else 0)
        start = _clamp(start, 0, n) if s > 0 else _clamp(start, -1, n - 1)
        if a.begin_mask >> d & 1:
            start = 0 if s > 0 else n - 1
        if shrink:
            stop = start if start >= n else start + 1
        else:
            stop = end[d] + (n if end[d] < 0 else 0)
            stop = _clamp(stop, 0, n) if s > 0 else _clamp(stop, -1, n - 1)
            if a.end_mask >> d & 1:
                stop = n if s > 0 else -1
        count = len(range(start, stop, s))
        if shrink:
            if count != 1:
                raise unsupported(op, f"shrunk axis {d} selects no element at run time (TFLite Micro leaves the "
                                      "output unwritten)")
        else:
            # Prepare: the same start and stop here (the masks override after the clamping there, before
            # it here, with the same result); the extent in float as TFLite Micro computes it
            dim = math.ceil(float(np.float32(stop - start) / np.float32(s)))
            if max(dim, 0) != count:  # pragma: no cover - the two rules agree for every non-shrunk axis
                raise unsupported(op, f"axis {d}: TFLite Micro's shape check and copy disagree")
            shape.append(count)
        starts.append(start)
        counts.append(count)
    return StridedWindow(tuple(starts), tuple(counts), tuple(strides), tuple(shape))


@register
class StridedSlice(RemapOp):
    kind = "STRIDED_SLICE"
    options = "StridedSliceOptions"
    input_names = ("input", "begin", "end", "strides")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return StridedSliceAttrs()
        return StridedSliceAttrs(begin_mask=int(opts.beginMask), end_mask=int(opts.endMask),
                                 shrink_axis_mask=int(opts.shrinkAxisMask), ellipsis_mask=int(opts.ellipsisMask),
                                 new_axis_mask=int(opts.newAxisMask), offset=bool(opts.offset))

    def write_options(self, a: StridedSliceAttrs):
        o = schema.StridedSliceOptionsT()
        o.beginMask, o.endMask, o.shrinkAxisMask = a.begin_mask, a.end_mask, a.shrink_axis_mask
        o.ellipsisMask, o.newAxisMask, o.offset = a.ellipsis_mask, a.new_axis_mask, a.offset
        return o

    def infer(self, op):
        return [strided_window(op).shape]

    def check(self, op):
        if len(op.inputs) != 4 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, begin, end, strides and one output")
        self.check_types(op, STRIDED_SLICE_DTYPES)
        x = op.inputs[0]
        if not 1 <= x.rank <= STRIDED_SLICE_MAX_RANK:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; TFLite Micro supports ranks 1 to "
                                  f"{STRIDED_SLICE_MAX_RANK}")
        w = strided_window(op)
        if 0 in w.counts:
            raise unsupported(op, "the slice is empty")
        check_shape(op, op.outputs[0], w.shape)

    def remap_axes(self, op, output):
        w = strided_window(op)
        return slice_axes(op.inputs[0].shape, w.starts, w.counts, w.strides)
