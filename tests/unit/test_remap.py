"""The tg_remap loop-nest planner (tinygen/ops/remap.py): the planned copy reads exactly the bytes
the per-axis offsets describe, and the overlap gap is safe for the kernel's write order."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.kernel_library import constant
from tinygen.ops.remap import block_reads, plan_remap, remap_gap, slice_axes


@st.composite
def axes(draw):
    """Per-axis element offsets of a random gather: arithmetic axes (any step, size 1 included)
    and tabulated ones, up to 8 axes (more than the kernel's loop dimensions)."""
    arrs = []
    for _ in range(draw(st.integers(0, 8))):
        n = draw(st.integers(1, 4))
        if draw(st.booleans()):
            start, step = draw(st.integers(0, 50)), draw(st.integers(-3, 12))
            start += max(0, -step * (n - 1))
            arrs.append(start + step * np.arange(n))
        else:
            arrs.append(np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))))
    return arrs


def _expected_bytes(arrs, itemsize):
    total = np.zeros(1, dtype=np.int64)
    for a in arrs:
        total = (total[:, None] + np.asarray(a, dtype=np.int64)[None, :]).reshape(-1)
    return (total[:, None] * itemsize + np.arange(itemsize)[None, :]).reshape(-1)


def _planned_bytes(p):
    reads = block_reads(p)
    return (reads[:, None] + np.arange(p.block_bytes)[None, :]).reshape(-1)


@settings(max_examples=300)
@given(axes(), st.sampled_from([1, 2, 4]))
def test_plan_reads_what_the_axes_describe(arrs, itemsize):
    p = plan_remap(arrs, itemsize)
    assert 1 <= p.rank <= constant("TG_REMAP_MAX_DIMS")
    np.testing.assert_array_equal(_planned_bytes(p), _expected_bytes(arrs, itemsize))


def test_plan_merges_slices_into_few_loops():
    # a channel slice of an NHWC image: one loop over pixels, a block of channels
    p = plan_remap(slice_axes((1, 8, 8, 16), (0, 0, 0, 4), (1, 8, 8, 8)), 1)
    assert (p.rank, p.block_bytes, p.shape[0], p.step[0], p.base) == (1, 8, 64, 16, 4)
    # rows 2..7 of an image: one contiguous block
    p = plan_remap(slice_axes((1, 8, 8, 16), (0, 2, 0, 0), (1, 6, 8, 16)), 2)
    assert (p.rank, p.block_bytes, p.base) == (1, 6 * 8 * 16 * 2, 2 * 8 * 16 * 2)
    # every other column, reversed: one affine loop with a negative step, no table
    p = plan_remap(slice_axes((1, 4, 9, 3), (0, 0, 8, 0), (1, 4, 5, 3), (1, 1, -2, 1)), 1)
    assert p.offsets is None and p.rank == 2 and p.step[1] == -6


def _simulate(p, in_bytes, gap):
    """The kernel's copy with the output placed `gap` bytes below the input in one buffer."""
    n_out = int(np.prod(p.shape[:p.rank])) * p.block_bytes
    base = max(gap, 0)
    mem = np.zeros(base + max(in_bytes.size, n_out + gap) + 16, dtype=np.int16)
    mem[base:base + in_bytes.size] = in_bytes
    out0 = base - gap
    for i, r in enumerate(block_reads(p)):
        blk = mem[base + r: base + r + p.block_bytes].copy()
        mem[out0 + i * p.block_bytes: out0 + (i + 1) * p.block_bytes] = blk
    return mem[out0:out0 + n_out]


@settings(max_examples=300)
@given(axes(), st.sampled_from([1, 2, 4]))
def test_gap_is_safe_for_the_write_order(arrs, itemsize):
    p = plan_remap(arrs, itemsize)
    gap = remap_gap(p)
    in_size = int(max(block_reads(p).max() + p.block_bytes, 1))
    data = np.arange(in_size, dtype=np.int16) + 1
    want = data[_planned_bytes(p)]
    np.testing.assert_array_equal(_simulate(p, data, gap), want)
