"""Spatial regions of NHWC tensors and how windows map output regions to input regions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Region:
    """Rows [y0, y1) and columns [x0, x1) of an NHWC tensor (all batches and channels)."""

    y0: int
    y1: int
    x0: int
    x1: int

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
        return Region(min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0), max(self.x1, other.x1))

    def contains(self, other: "Region") -> bool:
        return self.y0 <= other.y0 and other.y1 <= self.y1 and self.x0 <= other.x0 and other.x1 <= self.x1

    def clip(self, h: int, w: int) -> "Region":
        return Region(max(0, self.y0), min(h, self.y1), max(0, self.x0), min(w, self.x1))

    @staticmethod
    def full(shape: tuple[int, ...]) -> "Region":
        return Region(0, shape[1], 0, shape[2])


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
