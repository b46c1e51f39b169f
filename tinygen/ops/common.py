"""Helpers shared by operator definitions."""

from __future__ import annotations

import dataclasses

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


def activation_range(activation: str, t: Tensor) -> Range:
    """The clamp range of a fused activation on the quantized output tensor t."""
    lo, hi = Q.activation_range(activation, t.quant.s, t.quant.zp)
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
    """input_regions() for elementwise operators: inputs of the output's shape are read over the
    same region; inputs broadcast over height and width (e.g. [1, 1, 1, C]) or constants are read
    whole; anything else (broadcast along H or W only) cannot be patched."""
    y = op.outputs[0]
    if y.rank != 4:
        return None
    regions = []
    for t in op.inputs:
        if t is None:
            regions.append(None)
        elif tuple(t.shape) == tuple(y.shape) and not t.is_const:
            regions.append(out)
        elif t.is_const or (t.rank == 4 and t.shape[1] == 1 and t.shape[2] == 1) or t.rank <= 1:
            regions.append(None)
        else:
            return None
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


def window_padding(op: Op, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                   padding) -> tuple[int, int]:
    """(top, left) implicit padding rows/columns of a window operator: from SAME/VALID and the
    shapes, or given explicitly ((top, left): a patch of a larger image, see tinygen.patching)."""
    if isinstance(padding, tuple):
        return padding
    x, y = op.inputs[0], op.outputs[0]
    return (Q.padding_with_offset(stride[0], dilation[0], x.shape[1], kernel[0], y.shape[1])[0],
            Q.padding_with_offset(stride[1], dilation[1], x.shape[2], kernel[1], y.shape[2])[0])


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
