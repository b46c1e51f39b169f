"""The partial-overlap gap is safe: simulating the kernels' access order (raster order, each
output value computed from its window just before it is written) with the output placed `gap`
bytes below the input never reads an input byte that an output write already overwrote."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen import quant as Q
from tinygen.geometry import window_gap


def simulate(in_shape, out_shape, stride, pad, k, dil, gap, depthwise=False):
    n, h, w, c = in_shape
    _, oh, ow, oc = out_shape
    clobbered = set()  # input byte offsets overwritten so far
    out_base = -gap    # output offset relative to the input's start
    for b in range(n):
        for oy in range(oh):
            for ox in range(ow):
                for o in range(oc):
                    chans = [o * c // oc] if depthwise else range(c)
                    for ky in range(k[0]):
                        y = oy * stride[0] - pad[0] + ky * dil[0]
                        if not 0 <= y < h:
                            continue
                        for kx in range(k[1]):
                            x = ox * stride[1] - pad[1] + kx * dil[1]
                            if not 0 <= x < w:
                                continue
                            for ch in chans:
                                byte = ((b * h + y) * w + x) * c + ch
                                if byte in clobbered:
                                    return False
                    dst = out_base + ((b * oh + oy) * ow + ox) * oc + o
                    if 0 <= dst < n * h * w * c:
                        clobbered.add(dst)
    return True


@settings(max_examples=150)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 4), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 2), st.sampled_from(["SAME", "VALID"]), st.booleans(), st.integers(1, 2))
def test_window_gap_is_safe(h, w, c, oc, k, s, d, padding, depthwise, n):
    if depthwise:
        oc = c
    eff = (k - 1) * d + 1
    if padding == "VALID" and (h < eff or w < eff):
        return
    oh, ow = Q.out_size(padding, h, k, s, d), Q.out_size(padding, w, k, s, d)
    pad = (Q.padding_with_offset(s, d, h, k, oh)[0], Q.padding_with_offset(s, d, w, k, ow)[0])
    g = window_gap((n, h, w, c), (n, oh, ow, oc), (s, s), pad, (k, k), (d, d))
    assert 0 <= g <= n * oh * ow * oc
    assert simulate((n, h, w, c), (n, oh, ow, oc), (s, s), pad, (k, k), (d, d), g, depthwise)


def test_pointwise_gap_values():
    # 1x1 convolution, same channels: one output pixel of slack
    assert window_gap((1, 4, 4, 8), (1, 4, 4, 8), (1, 1), (0, 0), (1, 1), (1, 1)) == 8
    # doubling the channels: the output needs all of its extra bytes below the input
    assert window_gap((1, 48, 48, 8), (1, 48, 48, 16), (1, 1), (0, 0), (1, 1), (1, 1)) == 16 + 2303 * 8
