"""How far an operator's output may overlap its dying input (partial overlap, after vMCU).

Kernels write output pixels in raster order, all channels of a pixel together, and compute each
output value from its input window just before writing it. So when output pixel p is written,
the input still needed is everything from the lowest byte read by any pixel q >= p. With the
output placed `gap` bytes below the input (off(in) - off(out) = gap), the writes never reach
unread input if, for every p:

    (p + 1) * out_pixel_bytes <= gap + lowest_read(q >= p)

so gap = max_p((p + 1) * out_pixel_bytes - min_{q >= p} lowest_read(q)). The planner then treats
the output as only `gap` bytes long when it sits below the input (tinygen.memory.planners.Overlap).
"""

from __future__ import annotations

import numpy as np


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

