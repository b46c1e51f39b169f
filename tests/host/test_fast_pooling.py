"""Fast AVERAGE_POOL_2D and MEAN (height and width) kernels against the portable tg_avgpool_s8 /
tg_mean_s8 on the host, element for element."""

import numpy as np
import pytest
from hypothesis import given, settings

from tinygen.cstruct import HW, Range
from tinygen.fast import pooling as fpool
from tinygen.testing.fast_cases import avgpool_cases, mean_cases
from tinygen.testing.fast_layers import avgpool_host, mean_fast_host, mean_portable_host

from ..conftest import SHARED_MODELS, needs_shared


@settings(max_examples=150)
@given(avgpool_cases())
def test_avgpool_fast_matches_portable(case):
    params, ins, outs, x = case
    want = avgpool_host(params, ins, outs, x, fast=False)
    got = avgpool_host(params, ins, outs, x, fast=True)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{params} {ins}->{outs}: {bad.size} differ, first {bad[:4]}: {got[bad[:4]]} != {want[bad[:4]]}"


def test_avgpool_rounding_division_exhaustive():
    """Every window size 1..255 (1 x n windows) and every sum a window of int8 values can reach: the
    reciprocal division rounds exactly like the portable kernel's C division."""
    for n in range(1, 256):
        # one output per channel group: sums -128 n .. 127 n reached by spreading values over n pixels
        sums = np.arange(-128 * n, 127 * n + 1)
        sums = sums[:: max(1, sums.size // 2000)] if n > 16 else sums
        c = 4
        ch = (sums.size + c - 1) // c * c
        sums = np.concatenate([sums, np.zeros(ch - sums.size, np.int64)])
        base = np.floor_divide(sums, n)
        rest = sums - base * n            # 0 <= rest < n: `rest` pixels get base + 1
        img = np.where(np.arange(n)[:, None] < rest[None, :], base + 1, base).astype(np.int8)  # [n, ch]
        params = fpool.PoolParams(stride=HW(1, n), padding=HW(0, 0), filter=HW(1, n), activation=Range(-128, 127))
        x = img.reshape(1, 1, n, ch)
        want = avgpool_host(params, x.shape, (1, 1, 1, ch), x, fast=False)
        got = avgpool_host(params, x.shape, (1, 1, 1, ch), x, fast=True)
        assert np.array_equal(got, want), n


def test_avgpool_window_in_padding_is_an_error():
    params = fpool.PoolParams(stride=HW(1, 1), padding=HW(3, 0), filter=HW(2, 2), activation=Range(-128, 127))
    with pytest.raises(RuntimeError):
        avgpool_host(params, (1, 2, 2, 4), (1, 2, 2, 4), np.zeros(16, np.int8), fast=True)


@settings(max_examples=100)
@given(mean_cases())
def test_mean_hw_fast_matches_portable(case):
    p, shape, x = case
    assert fpool.mean_hw_fast_check(shape, [1, 2], p) is None
    want = mean_portable_host(p, x)
    got = mean_fast_host(fpool.lower_mean_hw_fast(p), shape, x)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{shape}: {bad.size} differ, first {bad[:4]}: {got[bad[:4]]} != {want[bad[:4]]}"


def test_mean_predicate():
    from types import SimpleNamespace

    p = SimpleNamespace(input_offset=0, output_offset=0, multiplier=1 << 30, shift=-3)
    assert fpool.mean_hw_fast_applicable((1, 4, 4, 8), [2, 1], p)
    assert "axes" in fpool.mean_hw_fast_check((1, 4, 4, 8), [1, 2, 3], p)
    assert "axes" in fpool.mean_hw_fast_check((1, 4, 4, 8), [3], p)
    assert "rank" in fpool.mean_hw_fast_check((4, 4, 8), [1, 2], p)


@needs_shared()
@pytest.mark.parametrize("model", ["vww_96_int8", "kws_ref_model", "pretrainedResnet_quant"])
def test_shared_model_pools(model):
    from tinygen.frontend import load_tflite
    from tinygen.ops import get_op_def

    path = SHARED_MODELS / "mlperf_tiny" / f"{model}.tflite"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rng = np.random.default_rng(2)
    pools = [op for op in load_tflite(path).ops if op.kind == "AVERAGE_POOL_2D"]
    assert pools
    for op in pools:
        params = get_op_def(op.kind).prepare(op).params
        assert fpool.avgpool_fast_applicable(params)
        ins, outs = op.inputs[0].shape, op.outputs[0].shape
        x = rng.integers(-128, 128, op.inputs[0].size).astype(np.int8)
        assert np.array_equal(avgpool_host(params, ins, outs, x, True), avgpool_host(params, ins, outs, x, False))


@settings(max_examples=60)
@given(avgpool_cases())
def test_avgpool_fast_write_order_with_overlap(case):
    """The output placed `gap` bytes below the input (the planner's partial overlap, exact and rounded
    up to 16 bytes) gives the portable result: raster order, all channels of a pixel together."""
    from tinygen.geometry import window_gap
    from tinygen.testing.fast_layers import _cstruct, _dims
    from tinygen.testing.kernels import host_kernels

    params, ins, outs, x = case
    want = avgpool_host(params, ins, outs, x, fast=False)
    gap = window_gap(ins, outs, (params.stride.h, params.stride.w), (params.padding.h, params.padding.w),
                     (params.filter.h, params.filter.w), (1, 1))
    ffi, lib = host_kernels()
    for g in sorted({gap, (gap + 15) // 16 * 16}):
        buf = np.zeros(max(g + x.size, want.size) + 16, np.int8)
        buf[g:g + x.size] = x
        st = lib.tg_avgpool_fast_s8(_cstruct(ffi, "tg_pool_params", params), _dims(ffi, ins),
                                    ffi.from_buffer("int8_t[]", buf) + g, _dims(ffi, outs),
                                    ffi.from_buffer("int8_t[]", buf))
        assert st == 0
        assert np.array_equal(buf[:want.size], want), g
