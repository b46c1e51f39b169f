"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: 4-D NHWC images resized to a constant
(height, width); the stored values are not requantized (TFLite Micro ignores the output's
quantization for both).

Both operators' coordinate arithmetic depends only on the shapes, so it runs here, at compile time,
exactly as TFLite Micro's kernels do it at run time, and reaches the C as tables:
  - nearest neighbour (resize_nearest_neighbor.h, GetNearestNeighbor): float32 arithmetic,
    floor or round; the copy is a tg_remap with one input-offset table per resized axis; float32,
    int8 and int16, like TFLite Micro;
  - bilinear (ResizeBilinearInteger, the int8 path): 1/1024 fixed point; per output row and column
    the two neighbours and the weight (tg_resize_bilinear_s8). int8 only (TFLite Micro's float
    path computes in float32, which float models are refused for anyway). Shapes for which
    TFLite Micro's lower neighbour falls past the input's last row or column (it would read
    outside the input) are refused; align_corners with half_pixel_centers is refused like TFLite
    Micro refuses it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..cstruct import Dims, cstruct
from ..geometry import Region
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import check_dtype, check_rank, check_shape, dims4
from .remap import PatchWindow, RemapOp, element_strides, gap_for_reads, spatial_region

NEAREST_DTYPES = ("float32", "int8", "int16")


@dataclass
class ResizeAttrs:
    align_corners: bool = False
    half_pixel_centers: bool = False
    #: set on the operators of a patch (tinygen.patching): where their regions lie in the image
    window: PatchWindow | None = None


def _size(op) -> tuple[int, int]:
    s = op.inputs[1]
    check_dtype(op, s, "int32", what="size")
    if s.rank != 1 or s.shape[0] != 2:
        raise unsupported(op, f"size {s.name!r} has shape {list(s.shape)}; TFLite Micro needs 2 int32 values")
    if not s.is_const:
        raise unsupported(op, f"size {s.name!r} is not constant (TFLite Micro: Non-constant >size< tensor is not supported)")
    h, w = (int(v) for v in np.asarray(s.data).reshape(-1))
    return h, w


