"""Geometry of sliding windows on NHWC tensors: spatial regions and how windows map output regions
to input regions (patch-based inference), and how far a window operator's output may overlap its
input given the raster write order of the kernels (partial overlap, after vMCU).

Partial overlap. Kernels write output pixels in raster order, all channels of a pixel together,
and compute each output value from its input window just before writing it. So when output pixel
p is written, the input still needed is everything from the lowest byte read by any pixel q >= p.
With the output placed `gap` bytes below the input (off(in) - off(out) = gap), the writes never
reach unread input if, for every p:

    (p + 1) * out_pixel_bytes <= gap + lowest_read(q >= p)

so gap = max_p((p + 1) * out_pixel_bytes - min_{q >= p} lowest_read(q)). The planner then treats
the output as only `gap` bytes long when it sits below the input (tinygen.memory.planners.Overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Region:
    """Rows [y0, y1) and columns [x0, x1) of a 4-D tensor (all of its other axes): rows and
    columns are the axes `axes` (NHWC: (1, 2); an NCHW tensor, e.g. before a model's input
    TRANSPOSE: (2, 3))."""

    y0: int
    y1: int
    x0: int
    x1: int
    axes: tuple[int, int] = (1, 2)

    @property
    def h(self) -> int:
        return max(0, self.y1 - self.y0)

    @property
    def w(self) -> int:
        return max(0, self.x1 - self.x0)

    @property
    def area(self) -> int:
        return self.h * self.w

    @property
    def empty(self) -> bool:
        return self.h == 0 or self.w == 0

    def union(self, other: "Region | None") -> "Region":
        if other is None:
            return self
        if other.axes != self.axes:
            raise ValueError(f"regions over different axes {self.axes} and {other.axes}")
        return Region(min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0), max(self.x1, other.x1),
                      self.axes)

    def contains(self, other: "Region") -> bool:
        return self.y0 <= other.y0 and other.y1 <= self.y1 and self.x0 <= other.x0 and other.x1 <= self.x1

    def clip(self, h: int, w: int) -> "Region":
        return Region(max(0, self.y0), min(h, self.y1), max(0, self.x0), min(w, self.x1), self.axes)

    def on(self, axes: tuple[int, int]) -> "Region":
        """The same rows and columns, on other axes (a transposed tensor's)."""
        return Region(self.y0, self.y1, self.x0, self.x1, tuple(axes))

    def shape_of(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of this region of a tensor of shape `shape`."""
        s = list(shape)
        s[self.axes[0]], s[self.axes[1]] = self.h, self.w
        return tuple(s)

    def extent(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(rows, columns) of the whole tensor along this region's axes."""
        return shape[self.axes[0]], shape[self.axes[1]]

    def first_offset(self, shape: tuple[int, ...]) -> int:
        """Element offset of the region's first element (row y0, column x0, every other index 0)."""
        strides = [1] * len(shape)
        for d in range(len(shape) - 2, -1, -1):
            strides[d] = strides[d + 1] * shape[d + 1]
        return self.y0 * strides[self.axes[0]] + self.x0 * strides[self.axes[1]]

    @staticmethod
    def full(shape: tuple[int, ...], axes: tuple[int, int] = (1, 2)) -> "Region":
        return Region(0, shape[axes[0]], 0, shape[axes[1]], tuple(axes))


@lru_cache(maxsize=1 << 16)
def window_rows(o0: int, o1: int, stride: int, pad: int, k: int, dilation: int, size: int) -> tuple[int, int]:
    """Input rows read by output rows [o0, o1) of a sliding window (kernel k, dilation, stride,
    `pad` implicit rows before row 0), clipped to the input [0, size): the first and last kernel
    taps that land inside the input, over every output row (with dilation, an earlier output row
    can reach further than a later one)."""
    lo, hi = None, None
    for o in range(o0, o1):
        base = o * stride - pad
        t_lo = max(0, -(base // dilation)) if base < 0 else 0  # first tap >= 0
        t_hi = min(k - 1, (size - 1 - base) // dilation) if size - 1 - base >= 0 else -1  # last tap < size
        if t_lo > t_hi:
            continue
        first, last = base + t_lo * dilation, base + t_hi * dilation
        lo = first if lo is None or first < lo else lo
        hi = last + 1 if hi is None or last + 1 > hi else hi
    if lo is None:
        return 0, 0
    return lo, hi


def window_region(out: Region, stride: tuple[int, int], pad: tuple[int, int], kernel: tuple[int, int],
                  dilation: tuple[int, int], in_hw: tuple[int, int]) -> Region:
    y0, y1 = window_rows(out.y0, out.y1, stride[0], pad[0], kernel[0], dilation[0], in_hw[0])
    x0, x1 = window_rows(out.x0, out.x1, stride[1], pad[1], kernel[1], dilation[1], in_hw[1])
    return Region(y0, y1, x0, x1)


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """[0, n) cut into `parts` contiguous ranges whose sizes differ by at most one."""
    parts = max(1, min(parts, n))
    q, r = divmod(n, parts)
    out, s = [], 0
    for i in range(parts):
        e = s + q + (1 if i < r else 0)
        out.append((s, e))
        s = e
    return out


# -- partial overlap --------------------------------------------------------------------------------
def _lowest_taps(n_out: int, stride: int, pad: int, k: int, dilation: int, size: int) -> np.ndarray:
    """For each output row, the first input row a window tap reads inside the input (size if none)."""
    o = np.arange(n_out)[:, None]
    taps = o * stride - pad + np.arange(k)[None, :] * dilation
    inside = (taps >= 0) & (taps < size)
    first = np.where(inside, taps, size).min(axis=1)
    return first


def window_gap(in_shape: tuple[int, ...], out_shape: tuple[int, ...], stride: tuple[int, int],
               pad: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
               in_itemsize: int = 1, out_itemsize: int = 1) -> int:
    """The gap for a sliding-window operator (convolution, depthwise convolution, pooling) on
    NHWC tensors."""
    n, h, w, c = in_shape
    _, oh, ow, oc = out_shape
    rows = _lowest_taps(oh, stride[0], pad[0], kernel[0], dilation[0], h)
    cols = _lowest_taps(ow, stride[1], pad[1], kernel[1], dilation[1], w)
    # lowest input byte read by each output pixel (row-major); later images come after earlier ones
    low = ((rows[:, None] * w + np.minimum(cols[None, :], w - 1)) * c * in_itemsize).reshape(-1)
    low = np.concatenate([low + b * h * w * c * in_itemsize for b in range(n)])
    # the input is needed from min over later pixels
    suffix_min = np.minimum.accumulate(low[::-1])[::-1]
    written = (np.arange(low.size, dtype=np.int64) + 1) * oc * out_itemsize
    return int(max(0, (written - suffix_min).max()))



def window_gap_steps(in_shape: tuple[int, ...], out_shape: tuple[int, ...], stride: tuple[int, int],
                     pad: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
                     in_itemsize: int = 1, out_itemsize: int = 1, step: int = 1) -> int:
    """The gap for a kernel that computes output pixels in raster order `step` at a time and reads
    (copies) every window of a step before writing any of the step's outputs (the DSP kernels with
    scratch): when a step ending at pixel e is written, only the windows of pixels >= e are still
    needed, so gap = max over steps of (e * out_pixel_bytes - min_{q >= e} lowest_read(q)) (compare
    window_gap, where a pixel's own window is still being read while it is written)."""
    n, h, w, c = in_shape
    _, oh, ow, oc = out_shape
    rows = _lowest_taps(oh, stride[0], pad[0], kernel[0], dilation[0], h)
    cols = _lowest_taps(ow, stride[1], pad[1], kernel[1], dilation[1], w)
    low = ((rows[:, None] * w + np.minimum(cols[None, :], w - 1)) * c * in_itemsize).reshape(-1)
    low = np.concatenate([low + b * h * w * c * in_itemsize for b in range(n)])
    suffix_min = np.append(np.minimum.accumulate(low[::-1])[::-1], np.iinfo(np.int64).max)
    ends = np.minimum(np.arange(step, low.size + step, step, dtype=np.int64), low.size)
    gaps = ends * oc * out_itemsize - suffix_min[ends]
    return int(max(0, gaps.max()))
