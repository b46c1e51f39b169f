"""Patch geometry invariants: the patches partition the stage output exactly, and each patch's
region of every earlier tensor is exactly the receptive field clipped to the image."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.frontend import parse_tflite
from tinygen.ops import get_op_def
from tinygen.ops.common import window_padding
from tinygen.geometry import Region, split, window_rows
from tinygen.patching.stage import NotPatchable, make_stage, stage_candidates
from tinygen.testing import GraphBuilder


@given(st.integers(1, 60), st.integers(1, 10))
def test_split_partitions(n, parts):
    r = split(n, parts)
    assert r[0][0] == 0 and r[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(r, r[1:]))
    sizes = [e - s for s, e in r]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


@given(st.integers(1, 12), st.integers(1, 4), st.integers(0, 4), st.integers(1, 6), st.integers(1, 3),
       st.integers(1, 30), st.data())
def test_window_rows_is_exact_receptive_field(out_n, stride, pad, k, dil, size, data):
    o0 = data.draw(st.integers(0, out_n - 1))
    o1 = data.draw(st.integers(o0 + 1, out_n))
    rows = {o * stride - pad + t * dil for o in range(o0, o1) for t in range(k)}
    rows = [r for r in rows if 0 <= r < size]
    lo, hi = window_rows(o0, o1, stride, pad, k, dil, size)
    if not rows:
        assert (lo, hi) == (0, 0)
    else:
        assert (lo, hi) == (min(rows), max(rows) + 1)


def _cnn(seed, residual=True):
    b = GraphBuilder("cnn", seed=seed)
    x = b.input((1, 17, 13, 3))
    y = b.conv2d(x, 8, kernel=(3, 3), stride=(2, 2), activation="RELU6")
    z = b.depthwise_conv2d(y, kernel=(5, 5), dilation=(2, 1), activation="RELU")
    z = b.conv2d(z, 8, kernel=(1, 1))
    if residual:
        z = b.add(y, z)
    p = b.max_pool2d(z, filter=(3, 3), stride=(2, 2), padding="SAME") if hasattr(b, "max_pool2d") else z
    q = b.conv2d(p, 4, kernel=(3, 3))
    return b.build([q])


def _read_sets(op, out_region):
    """Brute force: the input pixels each output pixel of the region reads (conv-like ops)."""
    x = op.inputs[0]
    a = op.attrs
    k = op.inputs[1].shape[1:3] if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D") else a.filter
    dil = getattr(a, "dilation", (1, 1))
    pad = window_padding(op, k, a.stride, dil, a.padding)
    ys, xs = set(), set()
    for oy in range(out_region.y0, out_region.y1):
        for ty in range(k[0]):
            yy = oy * a.stride[0] - pad[0] + ty * dil[0]
            if 0 <= yy < x.shape[1]:
                ys.add(yy)
    for ox in range(out_region.x0, out_region.x1):
        for tx in range(k[1]):
            xx = ox * a.stride[1] - pad[1] + tx * dil[1]
            if 0 <= xx < x.shape[2]:
                xs.add(xx)
    return ys, xs


@pytest.mark.parametrize("grid", [(1, 1), (2, 2), (3, 2), (4, 4), (7, 1)])
def test_patches_write_every_output_element_exactly_once(grid):
    g = _cnn(1)
    k = max(stage_candidates(g))
    st_ = make_stage(g, k, grid)
    out = st_.output
    count = np.zeros(out.shape[1:3], dtype=int)
    for p in st_.patches:
        r = p.regions[id(out)]
        count[r.y0:r.y1, r.x0:r.x1] += 1
    assert (count == 1).all()


@pytest.mark.parametrize("grid", [(2, 2), (3, 3), (5, 2)])
def test_regions_are_exact_receptive_fields(grid):
    g = _cnn(2)
    k = max(stage_candidates(g))
    st_ = make_stage(g, k, grid)
    consumers = {}
    for op in st_.ops:
        for t in op.inputs:
            if t is not None and not t.is_const:
                consumers.setdefault(id(t), []).append(op)
    for p in st_.patches:
        for t in list(st_.local) + list(st_.external):
            ys, xs = set(), set()
            for op in consumers.get(id(t), []):
                r_out = p.regions[id(op.outputs[0])]
                if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D"):
                    a, b = _read_sets(op, r_out)
                else:  # elementwise
                    a, b = set(range(r_out.y0, r_out.y1)), set(range(r_out.x0, r_out.x1))
                ys |= a
                xs |= b
            r = p.regions[id(t)]
            assert (r.y0, r.y1, r.x0, r.x1) == (min(ys), max(ys) + 1, min(xs), max(xs) + 1), t.name


def test_stage_stops_where_a_tensor_escapes():
    b = GraphBuilder("esc", seed=3)
    x = b.input((1, 8, 8, 2))
    y = b.conv2d(x, 4)
    z = b.conv2d(y, 4)
    w = b.add(y, z)  # y is used after op 1, so a stage [0:2] would drop it
    g = b.build([w])
    assert 2 not in stage_candidates(g)
    with pytest.raises(NotPatchable):
        make_stage(g, 2, (2, 2))
    assert 3 in stage_candidates(g)