def nearest_indices(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """GetNearestNeighbor for every output index, in float32 like TFLite Micro."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    out = []
    for v in range(out_size):
        x = (f32(v) + offset) * scale
        if align_corners:
            i = int(math.copysign(math.floor(abs(float(x)) + 0.5), float(x)))  # std::round
        else:
            i = int(math.floor(float(x)))
        i = min(i, in_size - 1)
        if half_pixel_centers:
            i = max(0, i)
        out.append(i)
    return np.array(out, dtype=np.int64)


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def bilinear_table(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool) -> np.ndarray:
    """ResizeBilinearInteger's (lower, upper, weight of upper) for every output index: a
    [out_size, 3] int32 array."""
    if align_corners and out_size > 1:
        scale = _c_div((1 << 10) * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    else:
        scale = _c_div((1 << 10) * in_size + out_size // 2, out_size)
    rows = []
    for v in range(out_size):
        scaled = v * scale + _c_div(scale, 2) - (1 << 9) if half_pixel_centers else v * scale
        lo = max(_c_div(scaled, 1 << 10), 0)
        hi = min(_c_div(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
        rows.append((lo, hi, scaled - (1 << 10) * lo))
    return np.array(rows, dtype=np.int32).reshape(out_size, 3)


def _full_in_hw(op) -> tuple[int, int]:
    w = op.attrs.window
    return w.in_hw if w is not None else (op.inputs[0].shape[1], op.inputs[0].shape[2])


def _origins(op) -> tuple[tuple[int, int], tuple[int, int]]:
    w = op.attrs.window
    return (w.out_origin, w.in_origin) if w is not None else ((0, 0), (0, 0))


class _Resize:
    """Options, checks and patch placement both resizers share. Their arithmetic is tabulated per
    output row and column in image coordinates (image_tables); an operator of a patch uses the
    rows and columns of its output region, shifted to its input buffer (attrs.window)."""

    places_regions = True

    def local_attrs(self, op, in_regions, out_region):
        r_in = in_regions[0]
        return dataclasses.replace(op.attrs, window=PatchWindow(in_hw=_full_in_hw(op),
                                                                out_origin=(out_region.y0, out_region.x0),
                                                                in_origin=(r_in.y0, r_in.x0)))

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return ResizeAttrs()
        return ResizeAttrs(align_corners=bool(opts.alignCorners), half_pixel_centers=bool(opts.halfPixelCenters))

    def write_options(self, a: ResizeAttrs):
        o = getattr(schema, f"{self.options}T")()
        o.alignCorners, o.halfPixelCenters = bool(a.align_corners), bool(a.half_pixel_centers)
        return o

    def infer(self, op):
        n, _, _, c = op.inputs[0].shape
        h, w = _size(op)
        return [(n, h, w, c)]

    def check_common(self, op, dtypes) -> None:
        if len(op.inputs) != 2 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects an input, a size and one output")
        x, y = op.inputs[0], op.outputs[0]
        check_dtype(op, x, *dtypes, what="input")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input is {x.dtype}")
        check_rank(op, x, 4, what="input")
        h, w = _size(op)
        if h < 1 or w < 1 or x.size == 0:
            raise unsupported(op, f"cannot resize {list(x.shape)} to {h}x{w}")
        check_shape(op, y, self.infer(op)[0])


@register
class ResizeNearestNeighbor(_Resize, RemapOp):
    kind = "RESIZE_NEAREST_NEIGHBOR"
    options = "ResizeNearestNeighborOptions"
    input_names = ("input", "size")

    def check(self, op):
        self.check_common(op, NEAREST_DTYPES)

    def image_tables(self, op) -> tuple[np.ndarray, np.ndarray]:
        """The input row of every output row and the input column of every output column."""
        (ih, iw), (oh, ow), a = _full_in_hw(op), _size(op), op.attrs
        return (nearest_indices(oh, ih, a.align_corners, a.half_pixel_centers),
                nearest_indices(ow, iw, a.align_corners, a.half_pixel_centers))

    def input_regions(self, op, out):
        if out.axes != (1, 2):  # NHWC rows and columns only
            return None
        return [spatial_region(*self.image_tables(op), out), None]

    def remap_axes(self, op, output):
        x, y = op.inputs[0], op.outputs[0]
        rows, cols = self.image_tables(op)
        (oy, ox), (iy, ix) = _origins(op)
        sn, sh, sw, _ = element_strides(x.shape)
        return [np.arange(x.shape[0], dtype=np.int64) * sn, (rows[oy:oy + y.shape[1]] - iy) * sh,
                (cols[ox:ox + y.shape[2]] - ix) * sw, np.arange(x.shape[3], dtype=np.int64)]


@cstruct("tg_resize_bilinear_params")
@dataclass(frozen=True, eq=False)
class ResizeBilinearParams:
    y_table: np.ndarray
    x_table: np.ndarray


@dataclass(frozen=True, eq=False)
class ResizeBilinearArgs:
    params: ResizeBilinearParams
    input_dims: Dims
    output_dims: Dims


@register
class ResizeBilinear(_Resize, OpDef):
    kind = "RESIZE_BILINEAR"
    options = "ResizeBilinearOptions"
    function = "tg_resize_bilinear_s8"
    input_names = ("input", "size")

    def image_tables(self, op) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper, weight) rows for every output row and column, in image coordinates."""
        (ih, iw), (oh, ow), a = _full_in_hw(op), _size(op), op.attrs
        return (bilinear_table(oh, ih, a.align_corners, a.half_pixel_centers),
                bilinear_table(ow, iw, a.align_corners, a.half_pixel_centers))

    def _tables(self, op) -> tuple[np.ndarray, np.ndarray]:
        """The tables of this operator's output, in its input buffer's coordinates."""
        ty, tx = self.image_tables(op)
        y = op.outputs[0]
        (oy, ox), (iy, ix) = _origins(op)
        ty, tx = ty[oy:oy + y.shape[1]].copy(), tx[ox:ox + y.shape[2]].copy()
        ty[:, :2] -= iy
        tx[:, :2] -= ix
        return ty, tx

    def input_regions(self, op, out):
        if out.axes != (1, 2):  # NHWC rows and columns only
            return None
        ty, tx = self.image_tables(op)
        r, c = ty[out.y0:out.y1], tx[out.x0:out.x1]
        return [Region(int(r[:, :2].min()), int(r[:, :2].max()) + 1, int(c[:, :2].min()), int(c[:, :2].max()) + 1),
                None]

    def check(self, op):
        self.check_common(op, ("int8",))
        a = op.attrs
        if a.align_corners and a.half_pixel_centers:
            raise unsupported(op, "align_corners with half_pixel_centers (TFLite Micro: If half_pixel_centers is "
                                  "True, align_corners must be False)")
        x = op.inputs[0]
        for axis, tab in zip(("row", "column"), self._tables(op)):
            size = x.shape[1 if axis == "row" else 2]
            if int(tab[:, 0].max()) >= size:
                raise unsupported(op, f"for this size TFLite Micro's bilinear interpolation reads input {axis} "
                                      f"{int(tab[:, 0].max())} of {size} (outside the input)")

    def prepare(self, op) -> ResizeBilinearArgs:
        ty, tx = self._tables(op)
        return ResizeBilinearArgs(params=ResizeBilinearParams(y_table=ty.reshape(-1), x_table=tx.reshape(-1)),
                                  input_dims=dims4(op.inputs[0].shape), output_dims=dims4(op.outputs[0].shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/resize_bilinear.c.j2")

    def macs(self, op):
        return 4 * op.outputs[0].size

    def overlap_gaps(self, op):
        x, y = op.inputs[0], op.outputs[0]
        if x.is_const:
            return []
        n, h, w, c = x.shape
        ty, tx = self._tables(op)
        low_y = np.minimum(ty[:, 0], ty[:, 1]).astype(np.int64)
        low_x = np.minimum(tx[:, 0], tx[:, 1]).astype(np.int64)
        # lowest input byte each output pixel reads, in the order the pixels are written
        per_image = ((low_y[:, None] * w + low_x[None, :]) * c).reshape(-1)
        reads = np.concatenate([per_image + b * h * w * c for b in range(n)])
        return [(0, 0, gap_for_reads(reads, y.shape[3]))]
