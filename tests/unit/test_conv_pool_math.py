"""Pure-Python parts of the MEAN, PAD, pooling and fully-connected lowering."""

import itertools

import numpy as np
import pytest

from tinygen import quant as Q
from tinygen.kernel_library import constant
from tinygen.ops.mean import loop_nest, mean_multiplier, resolve_axes


def _walk(nest, base=0):
    """The element offsets a tg_loop_nest visits, in order (what tg_mean_s8 does in C)."""
    if not nest.size:
        return [base]
    out = []
    for idx in itertools.product(*[range(s) for s in nest.size]):
        out.append(base + sum(i * st for i, st in zip(idx, nest.stride)))
    return out


@pytest.mark.parametrize("shape,axes", [
    ((1, 5, 5, 8), [1, 2]), ((2, 3, 4, 5), [0, 2]), ((2, 3, 4, 5), [3, 1]), ((3, 1, 4, 1, 2), [1, 3]),
    ((6,), [0]), ((4, 7), [1]), ((2, 3, 4), [0, 1, 2]), ((2, 3, 4, 5), [3]), ((1, 1, 1, 1), [1, 2]),
])
def test_loop_nests_enumerate_the_reduction(shape, axes):
    x = np.arange(int(np.prod(shape))).reshape(shape)
    kept = [i for i in range(len(shape)) if i not in axes]
    outer, inner = loop_nest(shape, kept), loop_nest(shape, sorted(axes))
    assert outer.count <= constant("TG_LOOP_NEST_MAX_DIMS") and inner.count <= constant("TG_LOOP_NEST_MAX_DIMS")
    flat = x.reshape(-1)
    sums = [int(flat[_walk(inner, b)].sum()) for b in _walk(outer)]
    assert sums == x.sum(axis=tuple(axes)).reshape(-1).tolist()


def test_loop_nest_merges_contiguous_dimensions():
    assert loop_nest((1, 5, 5, 8), [1, 2]).size == (25,)
    assert loop_nest((1, 5, 5, 8), [1, 2]).stride == (8,)
    assert loop_nest((1, 5, 5, 8), [0, 3]).size == (8,)
    assert loop_nest((2, 3, 4, 5), [0, 2]).size == (2, 4)


def test_resolve_axes():
    assert resolve_axes([-1, 3, 1, -3], 4) == [3, 1]
    assert resolve_axes([4], 4) is None
    assert resolve_axes([-5], 4) is None


def test_mean_multiplier_folds_the_count():
    m, s = Q.quantize_multiplier(float(np.float32(0.8)))
    # a power of two only moves the exponent
    assert mean_multiplier(0.8, 1.0, 16) == (m, s - 4)
    # the division is an integer one on the shifted multiplier
    mm, ss = mean_multiplier(0.8, 1.0, 25)
    assert ss == s - 4 and mm == (m << 4) // 25
    # the count shift never takes the exponent below -31
    m2, s2 = Q.quantize_multiplier(2.0 ** -25)
    mm, ss = mean_multiplier(2.0 ** -25, 1.0, 1 << 20)
    assert ss == -31 and mm == (m2 << (31 + s2)) // (1 << 20)
