"""MIRROR_PAD: padding by reflecting the input at its borders (REFLECT excludes the border
element, SYMMETRIC repeats it), values copied unchanged (kernel: tg_remap; see
tinygen/ops/remap.py).

TFLite Micro (mirror_pad.cc) supports float32 and int8, paddings of type int32 or int64 with one
(before, after) row per input dimension, and maps each output index to an input index with its
GetInputDimension, without checking that the paddings fit. Index tables computed here with the same
function reproduce it exactly: after the data, paddings longer than TensorFlow allows repeat the
first element (GetInputDimension clamps there); before the data they would read outside the input
(REFLECT needs padding < size, SYMMETRIC padding <= size) and are refused, as are paddings that are
not constant (the output shape is fixed at compile time anyway).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..schema import schema
from .base import register, unsupported
from .common import check_shape
from .remap import PatchWindow, RemapOp, element_strides, spatial_region

DTYPES = ("float32", "int8")
MODES = {0: "REFLECT", 1: "SYMMETRIC"}


@dataclass
class MirrorPadAttrs:
    mode: str = "REFLECT"
    #: set on the operators of a patch (tinygen.patching): where their regions lie in the image
    window: PatchWindow | None = None


def input_index(p: int, left: int, size: int, offset: int) -> int:
    """TFLite Micro's GetInputDimension: the input index output index p of a dimension reads
    (offset 1: REFLECT, 0: SYMMETRIC)."""
    if p < left:
        original = left + offset - 1
        return original - min(p, original - offset)
    p -= left
    if p >= size:
        p -= size
        original = size - (1 + offset)
        return original - min(p, original)
    return p


def _paddings(op) -> np.ndarray:
    p = op.inputs[1]
    if p.dtype not in ("int32", "int64"):
        raise unsupported(op, f"paddings {p.name!r} have type {p.dtype}; TFLite Micro reads int32 or int64")
    if not p.is_const:
        raise unsupported(op, f"paddings {p.name!r} are not constant (tinygen needs them at compile time)")
    x = op.inputs[0]
    if p.rank != 2 or p.shape[0] != x.rank or p.shape[1] != 2:
        raise unsupported(op, f"paddings have shape {list(p.shape)}; expected [{x.rank}, 2]")
    return np.asarray(p.data, dtype=np.int64)


@register
class MirrorPad(RemapOp):
    kind = "MIRROR_PAD"
    options = "MirrorPadOptions"
    input_names = ("input", "paddings")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return MirrorPadAttrs(mode="")
        return MirrorPadAttrs(mode=MODES.get(int(opts.mode), f"UNKNOWN({opts.mode})"))

    def write_options(self, a: MirrorPadAttrs):
        o = schema.MirrorPadOptionsT()
        o.mode = {v: k for k, v in MODES.items()}[a.mode]
        return o

    def infer(self, op):
        x = op.inputs[0]
        pads = np.asarray(op.inputs[1].data).reshape(-1, 2)
        return [tuple(int(d + a + b) for d, (a, b) in zip(x.shape, pads))]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, paddings and one output")
        if op.attrs.mode not in ("REFLECT", "SYMMETRIC"):
            raise unsupported(op, f"mirror padding mode {op.attrs.mode or '(no options)'}: expected REFLECT or SYMMETRIC")
        self.check_types(op, DTYPES)
        pads = _paddings(op)
        if (pads < 0).any():
            raise unsupported(op, "negative paddings")
        check_shape(op, op.outputs[0], self.infer(op)[0])
        x = op.inputs[0]
        limit = "smaller than" if op.attrs.mode == "REFLECT" else "at most"
        for d, idx in enumerate(self._indices(op)):
            if idx.min() < 0 or idx.max() >= x.shape[d]:
                raise unsupported(op, f"{op.attrs.mode} padding {pads[d].tolist()} of dimension {d} must be {limit} "
                                      f"its size {x.shape[d]} (TFLite Micro would read outside the input)")

    def _indices(self, op) -> list[np.ndarray]:
        """The input index of every output index, per dimension (image coordinates)."""
        x = op.inputs[0]
        shape = list(x.shape)
        if op.attrs.window is not None:
            shape[1:3] = op.attrs.window.in_hw
        pads = _paddings(op)
        offset = 1 if op.attrs.mode == "REFLECT" else 0
        return [np.array([input_index(p, int(pads[d, 0]), shape[d], offset)
                          for p in range(shape[d] + int(pads[d, 0]) + int(pads[d, 1]))], dtype=np.int64)
                for d in range(x.rank)]

    def remap_axes(self, op, output):
        idx = self._indices(op)
        w, y = op.attrs.window, op.outputs[0]
        if w is not None:  # an operator of a patch: its output region, from its input buffer
            for d in (1, 2):
                o, i = w.out_origin[d - 1], w.in_origin[d - 1]
                idx[d] = idx[d][o:o + y.shape[d]] - i
        st = element_strides(op.inputs[0].shape)
        return [ix * s for ix, s in zip(idx, st)]

    # -- patches: NHWC images padded along height and width only ------------------------------
    places_regions = True

    def input_regions(self, op, out):
        if out.axes != (1, 2):  # NHWC rows and columns only
            return None
        x = op.inputs[0]
        if x.rank != 4 or (_paddings(op)[[0, 3]] != 0).any():
            return None
        idx = self._indices(op)
        return [spatial_region(idx[1], idx[2], out), None]

    def local_attrs(self, op, in_regions, out_region):
        r_in = in_regions[0]
        x = op.inputs[0]
        return dataclasses.replace(op.attrs, window=PatchWindow(in_hw=(x.shape[1], x.shape[2]),
                                                                out_origin=(out_region.y0, out_region.x0),
                                                                in_origin=(r_in.y0, r_in.x0)))
