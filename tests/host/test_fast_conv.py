"""Fast CONV_2D / FULLY_CONNECTED kernels (tg_conv_dsp_s8, tg_conv_scalar_s8,
tg_fully_connected_dsp_s8, tg_fully_connected_scalar_s8) against the portable kernels on the host,
element for element (the portable kernels are bit-exact with TFLite Micro). The DSP kernels run
here through the plain-C instruction models of tg_simd.h; tests/target runs them natively."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygen import quant as Q
from tinygen.cstruct import render_initializer, struct_fields
from tinygen.fast.conv import (ConvFastParams, ConvLayer, FcFastParams, FcLayer, conv_dsp_unsupported,
                               conv_scalar_unsupported, fc_dsp_unsupported, fc_scalar_unsupported, lower_conv_dsp,
                               pack_conv_dsp_weights, row_words)
from tinygen.testing.fast_kernels import (SCRATCH_TIERS, conv_fast_host, conv_layers, conv_portable_host, fc_fast_host, fc_layers,
                                          fc_portable_host)
from tinygen.testing.kernels import host_kernels


def _check_conv(layer, x):
    ref = conv_portable_host(layer, x)
    assert conv_scalar_unsupported(layer) is None
    variants = [("dsp", "full"), ("dsp", "mid"), ("dsp", "min"), ("scalar", "none")]
    if conv_dsp_unsupported(layer, scratch=False) is None:
        variants.append(("dsp", "none"))
    for variant, scratch in variants:
        out = conv_fast_host(layer, x, variant, scratch)
        bad = np.flatnonzero(out != ref)
        assert bad.size == 0, (f"{variant} scratch={scratch}: {bad.size} of {ref.size} outputs differ, first at "
                               f"{bad[0]}: {out[bad[0]]} vs {ref[bad[0]]}")


@settings(max_examples=160)
@given(conv_layers(st))
def test_conv_fast_matches_portable(case):
    layer, x = case
    assume(conv_dsp_unsupported(layer) is None)
    _check_conv(layer, x)


@settings(max_examples=120)
@given(fc_layers(st))
def test_fc_fast_matches_portable(case):
    layer, x = case
    assume(fc_dsp_unsupported(layer) is None)
    assert fc_scalar_unsupported(layer) is None
    ref = fc_portable_host(layer, x)
    for variant in ("dsp", "scalar"):
        out = fc_fast_host(layer, x, variant)
        assert np.array_equal(out, ref), f"{variant}: {np.flatnonzero(out != ref).size} outputs differ"


def _layer(**kw):
    rng = np.random.default_rng(kw.pop("seed", 0))
    cin, cout = kw.pop("cin", 8), kw.pop("cout", 6)
    k = kw.pop("k", (3, 3))
    base = dict(input_dims=(1, 6, 7, cin), output_dims=(1, 6, 7, cout),
                filter=rng.integers(-127, 128, (cout, k[0], k[1], cin)).astype(np.int8),
                bias=rng.integers(-1000, 1000, cout).astype(np.int32), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                input_offset=128, output_offset=-128, multiplier=np.full(cout, 1 << 30, np.int32),
                shift=np.full(cout, -8, np.int32))
    base.update(kw)
    return ConvLayer(**base)


def test_predicate_rejects_inexact_cases():
    """Everything the fast requantization cannot do exactly goes back to the portable kernel."""
    assert conv_dsp_unsupported(_layer()) is None
    assert "shift" in conv_dsp_unsupported(_layer(shift=np.full(6, 0, np.int32)))      # no right shift
    assert "shift" in conv_dsp_unsupported(_layer(shift=np.full(6, 2, np.int32)))      # left shift
    big = np.full(6, (1 << 30) - 1000, np.int32)
    assert "2^30" in conv_dsp_unsupported(_layer(bias=big))                             # accumulator bound
    assert "rounding" in conv_dsp_unsupported(_layer(shift=np.full(6, -26, np.int32)))  # zp * 2^n overflows
    assert "group" in conv_dsp_unsupported(_layer(filter=np.ones((6, 3, 3, 4), np.int8)))
    assert "multiple of 4" in conv_dsp_unsupported(_layer(cin=6), scratch=False)
    assert conv_dsp_unsupported(_layer(cin=6)) is None
    # a dead channel (all-zero weights) takes any multiplier/shift/bias: its output is a constant
    f = _layer().filter.copy()
    f[2] = 0
    shift = np.full(6, -8, np.int32)
    shift[2] = 0
    bias = _layer().bias.copy()
    bias[2] = 1 << 30
    assert conv_dsp_unsupported(_layer(filter=f, shift=shift, bias=bias)) is None
    # the bound is exact at its limit: |w| sum * 255 + |bias| < 2^30
    w = np.full((1, 1, 1, 4), 127, np.int8)
    room = (1 << 30) - 1 - 4 * 127 * 255
    ok = _layer(cin=4, cout=1, k=(1, 1), filter=w, bias=np.array([room], np.int32), padding=(0, 0),
                input_offset=128, multiplier=np.array([1 << 30], np.int32), shift=np.array([-8], np.int32))
    assert Q.INT8_MIN <= 0 and conv_dsp_unsupported(ok) is None
    over = _layer(cin=4, cout=1, k=(1, 1), filter=w, bias=np.array([room + 1], np.int32), padding=(0, 0),
                  input_offset=128, multiplier=np.array([1 << 30], np.int32), shift=np.array([-8], np.int32))
    assert "2^30" in conv_dsp_unsupported(over)


def test_largest_accumulators_exact():
    """Accumulators at the fast path's limit (|acc| = 2^30 - 1) and every sign: inputs all -128 or
    all 127 against weights all +-127."""
    for sign in (1, -1):
        w = np.full((2, 1, 1, 8), 127 * sign, np.int8)
        room = (1 << 30) - 1 - 8 * 127 * 255
        for bias_sign in (1, -1):
            layer = _layer(cin=8, cout=2, k=(1, 1), filter=w, padding=(0, 0), input_offset=128,
                           bias=np.full(2, bias_sign * room, np.int32), multiplier=np.array([2**31 - 1, 1 << 30], np.int32),
                           shift=np.array([-1, -20], np.int32), input_dims=(1, 2, 3, 8), output_dims=(1, 2, 3, 2))
            assert conv_dsp_unsupported(layer) is None
            for xv in (-128, 127):
                x = np.full(48, xv, np.int8)
                _check_conv(layer, x)


def test_weight_packing_layouts():
    w = np.arange(2 * 5, dtype=np.int8).reshape(2, 5)
    words = pack_conv_dsp_weights(w).view(np.int8)
    # K = 5 -> 8: group 0 of row 0, group 0 of row 1, group 1 of row 0 (4, 0, 0, 0), group 1 of row 1
    assert words.tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 4, 0, 0, 0, 9, 0, 0, 0]
    odd = pack_conv_dsp_weights(np.ones((3, 4), np.int8)).view(np.int8)
    assert odd.size == 4 * 8 and odd[-8:].tolist() == [0] * 8  # K -> 8, and the dummy fourth row


def test_row_words_constant_and_folding():
    w = np.array([[1, -2, 3], [0, 0, 0]], np.int8)
    words, why = row_words(w, np.array([10, -(1 << 30)], np.int32), input_offset=5, output_offset=-3,
                           multiplier=np.array([1 << 30, 0]), shift=np.array([-2, 0]), act_min=-128, act_max=127)
    assert why is None
    # (bias, M, round): round = (2 zp + 1) 2^(n-1) with n = 2 (one trailing zero bit: n - 1)
    assert words[0].tolist() == [10 + 5 * 2, 1 << 30, 2 + (-3) * 4]
    assert words[1].tolist() == [0, 0, 2 * (-3) + 1]  # requantize(-2^30, 0, 0) = 0, + zp; n = 1
    from tinygen.fast.conv import channel_words

    pairs, _ = channel_words(w, np.array([10, -(1 << 30)], np.int32), 5, -3, np.array([1 << 30, 0]),
                             np.array([-2, 0]), -128, 127)
    assert pairs.tolist() == [20, 0, 1 << 30, -10, 0, -5]  # [b0 b1 M0 R0 M1 R1]


def test_params_mirror_the_c_structs():
    """The dataclasses mirror tg_conv_fast_params / tg_fc_fast_params field for field."""
    ffi, _ = host_kernels()
    for cls, ctype in ((ConvFastParams, "tg_conv_fast_params"), (FcFastParams, "tg_fc_fast_params")):
        c_fields = [name for name, _ in ffi.typeof(ctype).fields]
        assert [name for name, _ in struct_fields(cls)] == c_fields
    init = render_initializer(lower_conv_dsp(_layer()).params)
    assert init.startswith("{ .filter = { .h = 3, .w = 3 }, .stride = ")


def test_buffer_sizes():
    ffi, lib = host_kernels()

    def size(layer):
        low = lower_conv_dsp(layer)
        dims = lambda d: dict(zip("nhwc", d))  # noqa: E731
        p = ffi.new("tg_conv_fast_params *", {"filter": {"h": low.params.filter.h, "w": low.params.filter.w},
                                               "stride": {"h": layer.stride[0], "w": layer.stride[1]},
                                               "padding": {"h": layer.padding[0], "w": layer.padding[1]},
                                               "dilation": {"h": 1, "w": 1}, "input_dims": dims(layer.input_dims),
                                               "output_dims": dims(layer.output_dims)})
        return (lib.tg_conv_dsp_s8_get_buffer_size(p), lib.tg_conv_dsp_s8_get_mid_buffer_size(p),
                lib.tg_conv_dsp_s8_get_min_buffer_size(p))

    # 1x1, stride 1, no padding, full width, C_in % 8 == 0: both pixels widened (4 * C_in), one
    # widened and one interleaved (3 * C_in), or pixel p only (2 * C_in), pixel p + 1 read in place
    assert size(_layer(k=(1, 1), padding=(0, 0), cin=8)) == (32, 24, 16)
    # C_in % 4 == 0, windows gathered: runs copied straight into place; 2 words: + a gather slot
    assert size(_layer(k=(1, 1), padding=(0, 0), cin=12)) == (4 * 16, 3 * 16, 3 * 16)
    assert size(_layer(cin=16)) == (4 * 144, 3 * 144, 3 * 144)
    # C_in % 4 != 0: + a gather slot (K8 = 3 * 3 * 3 -> 32)
    assert size(_layer(cin=3)) == (5 * 32, 4 * 32, 3 * 32)
    assert lib.tg_conv_scalar_s8_get_buffer_size(ffi.NULL) == 0
    assert lib.tg_fully_connected_dsp_s8_get_buffer_size(ffi.NULL) == 0


def test_single_mode_needs_depth_multiple_of_4():
    """Without scratch and with C_in % 4 != 0 the DSP kernel refuses (TG_ERR_BUFFER)."""
    ffi, lib = host_kernels()
    layer = _layer(cin=6)
    low = lower_conv_dsp(layer)
    from tinygen.testing.fast_kernels import _struct
    from tinygen.testing.kernels import ptr

    x = np.zeros(6 * 7 * 6, np.int8)
    y = np.zeros(6 * 7 * 6, np.int8)
    st_ = lib.tg_conv_dsp_s8(ffi.NULL, _struct(ffi, "tg_conv_fast_params", low.params), ptr(ffi, x), ptr(ffi, y))
    assert st_ == lib.TG_ERR_BUFFER


def test_write_order_with_overlap():
    """The output placed as far into the input as the memory planner's partial-overlap rule allows
    (tinygen.geometry.window_gap, which assumes the tg_nn.h write order): every mode of the
    fast kernels still computes the portable result. 1x1 layers (pixel p + 1 read in place in the
    min tier), 3x3 with padding and strided windows."""
    from tinygen.geometry import window_gap
    from tinygen.testing.fast_kernels import _struct

    ffi, lib = host_kernels()
    cases = [dict(k=(1, 1), padding=(0, 0), cin=8, cout=8), dict(k=(1, 1), padding=(0, 0), cin=8, cout=16),
             dict(k=(1, 1), padding=(0, 0), cin=16, cout=8), dict(k=(1, 1), padding=(0, 0), cin=12, cout=12),
             dict(k=(3, 3), padding=(1, 1), cin=8, cout=8), dict(k=(3, 3), padding=(1, 1), cin=4, cout=12),
             dict(k=(3, 3), padding=(0, 0), cin=8, cout=16, stride=(2, 2)),
             dict(k=(3, 3), padding=(1, 1), cin=3, cout=8)]
    for i, kw in enumerate(cases):
        stride = kw.get("stride", (1, 1))
        h, w = 5, 7
        oh = (h + 2 * kw["padding"][0] - kw["k"][0]) // stride[0] + 1
        ow = (w + 2 * kw["padding"][1] - kw["k"][1]) // stride[1] + 1
        layer = _layer(input_dims=(1, h, w, kw["cin"]), output_dims=(1, oh, ow, kw["cout"]), seed=i, **kw)
        x = np.random.default_rng(i).integers(-128, 128, h * w * kw["cin"]).astype(np.int8)
        ref = conv_portable_host(layer, x)
        gap = window_gap(layer.input_dims, layer.output_dims, stride, layer.padding, kw["k"], (1, 1))
        tiers = ["full", "mid", "min"] + (["none"] if kw["cin"] % 4 == 0 else [])
        for scratch in tiers:
            arena = np.zeros(gap + x.size + ref.size + 16, np.int8)
            arena[gap:gap + x.size] = x  # output at 0, input gap bytes above it
            low = lower_conv_dsp(layer)
            p = _struct(ffi, "tg_conv_fast_params", low.params)
            ctx = ffi.new("tg_context *")
            keep = None
            if scratch != "none":
                n = getattr(lib, SCRATCH_TIERS[scratch])(p)
                keep = np.zeros(n // 4 + 1, np.int32)
                ctx.buf, ctx.size = ffi.from_buffer(keep), n
            base = ffi.from_buffer("int8_t[]", arena)
            st_ = lib.tg_conv_dsp_s8(ctx, p, base + gap, base)
            assert st_ == 0
            assert np.array_equal(arena[:ref.size], ref), (kw, scratch, gap)


SHARED_MODELS = ["vww_96_int8", "kws_ref_model", "pretrainedResnet_quant", "ad01_int8", "str_ww_ref_model"]


@pytest.mark.parametrize("name", SHARED_MODELS)
def test_shared_model_layers(name):
    """Every CONV_2D / FULLY_CONNECTED layer of the shared models (real weights and quantization):
    the fast kernels apply, and match the portable kernels on a random input in every mode."""
    from tests.conftest import SHARED_MODELS as MODELS_DIR
    from tinygen.testing.fast_kernels import model_layers

    path = MODELS_DIR / "mlperf_tiny" / f"{name}.tflite"
    if not path.exists():
        pytest.skip(f"shared model not found at {path} (set TINYGEN_SHARED to the folder holding models/)")
    rng = np.random.default_rng(3)
    for i, op, layer in model_layers(path):
        if isinstance(layer, ConvLayer):
            assert conv_dsp_unsupported(layer) is None, (i, conv_dsp_unsupported(layer))
            _check_conv(layer, rng.integers(-128, 128, int(np.prod(layer.input_dims))).astype(np.int8))
        else:
            assert fc_dsp_unsupported(layer) is None, (i, fc_dsp_unsupported(layer))
            x = rng.integers(-128, 128, layer.batches * layer.weights.shape[1]).astype(np.int8)
            ref = fc_portable_host(layer, x)
            for variant in ("dsp", "scalar"):
                assert np.array_equal(fc_fast_host(layer, x, variant), ref), (i, variant)
