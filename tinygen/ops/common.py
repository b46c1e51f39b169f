"""Helpers shared by operator definitions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import Dims, Range
from ..geometry import Region, window_gap, window_region
from ..ir import Op, Quant, Tensor
from ..schema import ACTIVATION_CODES, ACTIVATION_NAMES, PADDING_CODES, PADDING_NAMES
from .base import OpDef, unsupported

SUPPORTED_FUSED = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def dims4(shape: tuple[int, ...]) -> Dims:
    if len(shape) != 4:
        raise ValueError(f"expected a 4-D shape, got {shape}")
    return Dims(*(int(d) for d in shape))


#: the value range of each integer activation type
INT_RANGES = {"int8": (Q.INT8_MIN, Q.INT8_MAX), "int16": (Q.INT16_MIN, Q.INT16_MAX)}


def activation_range(activation: str, t: Tensor) -> Range:
    """The clamp range of a fused activation on the quantized output tensor t (int8 or int16)."""
    lo, hi = Q.activation_range(activation, t.quant.s, t.quant.zp, *INT_RANGES.get(t.dtype, INT_RANGES["int8"]))
    return Range(lo, hi)


def fused_activation(code: int | None) -> str:
    return ACTIVATION_NAMES.get(int(code or 0), f"UNKNOWN({code})")


def fused_activation_code(name: str) -> int:
    return ACTIVATION_CODES[name]


def padding_name(code: int | None) -> str:
    return PADDING_NAMES.get(int(code or 0), f"UNKNOWN({code})")


def padding_code(name: str) -> int:
    return PADDING_CODES[name]


def check_fused(op: Op, act: str) -> None:
    if act not in SUPPORTED_FUSED:
        raise unsupported(op, f"fused activation {act} is not supported")


def check_dtype(op: Op, t: Tensor | None, *dtypes: str, what: str = "tensor") -> None:
    if t is None:
        raise unsupported(op, f"missing {what}")
    if t.dtype not in dtypes:
        raise unsupported(op, f"{what} {t.name!r} has type {t.dtype}; supported: {', '.join(dtypes)}")


def check_rank(op: Op, t: Tensor, *ranks: int, what: str = "tensor") -> None:
    if t.rank not in ranks:
        raise unsupported(op, f"{what} {t.name!r} has rank {t.rank} (shape {list(t.shape)}); expected rank {' or '.join(map(str, ranks))}")


def quant(op: Op, t: Tensor, what: str = "tensor") -> Quant:
    """The tensor's quantization; refuses missing quantization (e.g. float models)."""
    if t.quant is None or t.quant.scale.size == 0:
        raise unsupported(op, f"{what} {t.name!r} ({t.dtype}) has no quantization parameters; only int8-quantized models are supported")
    if not (t.quant.scale > 0).all() or not np.isfinite(t.quant.scale).all():
        raise unsupported(op, f"{what} {t.name!r} has a non-positive or non-finite scale")
    return t.quant


def per_tensor(op: Op, t: Tensor, what: str = "tensor") -> Quant:
    q = quant(op, t, what)
    if q.per_channel:
        raise unsupported(op, f"{what} {t.name!r} is quantized per channel; this operator needs per-tensor quantization")
    return q


def check_int16_activation(op: Op, t: Tensor, what: str) -> Quant:
    """An int16 activation of a 16x8 operator: per-tensor and symmetric (zero point 0, as the TFLite
    converter's 16x8 mode makes them; TFLite Micro ignores or refuses other zero points)."""
    check_dtype(op, t, "int16", what=what)
    q = per_tensor(op, t, what)
    if q.zp != 0:
        raise unsupported(op, f"{what} {t.name!r} is int16 with zero point {q.zp}; int16 activations must be "
                              "symmetric (zero point 0)")
    return q


def check_int8_activation(op: Op, t: Tensor, what: str) -> Quant:
    check_dtype(op, t, "int8", what=what)
    q = per_tensor(op, t, what)
    if not -128 <= q.zp <= 127:
        raise unsupported(op, f"{what} {t.name!r} has zero point {q.zp} outside int8 range")
    return q


def check_shape(op: Op, t: Tensor, expected: tuple[int, ...], what: str = "output") -> None:
    if tuple(t.shape) != tuple(expected):
        raise unsupported(op, f"{what} {t.name!r} has shape {list(t.shape)} but the operator produces {list(expected)}")


def elementwise_regions(op: Op, out: Region):
    """input_regions() for elementwise operators: inputs of the output's rank are read over the
    output's region, or over row/column 0 along the axes they broadcast (e.g. [1, H, 1, C]);
    inputs broadcast over both (e.g. [1, 1, 1, C]) or of rank <= 1 are read whole. Constants get a
    region too when they have rows and columns (the patch reads its slice of them)."""
    y = op.outputs[0]
    if y.rank != 4:
        return None
    a0, a1 = out.axes
    regions = []
    for t in op.inputs:
        if t is None or t.rank <= 1:
            regions.append(None)
            continue
        if t.rank != 4:
            if all(d == 1 for d in t.shape[:-1]):
                regions.append(None)  # a vector along the last axis
                continue
            return None
        b0, b1 = t.shape[a0] == 1 and y.shape[a0] != 1, t.shape[a1] == 1 and y.shape[a1] != 1
        if b0 and b1:
            regions.append(None)
        else:
            regions.append(Region(0 if b0 else out.y0, 1 if b0 else out.y1, 0 if b1 else out.x0, 1 if b1 else out.x1,
                                  out.axes))
    return regions


