"""Fast depthwise kernels (tg_depthwise_conv_fast_s8, tg_depthwise_conv_inplace_fast_s8 and their
_scalar_ twins) against the portable kernels on the host, element for element, and the
applicability predicate and lowering of tinygen.fast.depthwise."""

import numpy as np
import pytest
from hypothesis import given, settings

from tinygen.fast import depthwise as fdw
from tinygen.testing.fast_cases import dw_layers
from tinygen.testing.fast_layers import dw_fast_host, dw_portable_host

from ..conftest import SHARED_MODELS, needs_shared

MODELS = ["vww_96_int8", "kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "str_ww_ref_model"]


def _check(layer, x, variants, inplace_ref=False):
    assert fdw.dw_fast_check(layer) is None, fdw.dw_fast_check(layer)
    want = dw_portable_host(layer, x, inplace=inplace_ref)
    for v in variants:
        got = dw_fast_host(layer, x, v, guard=8)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (f"{v}: {bad.size} of {want.size} outputs differ, first at {bad[:5]}: "
                               f"{got[bad[:5]]} != {want[bad[:5]]}; layer {layer.input_shape}->{layer.output_shape} "
                               f"k{layer.filter_hw} s{layer.stride} p{layer.padding} d{layer.dilation}")


@settings(max_examples=160)
@given(dw_layers())
def test_fast_matches_portable(case):
    """Normal variant, SIMD core (host models of the DSP instructions) and scalar core."""
    layer, x = case
    _check(layer, x, ["fast", "fast_scalar"])


@settings(max_examples=120)
@given(dw_layers(inplace=True))
def test_inplace_fast_matches_portable(case):
    """In-place variant (output over the input, ring of rows), both cores, against the portable
    in-place kernel; canaries around the scratch ring and after the data."""
    layer, x = case
    _check(layer, x, ["inplace_fast", "inplace_fast_scalar"], inplace_ref=True)


@pytest.mark.parametrize("shape,k,stride,pad,dil", [
    ((1, 1, 1, 1), (3, 3), (1, 1), (1, 1), (1, 1)),       # one pixel, every tap but one is padding
    ((1, 1, 9, 5), (3, 3), (1, 1), (1, 1), (1, 1)),       # one row
    ((1, 9, 1, 6), (3, 3), (2, 2), (1, 1), (1, 1)),       # one column
    ((1, 5, 7, 3), (3, 3), (1, 1), (-1, -2), (1, 1)),     # negative padding (patch inside the image)
    ((1, 6, 6, 8), (3, 3), (1, 1), (3, 3), (1, 1)),       # windows entirely in the padding
    ((2, 5, 5, 7), (3, 3), (2, 1), (0, 1), (2, 2)),       # batches, dilation
    ((1, 30, 1, 40), (3, 1), (1, 1), (0, 0), (1, 1)),     # str_ww shapes
    ((1, 15, 1, 128), (15, 1), (1, 1), (0, 0), (1, 1)),
])
def test_edge_geometries(shape, k, stride, pad, dil):
    rng = np.random.default_rng(sum(shape))
    n, h, w, c = shape
    oh = (h + 2 * max(pad[0], 0) - dil[0] * (k[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * max(pad[1], 0) - dil[1] * (k[1] - 1) - 1) // stride[1] + 1
    oh, ow = max(oh, 1), max(ow, 1)
    layer = fdw.DwLayer(input_shape=shape, output_shape=(n, oh, ow, c), stride=stride, padding=pad, dilation=dil,
                        ch_mult=1, input_offset=128, output_offset=-5, act_min=-128, act_max=127,
                        multiplier=rng.integers(1 << 30, 1 << 31, c), shift=rng.integers(-10, 0, c),
                        weights=rng.integers(-127, 128, (1, *k, c)).astype(np.int8),
                        bias=rng.integers(-5000, 5000, c).astype(np.int32))
    x = rng.integers(-128, 128, int(np.prod(shape))).astype(np.int8)
    _check(layer, x, ["fast", "fast_scalar"])
    if oh <= h and ow <= w:
        _check(layer, x, ["inplace_fast", "inplace_fast_scalar"], inplace_ref=True)


def _base_layer(c=4, **kw):
    rng = np.random.default_rng(0)
    args = dict(input_shape=(1, 5, 5, c), output_shape=(1, 5, 5, c), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                ch_mult=1, input_offset=128, output_offset=0, act_min=-128, act_max=127,
                multiplier=np.full(c, 1 << 30), shift=np.full(c, -5),
                weights=rng.integers(-127, 128, (1, 3, 3, c)).astype(np.int8), bias=np.zeros(c, np.int32))
    args.update(kw)
    return fdw.DwLayer(**args)


@pytest.mark.parametrize("change,reason", [
    (dict(ch_mult=2, output_shape=(1, 5, 5, 8), weights=np.ones((1, 3, 3, 8), np.int8)), "multiplier"),
    (dict(shift=np.array([-5, -5, 0, -5])), "shift"),
    (dict(shift=np.array([-5, 3, -5, -5])), "shift"),
    (dict(shift=np.array([-5, -5, -32, -5])), "shift"),
    (dict(multiplier=np.array([1 << 30, 0, 1 << 30, 1 << 30])), "multiplier"),
    (dict(multiplier=np.array([1 << 29, 1 << 30, 1 << 30, 1 << 30])), "multiplier"),
    (dict(bias=np.array([(1 << 30) - 100, 0, 0, 0], np.int32)), "accumulator"),
    (dict(bias=np.array([-(1 << 30), 0, 0, 0], np.int32)), "accumulator"),
    (dict(shift=np.full(4, -31), output_offset=1), "rounding"),
    (dict(act_min=-129), "activation"),
    (dict(input_offset=-128), "zero point"),
    (dict(weights=np.ones((1, 5, 5, 4), np.int8)), "taps"),
])
def test_predicate_rejects(change, reason):
    """Layers outside the exactness conditions go to the portable kernel, with the reason."""
    why = fdw.dw_fast_check(_base_layer(**change))
    assert why is not None and reason in why, why
    with pytest.raises(ValueError):
        fdw.lower_dw_fast(_base_layer(**change))


def test_predicate_accepts_the_limits():
    """The largest accumulator the predicate allows (2^30 - 1) and the extreme shifts are exact."""
    c = 4
    w = np.full((1, 3, 3, c), 127, np.int8)
    room = (1 << 30) - 1 - 128 * 9 * 127
    for bias_sign in (1, -1):
        # input offset 0: the folded bias is the bias, and |bias| + 128 * sum|w| = 2^30 - 1
        bias = np.full(c, bias_sign * room, np.int64)
        layer = _base_layer(c, weights=w, bias=bias.astype(np.int32), input_offset=0, padding=(0, 0),
                            output_shape=(1, 3, 3, c), shift=np.array([-1, -2, -19, -20]),
                            multiplier=np.array([1 << 30, (1 << 31) - 1, 1 << 30, (1 << 31) - 1]))
        assert fdw.dw_fast_check(layer) is None
        for xv in (127, -128):
            x = np.full(5 * 5 * c, xv, np.int8)
            _check(layer, x, ["fast", "fast_scalar"])


def test_packed_layout():
    """Per group: folded bias, tap words (byte j = channel 4g + j), (M, R) pairs, shifts; the pad
    words in an array of their own."""
    c = 5
    rng = np.random.default_rng(3)
    layer = _base_layer(c, input_shape=(1, 5, 5, c), output_shape=(1, 5, 5, c), input_offset=3, output_offset=-7,
                        weights=rng.integers(-127, 128, (1, 3, 3, c)).astype(np.int8),
                        bias=np.arange(c, dtype=np.int32) * 1000, shift=-np.arange(1, c + 1),
                        multiplier=(1 << 30) + np.arange(c))
    low = fdw.lower_dw_fast(layer)
    words = low.packed.astype(np.int64) & 0xFFFFFFFF
    groups = 2
    gw = fdw.GROUP_HEADER_WORDS + 9
    assert low.packed.size == groups * gw and low.pad.size == groups
    assert ((low.pad.astype(np.int64) & 0xFFFFFFFF) == ((-3) & 0xFF) * 0x01010101).all()
    assert (words[:4] == (np.arange(4) * 1000 + 3 * layer.weights.reshape(9, c)[:, :4].astype(np.int64).sum(axis=0))
            & 0xFFFFFFFF).all()
    g1 = low.packed[gw:]
    wsum = layer.weights.reshape(9, c).astype(np.int64).sum(axis=0)
    assert g1[0] == 4000 + 3 * wsum[4] and (g1[1:4] == 0).all()
    assert (g1[4:13] & 0xFF == layer.weights.reshape(9, c)[:, 4].astype(np.int64) & 0xFF).all()
    assert g1[13] == (1 << 30) + 4 and g1[14] == (1 << 4) - 7 * (1 << 5) and g1[15] == 1 << 30
    assert g1[21] & 0xFF == 5
    assert low.params.filter.h == 3 and low.params.padding.w == 1


@needs_shared()
@pytest.mark.parametrize("model", MODELS)
def test_shared_model_layers(model):
    """Every DEPTHWISE_CONV_2D of the shared models qualifies and is exact (random inputs), in both
    placements."""
    from tinygen.frontend import load_tflite
    from tinygen.ops import get_op_def
    from tinygen.ops.depthwise_conv2d import dw_layer

    path = SHARED_MODELS / "mlperf_tiny" / f"{model}.tflite"
    if not path.exists():
        pytest.skip(f"{path} not found")
    g = load_tflite(path)
    rng = np.random.default_rng(7)
    for op in g.ops:
        if op.kind != "DEPTHWISE_CONV_2D":
            continue
        p = get_op_def(op.kind).prepare(op)
        layer = dw_layer(op, p)
        x = rng.integers(-128, 128, int(np.prod(layer.input_shape))).astype(np.int8)
        _check(layer, x, ["fast", "fast_scalar"])
        if layer.output_shape[1] <= layer.input_shape[1] and layer.output_shape[2] <= layer.input_shape[2]:
            _check(layer, x, ["inplace_fast"], inplace_ref=True)


@settings(max_examples=100)
@given(dw_layers(inplace=True, planar=True))
def test_inplace_planar_path(case):
    """3x3 in-place layers with 8+ outputs per row, or tall and narrow ones processed as columns:
    the in-place kernel's planar-line path."""
    layer, x = case
    _check(layer, x, ["inplace_fast", "inplace_fast_scalar"], inplace_ref=True)


def _overlapped(layer, x, gap, variant="fast"):
    """The fast kernel with its output `gap` bytes below its input in one buffer (the placement the
    memory planner makes for a partial overlap)."""
    from tinygen.testing.kernels import host_kernels
    from tinygen.testing.fast_layers import _cstruct

    ffi, lib = host_kernels()
    low = fdw.lower_dw_fast(layer)
    n_out = int(np.prod(layer.output_shape))
    buf = np.zeros(max(gap + x.size, n_out) + 16, np.int8)
    buf[gap:gap + x.size] = x
    inp = ffi.from_buffer("int8_t[]", buf) + gap
    out = ffi.from_buffer("int8_t[]", buf)
    st = lib.tg_depthwise_conv_fast_s8(_cstruct(ffi, "tg_dw_fast_params", low.params), inp, out)
    assert st == 0
    return buf[:n_out].copy()


@settings(max_examples=80)
@given(dw_layers(max_hw=10))
def test_fast_write_order_with_overlap(case):
    """The output placed `gap` bytes below the input (tinygen.geometry.window_gap, and that gap
    rounded up to 16 bytes as an aligned plan may place it) gives the portable kernel's result: the
    normal kernel keeps the raster write order the planner relies on."""
    from tinygen.geometry import window_gap

    layer, x = case
    want = dw_portable_host(layer, x)
    gap = window_gap(layer.input_shape, layer.output_shape, layer.stride, layer.padding, layer.filter_hw,
                     layer.dilation)
    for g in sorted({gap, (gap + 15) // 16 * 16}):
        got = _overlapped(layer, x, g)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"gap {g}: {bad.size} outputs differ, first at {bad[:5]}"


@pytest.mark.parametrize("c", [5, 6, 7, 13])
def test_fast_write_order_partial_group(c):
    """VALID windows make the gap tight (C bytes); rounded up to 16 it is no multiple of C, so the
    outputs of later pixels land on the last channels of earlier input pixels: each pixel's last
    (partial) channel group must be written before the next pixel's."""
    from tinygen.geometry import window_gap

    rng = np.random.default_rng(c)
    layer = _base_layer(c, input_shape=(1, 4, 12, c), output_shape=(1, 2, 10, c), padding=(0, 0),
                        weights=rng.integers(-127, 128, (1, 3, 3, c)).astype(np.int8),
                        bias=rng.integers(-5000, 5000, c).astype(np.int32), shift=np.full(c, -7))
    x = rng.integers(-128, 128, 4 * 12 * c).astype(np.int8)
    want = dw_portable_host(layer, x)
    gap = window_gap(layer.input_shape, layer.output_shape, layer.stride, layer.padding, layer.filter_hw,
                     layer.dilation)
    assert gap == c
    for g in range(gap, gap + 16):
        assert np.array_equal(_overlapped(layer, x, g), want), g
