"""SPLIT, SPLIT_V and UNPACK: a tensor cut along one axis into several outputs, values copied
unchanged (kernel: tg_remap, one call per output; see tinygen/ops/remap.py).

TFLite Micro (split.cc, split_v.cc, unpack.cc) takes the axis from a constant int32 tensor (SPLIT,
SPLIT_V) or the options (UNPACK), and the pieces' sizes from the output tensors' shapes: SPLIT_V's
size_splits operand and SPLIT's num_splits option are not read. UNPACK copies `num` slices of the
input's extent along the axis; models where the two differ (TFLite Micro would then copy the wrong
elements) are refused, as are outputs whose shapes do not tile the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import schema
from .base import register, unsupported
from .remap import RemapOp, slice_axes
from .slice import const_vector

SPLIT_DTYPES = ("float32", "int8", "int16", "int32")
UNPACK_DTYPES = ("float32", "int32", "int16", "int8")


@dataclass
class SplitAttrs:
    num_splits: int = 0


@dataclass
class UnpackAttrs:
    num: int = 0
    axis: int = 0


def _axis_from_tensor(op, t, rank: int) -> int:
    v = const_vector(op, t, "axis")
    if len(v) < 1:
        raise unsupported(op, "the axis tensor is empty")
    a = v[0] + (rank if v[0] < 0 else 0)
    if not 0 <= a < rank:
        raise unsupported(op, f"axis {v[0]} is out of range for rank {rank}")
    return a


class _Split(RemapOp):
    input_names = ("axis", "input")

    def axis(self, op) -> int:
        x = op.inputs[self.data_input]
        return _axis_from_tensor(op, op.inputs[2 if self.kind == "SPLIT_V" else 0], x.rank)

    def extents(self, op) -> list[int]:
        """Each output's extent along the axis."""
        a = self.axis(op)
        return [y.shape[a] if y.rank == op.inputs[self.data_input].rank else -1 for y in op.outputs]

    def check(self, op):
        if len(op.inputs) != self.n_inputs or len(op.outputs) < 1 or any(t is None for t in op.inputs):
            raise unsupported(op, f"expects {self.n_inputs} inputs and at least one output")
        self.check_types(op, SPLIT_DTYPES)
        x = op.inputs[self.data_input]
        a = self.axis(op)
        for y in op.outputs:
            if y.rank != x.rank or any(y.shape[d] != x.shape[d] for d in range(x.rank) if d != a):
                raise unsupported(op, f"output {y.name!r} with shape {list(y.shape)} does not match the input "
                                      f"{list(x.shape)} outside axis {a}")
        ext = self.extents(op)
        if sum(ext) != x.shape[a]:
            raise unsupported(op, f"the outputs' extents {ext} along axis {a} do not add up to the input's {x.shape[a]}")
        self.check_extents(op, ext)

    def check_extents(self, op, ext: list[int]) -> None:
        pass

    def remap_axes(self, op, output):
        x = op.inputs[self.data_input]
        a = self.axis(op)
        ext = self.extents(op)
        begin = [0] * x.rank
        begin[a] = sum(ext[:output])
        return slice_axes(x.shape, begin, list(op.outputs[output].shape))


@register
class Split(_Split):
    kind = "SPLIT"
    options = "SplitOptions"
    n_inputs = 2
    data_input = 1

    def parse(self, opts, inputs, outputs):
        return SplitAttrs(num_splits=int(opts.numSplits) if opts is not None else 0)

    def write_options(self, a: SplitAttrs):
        o = schema.SplitOptionsT()
        o.numSplits = int(a.num_splits)
        return o

    def infer(self, op):
        x = op.inputs[1]
        a = self.axis(op)
        n = len(op.outputs)
        shape = list(x.shape)
        shape[a] = shape[a] // n
        return [tuple(shape)] * n

    def check_extents(self, op, ext):
        # TFLite Micro copies every piece with the first output's extent
        if len(set(ext)) != 1:
            raise unsupported(op, f"the outputs' extents {ext} differ (SPLIT cuts equal pieces)")


@register
class SplitV(_Split):
    kind = "SPLIT_V"
    options = "SplitVOptions"
    n_inputs = 3
    data_input = 0
    input_names = ("input", "size_splits", "axis")

    def parse(self, opts, inputs, outputs):
        return SplitAttrs(num_splits=int(opts.numSplits) if opts is not None else 0)

    def write_options(self, a: SplitAttrs):
        o = schema.SplitVOptionsT()
        o.numSplits = int(a.num_splits)
        return o

    def infer(self, op):
        """From the size_splits operand (one -1 takes the rest), as the converter writes it."""
        x = op.inputs[0]
        a = self.axis(op)
        sizes = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[a] - sum(s for s in sizes if s != -1)
        out = []
        for s in sizes:
            shape = list(x.shape)
            shape[a] = s
            out.append(tuple(shape))
        return out


@register
class Unpack(RemapOp):
    kind = "UNPACK"
    options = "UnpackOptions"

    def parse(self, opts, inputs, outputs):
        return UnpackAttrs() if opts is None else UnpackAttrs(num=int(opts.num), axis=int(opts.axis))

    def write_options(self, a: UnpackAttrs):
        o = schema.UnpackOptionsT()
        o.num, o.axis = int(a.num), int(a.axis)
        return o

    def _axis(self, op) -> int:
        x = op.inputs[0]
        a = op.attrs.axis
        return a + x.rank if a < 0 else a

    def infer(self, op):
        x = op.inputs[0]
        a = self._axis(op)
        return [tuple(d for i, d in enumerate(x.shape) if i != a)] * op.attrs.num

    def check(self, op):
        if len(op.inputs) != 1 or op.inputs[0] is None or len(op.outputs) < 1:
            raise unsupported(op, "expects one input and at least one output")
        self.check_types(op, UNPACK_DTYPES)
        x = op.inputs[0]
        a = self._axis(op)
        if not 0 <= a < x.rank:
            raise unsupported(op, f"axis {op.attrs.axis} is out of range for rank {x.rank}")
        if op.attrs.num != len(op.outputs) or x.shape[a] != op.attrs.num:
            raise unsupported(op, f"num={op.attrs.num} must equal the number of outputs ({len(op.outputs)}) and the "
                                  f"input's extent along axis {a} ({x.shape[a]})")
        want = self.infer(op)[0]
        for y in op.outputs:
            if tuple(y.shape) != want:
                raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; expected {list(want)}")

    def remap_axes(self, op, output):
        x = op.inputs[0]
        a = self._axis(op)
        begin = [0] * x.rank
        begin[a] = output
        counts = list(x.shape)
        counts[a] = 1
        return slice_axes(x.shape, begin, counts)