def elementwise_gaps(op: Op) -> list[tuple[int, int, int]]:
    """overlap_gaps() for elementwise kernels (element i written after element i is read): an
    input of the output's shape and element size may share the output's memory (gap 0)."""
    y = op.outputs[0]
    out = []
    for i, t in enumerate(op.inputs):
        if t is not None and not t.is_const and tuple(t.shape) == tuple(y.shape) and t.itemsize == y.itemsize:
            out.append((i, 0, 0))
    return out


@dataclass(frozen=True)
class ExplicitPadding:
    """Per-side padding of a window operator (rows/columns of the pad value around the input),
    e.g. a PAD folded into the operator (tinygen.passes.fold_pad). The kernels take (top, left)
    and treat everything past the input's end as padding; bottom and right fix the output size."""

    top: int
    bottom: int
    left: int
    right: int

    def out_size(self, in_hw: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                 dilation: tuple[int, int]) -> tuple[int, int]:
        eff = [Q.effective_filter_size(k, d) for k, d in zip(kernel, dilation)]
        return ((in_hw[0] + self.top + self.bottom - eff[0]) // stride[0] + 1,
                (in_hw[1] + self.left + self.right - eff[1]) // stride[1] + 1)

    def __str__(self) -> str:
        return f"explicit(top={self.top}, bottom={self.bottom}, left={self.left}, right={self.right})"


def window_out_hw(in_hw, kernel, stride, dilation, padding) -> tuple[int, int]:
    """Output height and width of a window operator with SAME/VALID or explicit padding."""
    if isinstance(padding, ExplicitPadding):
        return padding.out_size(tuple(in_hw), tuple(kernel), tuple(stride), tuple(dilation))
    return (Q.out_size(padding, in_hw[0], kernel[0], stride[0], dilation[0]),
            Q.out_size(padding, in_hw[1], kernel[1], stride[1], dilation[1]))


def window_padding(op: Op, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                   padding) -> tuple[int, int]:
    """(top, left) implicit padding rows/columns of a window operator: from SAME/VALID and the
    shapes, from an ExplicitPadding, or given as (top, left) (a patch of a larger image, see
    tinygen.patching)."""
    if isinstance(padding, ExplicitPadding):
        return (padding.top, padding.left)
    if isinstance(padding, tuple):
        return padding
    x, y = op.inputs[0], op.outputs[0]
    return (Q.padding_with_offset(stride[0], dilation[0], x.shape[1], kernel[0], y.shape[1])[0],
            Q.padding_with_offset(stride[1], dilation[1], x.shape[2], kernel[1], y.shape[2])[0])


def check_padding(op: Op, padding) -> None:
    """SAME, VALID, or a non-negative ExplicitPadding (set by the fold_pad pass)."""
    if isinstance(padding, ExplicitPadding):
        if min(padding.top, padding.bottom, padding.left, padding.right) < 0:
            raise unsupported(op, f"negative padding {padding}")
        return
    if padding not in ("SAME", "VALID"):
        raise unsupported(op, f"padding {padding}")


class WindowedOp(OpDef):
    """Sliding-window operators (convolutions, pooling): one definition of which input rows an
    output region reads (patch-based inference) and how far the output may overlap the input
    (memory planning), from the operator's window. attrs.padding is "SAME", "VALID" or an explicit
    (top, left) pair (operators of a patch, whose input is a region of the image)."""

    places_regions = True

    def local_attrs(self, op, in_regions, out_region):
        """On a patch: the explicit padding that places the input buffer's region in the image,
        pad + r_in.y0 - r_out.y0 * stride (negative when the buffer starts above the first row
        the window needs)."""
        full_pad = self.window_padding(op)  # the model operator's own padding
        r_in = in_regions[0]
        stride = op.attrs.stride
        return dataclasses.replace(op.attrs, padding=(full_pad[0] + r_in.y0 - out_region.y0 * stride[0],
                                                      full_pad[1] + r_in.x0 - out_region.x0 * stride[1]))

    def window(self, op: Op) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
        """(kernel (h, w), stride, dilation) of the operator."""
        raise NotImplementedError

    def window_padding(self, op: Op) -> tuple[int, int]:
        k, s, d = self.window(op)
        return window_padding(op, k, s, d, op.attrs.padding)

    def input_regions(self, op, out):
        k, s, d = self.window(op)
        x = op.inputs[0]
        return [window_region(out, s, self.window_padding(op), k, d, x.shape[1:3])] + [None] * (len(op.inputs) - 1)

    def overlap_gaps(self, op):
        k, s, d = self.window(op)
        x, y = op.inputs[0], op.outputs[0]
        return [(0, 0, window_gap(x.shape, y.shape, s, self.window_padding(op), k, d, x.itemsize, y.itemsize))]


class ElementwiseOp(OpDef):
    """Elementwise operators (element i of the output from element i of the inputs): they run on
    any region of same-shaped inputs (patches) and may write over an input that dies (memory)."""

    def input_regions(self, op, out):
        return elementwise_regions(op, out)

    def overlap_gaps(self, op):
        return elementwise_gaps(op)
