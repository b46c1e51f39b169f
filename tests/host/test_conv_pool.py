"""DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE/MAX_POOL_2D, MEAN, PAD, PADV2 on the host build
vs TFLite Micro: random graphs, targeted edge cases, refusals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.check import check_compiled
from tinygen.compiler import compile_graph, compile_model
from tinygen.errors import UnsupportedError
from tinygen.frontend import parse_tflite
from tinygen.ir import Quant
from tinygen.memory import MemoryProblem, memory_options, plan_memory
from tinygen.ops import op_def
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.testing.builder import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_conv_pool import build_combined
from tinygen.testing.strategies import CASES, build

from ..conftest import needs_shared

BATCH = 16      # random cases per hypothesis example
PER_MODEL = 16  # cases per generated model (independent branches: one C file for several cases)


def _random(kind, examples=4):
    @settings(max_examples=examples)
    @given(st.lists(CASES[kind][0], min_size=BATCH, max_size=BATCH))
    def run(cases):
        assert_bit_exact([build_combined(cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)])
    return run


test_depthwise_random_graphs = _random("DEPTHWISE_CONV_2D", 5)
test_fully_connected_random_graphs = _random("FULLY_CONNECTED")
test_avgpool_random_graphs = _random("AVERAGE_POOL_2D")
test_maxpool_random_graphs = _random("MAX_POOL_2D")
test_mean_random_graphs = _random("MEAN")
test_pad_random_graphs = _random("PAD")
test_padv2_random_graphs = _random("PADV2")

KINDS = ["DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "PAD", "PADV2"]


@settings(max_examples=2)
@given(st.tuples(*[CASES[k][0] for k in KINDS]))
def test_single_case_models(cases):
    """The harness path: one case, one model (build() of each registered kind)."""
    assert_bit_exact([build(c) for c in cases])


# -- targeted cases ------------------------------------------------------------------------------
def test_depthwise_saturation_and_extreme_scales():
    models = []
    for seed, out_scale in enumerate([1e-4, 5e-3, 30.0]):
        for act in ("NONE", "RELU6"):
            b = GraphBuilder("dw_sat", seed=seed)
            x = b.input((1, 7, 9, 5))
            y = b.depthwise_conv2d(x, 2, kernel=(3, 3), stride=(2, 1), activation=act,
                                   out_quant=Quant(scale=[out_scale], zero_point=[-5]))
            models.append(b.tflite([y]))
    assert_bit_exact(models)


def test_depthwise_in_real_model_shapes():
    """Shapes of MobileNet/DS-CNN layers: 3x3 stride 1 and 2, many channels, and a chain."""
    models = []
    for seed, (shape, stride, pad) in enumerate([((1, 25, 5, 64), (1, 1), "SAME"), ((1, 24, 24, 32), (2, 2), "SAME"),
                                                 ((1, 6, 6, 128), (1, 1), "VALID"), ((1, 3, 3, 256), (2, 2), "SAME")]):
        b = GraphBuilder("dw_real", seed=seed)
        x = b.input(shape)
        y = b.depthwise_conv2d(x, 1, kernel=(3, 3), stride=stride, padding=pad, activation="RELU")
        y = b.depthwise_conv2d(y, 1, kernel=(3, 3), activation="RELU6", per_channel=False)
        models.append(b.tflite([y]))
    assert_bit_exact(models)


def _dw_inplace_model(seed, shape, stride, pad, kernel=(3, 3), dilation=(1, 1)):
    b = GraphBuilder("dw_inplace", seed=seed)
    x = b.input(shape)
    y = b.depthwise_conv2d(x, 1, kernel=kernel, stride=stride, dilation=dilation, padding=pad, activation="RELU6")
    return b.tflite([y])


def _force_inplace(cm, op):
    """Give `op` the in-place depthwise kernel and plan the model's memory again."""
    op.kernel = op_def(op).inplace_kernel(op)
    cm.plan = plan_memory(MemoryProblem.of_graph(cm.graph), memory_options(cm.options))
    cm._files = None


def test_depthwise_inplace_kernel_bit_exact():
    """tg_depthwise_conv_inplace_s8: the output is written over the input (batches too). The op
    gets the in-place kernel; the memory plan then puts the output at the input's offset."""
    items = []
    cases = [((1, 9, 11, 6), (1, 1), "SAME", (3, 3), (1, 1)), ((2, 8, 7, 5), (2, 2), "SAME", (3, 3), (1, 1)),
             ((1, 10, 10, 3), (1, 2), "VALID", (3, 2), (1, 1)), ((2, 12, 9, 4), (2, 1), "VALID", (3, 3), (2, 2)),
             ((1, 5, 5, 16), (1, 1), "SAME", (5, 5), (1, 1))]
    for i, (shape, stride, pad, kernel, dil) in enumerate(cases):
        data = _dw_inplace_model(i, shape, stride, pad, kernel, dil)
        g = parse_tflite(data)
        (op,) = g.ops
        cm = compile_graph(g, CompileOptions(name=f"inplace{i}", inplace=False))
        _force_inplace(cm, op)
        assert op.kernel.inplace and cm.plan.scratch(op) is not None
        assert cm.plan.tensor_offset(op.inputs[0]) == cm.plan.tensor_offset(op.outputs[0])
        assert "tg_depthwise_conv_inplace_s8" in cm.files[f"inplace{i}.c"]
        items.append((cm, data))
    reports = check_compiled(items, n_random=4)
    assert all(r.bit_exact for r in reports), [r.mismatches for r in reports]


def test_memory_opt_picks_the_inplace_variant_and_the_output_shares_the_input_buffer():
    """Without partial overlap, the memory_opt pass chooses the in-place depthwise kernel; the
    memory plan then aliases output and input, and the generated code calls that kernel."""
    data = _dw_inplace_model(0, (1, 6, 6, 4), (1, 1), "SAME")
    cm = compile_model(parse_tflite(data), CompileOptions(name="inplace_note", overlap=False))
    op = cm.graph.ops[0]
    assert op.kernel.variant == "inplace" and cm.variants.inplace_positions(cm.graph.ops) == [0]
    assert cm.plan.tensor_offset(op.inputs[0]) == cm.plan.tensor_offset(op.outputs[0])
    assert "tg_depthwise_conv_inplace_s8" in cm.files["inplace_note.c"]
    (rep,) = check_compiled([(cm, data)], n_random=3)
    assert rep.bit_exact


def test_fully_connected_real_model_shapes():
    models = []
    for seed, (shape, units, pc) in enumerate([((1, 640), 128, False), ((1, 128), 8, True), ((1, 1024), 12, True),
                                               ((4, 256), 64, False), ((1, 1), 16, False), ((1, 16), 1, True)]):
        b = GraphBuilder("fc_real", seed=seed)
        x = b.input(shape)
        y = b.fully_connected(x, units, activation="RELU" if seed % 2 else "NONE", per_channel=pc)
        models.append(b.tflite([y]))
    assert_bit_exact(models)


def _requantize_np(x: np.ndarray, mult: int, shift: int) -> np.ndarray:
    """TFLM's double-rounding MultiplyByQuantizedMultiplier, vectorized (int64, no overflow for
    |x| < 2**31 >> max(shift, 0))."""
    x = x.astype(np.int64) << max(shift, 0)
    ab = x * np.int64(mult)
    v = ab + np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    hi = np.sign(v) * (np.abs(v) >> 31)
    right = max(-shift, 0)
    mask = np.int64((1 << right) - 1)
    threshold = (mask >> 1) + (hi < 0)
    return (hi >> right) + ((hi & mask) > threshold)


def test_requantize_np_matches_reference():
    from tinygen import quant as Q

    rng = np.random.default_rng(1)
    for _ in range(20):
        m, s = int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-12, 2))
        xs = rng.integers(-(1 << 24), 1 << 24, size=200)
        assert _requantize_np(xs, m, s).tolist() == [Q.multiply_by_quantized_multiplier(int(v), m, s) for v in xs]


@pytest.mark.parametrize("per_channel", [False, True])
def test_fully_connected_multiplier_is_double_product(per_channel):
    """The requantization multiplier is input_scale x weight_scale / output_scale in double. (For
    per-tensor FULLY_CONNECTED the TFLM source multiplies the two scales in float32 first, but
    the pip oracle widens them first.) Scale triples where a float32 product gives another Q31
    multiplier, and biases (zero weights: output = requantized bias) where the two multipliers
    give different outputs: only the double product is bit-exact there."""
    from tinygen import quant as Q
    from tinygen.ops.depthwise_conv2d import DepthwiseConv2DAttrs
    from tinygen.ops.fully_connected import FullyConnectedAttrs

    # (input, weights, output) float32 scales found by a search over random triples
    triples = [(0.0072196004912257195, 0.022200247272849083, 0.09390980750322342),
               (0.010264425538480282, 0.0021528596989810467, 0.02187512256205082),
               (0.0024621488992124796, 0.00963343121111393, 0.020839951932430267),
               (0.001004371210001409, 0.003992911893874407, 0.005246520973742008)]
    models = []
    for si, sw, so in triples:
        si, sw, so = np.float32(si), np.float32(sw), np.float32(so)
        m_f, s_f = Q.quantize_multiplier(float(si * sw) / float(so))
        m_d, s_d = Q.quantize_multiplier(float(si) * float(sw) / float(so))
        assert (m_f, s_f) != (m_d, s_d) and s_f == s_d
        zp = 3
        span = int(130 * float(so) / (float(si) * float(sw)))
        acc = np.arange(-span, span, dtype=np.int64)
        yf, yd = _requantize_np(acc, m_f, s_f) + zp, _requantize_np(acc, m_d, s_d) + zp
        hits = acc[(yf != yd) & (yf >= -128) & (yf <= 127)]
        assert hits.size >= 3
        biases = hits[:16].astype(np.int32)
        b = GraphBuilder("fc_fd", seed=len(models))
        x = b.input((1, 8), scale=float(si))
        n = biases.size if per_channel else 1
        w = b.const(np.zeros((biases.size, 8), np.int8), "int8", Quant(scale=[float(sw)] * n, zero_point=[0] * n))
        bias = b.const(biases, "int32", Quant(scale=[float(si * sw)] * n, zero_point=[0] * n))
        y = b.op("FULLY_CONNECTED", [x, w, bias], FullyConnectedAttrs(), Quant(scale=[float(so)], zero_point=[zp]))
        models.append(b.tflite([y]))
        # the same for a 1x1 depthwise convolution (PopulateConvolutionQuantizationParams)
        b = GraphBuilder("dw_fd", seed=len(models))
        x = b.input((1, 2, 2, biases.size), scale=float(si))
        w = b.const(np.zeros((1, 1, 1, biases.size), np.int8), "int8",
                    Quant(scale=[float(sw)] * n, zero_point=[0] * n, axis=3 if per_channel else 0))
        bias = b.const(biases, "int32", Quant(scale=[float(si * sw)] * n, zero_point=[0] * n))
        y = b.op("DEPTHWISE_CONV_2D", [x, w, bias], DepthwiseConv2DAttrs(), Quant(scale=[float(so)], zero_point=[zp]))
        models.append(b.tflite([y]))
    assert_bit_exact(models, n_random=1)


def test_fully_connected_nonzero_weight_zero_point_per_tensor():
    b = GraphBuilder("fc_wzp", seed=3)
    x = b.input((2, 30))
    from tinygen.ops.fully_connected import FullyConnectedAttrs
    w = b.const(b.rng.integers(-100, 100, size=(7, 30)).astype(np.int8), "int8", Quant(scale=[0.01], zero_point=[5]))
    bias = b.bias(7, x.quant.s, np.float32([0.01]))
    y = b.op("FULLY_CONNECTED", [x, w, bias], FullyConnectedAttrs(activation="RELU"), Quant(scale=[0.5], zero_point=[-10]))
    assert_bit_exact([b.tflite([y])])


def test_pooling_real_model_shapes_and_global_pool():
    models = []
    for seed, (kind, shape, f, s, pad) in enumerate([
            ("AVERAGE_POOL_2D", (1, 25, 5, 64), (25, 5), (2, 2), "VALID"),   # DS-CNN global pool
            ("AVERAGE_POOL_2D", (1, 3, 3, 256), (3, 3), (1, 1), "VALID"),
            ("AVERAGE_POOL_2D", (1, 7, 7, 8), (3, 3), (2, 2), "SAME"),
            ("MAX_POOL_2D", (1, 16, 16, 8), (2, 2), (2, 2), "VALID"),
            ("MAX_POOL_2D", (2, 7, 5, 3), (3, 3), (2, 2), "SAME")]):
        b = GraphBuilder("pool_real", seed=seed)
        x = b.input(shape)
        fn = b.avg_pool2d if kind == "AVERAGE_POOL_2D" else b.max_pool2d
        models.append(b.tflite([fn(x, filter=f, stride=s, padding=pad)]))
    assert_bit_exact(models, n_random=5)


def test_mean_spatial_extremes():
    """Large reductions (count shift capped by the multiplier exponent), output scale much smaller
    than the input's (positive exponent), identical quantizations."""
    models = []
    specs = [((1, 32, 32, 4), [1, 2], True, None, False), ((1, 48, 40, 2), [1, 2], False, None, True),
             ((1, 5, 5, 8), [1, 2], True, Quant(scale=[1e-4], zero_point=[0]), False),
             ((1, 5, 5, 8), [2, 1], False, Quant(scale=[50.0], zero_point=[7]), False),
             ((2, 3, 4, 5), [0, 1, 2, 3], False, None, False), ((2, 3, 4, 5), [3, -1, 3], True, None, False),
             ((3, 4, 5, 6), [0, 2], False, None, False), ((3, 4, 5, 6), [1, 3, -1], True, None, True)]
    for seed, (shape, axes, keep, q, same) in enumerate(specs):
        b = GraphBuilder("mean_x", seed=seed)
        x = b.input(shape)
        models.append(b.tflite([b.mean(x, axes, keep_dims=keep, out_quant=q, same_quant=same)]))
    assert_bit_exact(models, n_random=5)


def test_pad_rank5_and_chain():
    b = GraphBuilder("pad5", seed=1)
    x = b.input((2, 3, 2, 4, 3))
    y = b.pad(x, [[1, 0], [0, 2], [1, 1], [0, 0], [2, 1]], constant=-7)
    b2 = GraphBuilder("padchain", seed=2)
    x2 = b2.input((1, 5, 5, 3))
    p = b2.pad(x2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    y2 = b2.depthwise_conv2d(p, 1, padding="VALID")
    assert_bit_exact([b.tflite([y]), b2.tflite([y2])])


def test_macs():
    from tinygen.ops import get_op_def

    b = GraphBuilder("macs", seed=0)
    x = b.input((1, 8, 8, 4))
    y = b.depthwise_conv2d(x, 2, kernel=(3, 3), stride=(2, 2))
    z = b.fully_connected(y, 10)
    g = b.build([z])
    dw, fc = g.ops
    assert get_op_def("DEPTHWISE_CONV_2D").macs(dw) == 4 * 4 * 8 * 9
    assert get_op_def("FULLY_CONNECTED").macs(fc) == 16 * 10 * 8


# -- refusals (TFLM refuses or cannot express these; so do we) ------------------------------------
def _refused(model: bytes, match: str):
    with pytest.raises(UnsupportedError, match=match):
        compile_model(model)


def test_refusals():
    from tinygen.ops.depthwise_conv2d import DepthwiseConv2DAttrs
    from tinygen.ops.fully_connected import FullyConnectedAttrs

    # pooling with different input/output quantization (TFLM's Prepare fails too)
    b = GraphBuilder("r1", seed=0)
    x = b.input((1, 4, 4, 2))
    from tinygen.ops.pooling import Pool2DAttrs
    y = b.op("AVERAGE_POOL_2D", [x], Pool2DAttrs(filter=(2, 2), stride=(2, 2), padding="VALID"), b.quant(0.5, 1))
    data = b.tflite([y])
    _refused(data, "quantizations differ")
    with pytest.raises(Exception):
        TFLMReference(data).run([np.zeros((1, 4, 4, 2), np.int8)])

    # depth multiplier inconsistent with the filter
    b = GraphBuilder("r2", seed=0)
    x = b.input((1, 4, 4, 2))
    w = b.weights((1, 3, 3, 4), True, axis=3)
    y = b.op("DEPTHWISE_CONV_2D", [x, w, None], DepthwiseConv2DAttrs(depth_multiplier=1), b.quant(0.5, 0),
             out_shape=(1, 4, 4, 4))
    _refused(b.tflite([y]), "depth_multiplier")

    # per-channel FC weights quantized along the input axis
    b = GraphBuilder("r3", seed=0)
    x = b.input((1, 6))
    w = b.weights((3, 6), True, axis=1)
    y = b.op("FULLY_CONNECTED", [x, w, None], FullyConnectedAttrs(), b.quant(0.5, 0))
    _refused(b.tflite([y]), "along axis")

    # per-tensor FC whose bias scale is far from input x weights scale (TFLM's Prepare fails)
    b = GraphBuilder("r4", seed=0)
    x = b.input((1, 6), scale=0.1)
    w = b.weights((3, 6), False)
    bias = b.const(np.arange(3, dtype=np.int32), "int32", Quant(scale=[1.0], zero_point=[0]))
    y = b.op("FULLY_CONNECTED", [x, w, bias], FullyConnectedAttrs(), b.quant(0.05, 0))
    data = b.tflite([y])
    _refused(data, "bias")
    with pytest.raises(Exception):
        TFLMReference(data).run([np.zeros((1, 6), np.int8)])

    # MEAN with an axis out of range
    b = GraphBuilder("r5", seed=0)
    x = b.input((1, 4, 4, 2))
    from tinygen.ops.mean import MeanAttrs
    ax = b.const(np.array([1, 4], dtype=np.int32), "int32")
    y = b.op("MEAN", [x, ax], MeanAttrs(keep_dims=True), b.quant(0.1, 0), out_shape=(1, 1, 4, 2))
    _refused(b.tflite([y]), "out of range")

    # negative paddings
    b = GraphBuilder("r6", seed=0)
    x = b.input((1, 4, 4, 2))
    p = b.const(np.array([[0, 0], [-1, 0], [0, 0], [0, 0]], dtype=np.int32), "int32")
    from tinygen.ops.base import NoAttrs
    y = b.op("PAD", [x, p], NoAttrs(), x.quant, out_shape=(1, 3, 4, 2))
    _refused(b.tflite([y]), "negative")


# -- real models ---------------------------------------------------------------------------------
@needs_shared()
@pytest.mark.parametrize("path", ["mlperf_tiny/ad01_int8.tflite", "tflm/hello_world_int8.tflite"])
def test_fc_only_real_models(shared_models_dir, path):
    from tinygen.check import check_model

    rep = check_model(shared_models_dir / path, n_random=3)
    assert rep.bit_exact, rep


# -- sub-region execution (C driver) ---------------------------------------------------------------
_SUBREGION_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tg_nn.h"

static uint32_t seed = 12345u;
static int8_t rnd8(void) { seed = seed * 1664525u + 1013904223u; return (int8_t)(seed >> 24); }
static int32_t rnd(int32_t lo, int32_t hi) { seed = seed * 1664525u + 1013904223u; return lo + (int32_t)((seed >> 8) % (uint32_t)(hi - lo + 1)); }

static int out_size(int same, int in, int k, int s, int d)
{
    int eff = (k - 1) * d + 1;
    return same ? (in + s - 1) / s : (in + s - eff) / s;
}

static int pad_before(int in, int k, int s, int d, int out)
{
    int total = (out - 1) * s + (k - 1) * d + 1 - in;
    return total > 0 ? total / 2 : 0;
}

/* kind 0: depthwise, 1: average pool, 2: max pool. Runs the whole image, then every ph x pw
 * patch of the output from a copy of just the input it needs; returns the number of mismatches. */
static int check(int kind, int n, int h, int w, int c, int mult, int kh, int kw, int sh, int sw,
                 int dh, int dw, int same, int ph, int pw)
{
    const int oc = kind == 0 ? c * mult : c;
    const int oh = out_size(same, h, kh, sh, dh), ow = out_size(same, w, kw, sw, dw);
    const int pt = pad_before(h, kh, sh, dh, oh), pl = pad_before(w, kw, sw, dw, ow);
    int8_t *in = malloc((size_t)(n * h * w * c)), *full = malloc((size_t)(n * oh * ow * oc));
    int8_t *patch_in = malloc((size_t)(n * h * w * c)), *patch_out = malloc((size_t)(n * oh * ow * oc));
    int8_t *filt = malloc((size_t)(kh * kw * oc));
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)oc), *m = malloc(sizeof(int32_t) * (size_t)oc);
    int32_t *sft = malloc(sizeof(int32_t) * (size_t)oc);
    tg_dw_conv_params dp; tg_pool_params pp; tg_pc_quant q; tg_dims id, fd, od;
    int i, bad = 0, r0, c0;
    for (i = 0; i < n * h * w * c; ++i) in[i] = rnd8();
    for (i = 0; i < kh * kw * oc; ++i) filt[i] = rnd8();
    for (i = 0; i < oc; ++i) { bias[i] = rnd(-3000, 3000); m[i] = rnd(1 << 30, 0x7fffffff); sft[i] = rnd(-10, -6); }
    q.multiplier = m; q.shift = sft;
    dp.input_offset = rnd(-127, 128); dp.output_offset = rnd(-20, 20); dp.ch_mult = mult;
    dp.stride.h = sh; dp.stride.w = sw; dp.dilation.h = dh; dp.dilation.w = dw;
    dp.activation.min = -128; dp.activation.max = 127;
    pp.stride.h = sh; pp.stride.w = sw; pp.filter.h = kh; pp.filter.w = kw;
    pp.activation.min = -100; pp.activation.max = 120;
    fd.n = 1; fd.h = kh; fd.w = kw; fd.c = oc;
    id.n = n; id.h = h; id.w = w; id.c = c; od.n = n; od.h = oh; od.w = ow; od.c = oc;
    dp.padding.h = pp.padding.h = pt; dp.padding.w = pp.padding.w = pl;
    if ((kind == 0 ? tg_depthwise_conv_s8(NULL, &dp, &q, &id, in, &fd, filt, bias, &od, full)
                   : kind == 1 ? tg_avgpool_s8(&pp, &id, in, &od, full) : tg_maxpool_s8(&pp, &id, in, &od, full)) != TG_OK) {
        return 1000;
    }
    for (r0 = 0; r0 < oh; r0 += ph) {
        for (c0 = 0; c0 < ow; c0 += pw) {
            const int r1 = r0 + ph < oh ? r0 + ph : oh, c1 = c0 + pw < ow ? c0 + pw : ow;
            const int y0 = r0 * sh - pt, y1 = (r1 - 1) * sh - pt + (kh - 1) * dh;
            const int x0 = c0 * sw - pl, x1 = (c1 - 1) * sw - pl + (kw - 1) * dw;
            const int ys = y0 > 0 ? y0 : 0, ye = y1 < h - 1 ? y1 : h - 1;
            const int xs = x0 > 0 ? x0 : 0, xe = x1 < w - 1 ? x1 : w - 1;
            int b, y, x, k;
            tg_dims pid, pod;
            pid.n = n; pid.h = ye - ys + 1; pid.w = xe - xs + 1; pid.c = c;
            pod.n = n; pod.h = r1 - r0; pod.w = c1 - c0; pod.c = oc;
            for (b = 0; b < n; ++b)
                for (y = ys; y <= ye; ++y)
                    memcpy(patch_in + ((b * pid.h + (y - ys)) * pid.w) * c, in + ((b * h + y) * w + xs) * c, (size_t)(pid.w * c));
            dp.padding.h = pp.padding.h = ys - y0; dp.padding.w = pp.padding.w = xs - x0;
            if ((kind == 0 ? tg_depthwise_conv_s8(NULL, &dp, &q, &pid, patch_in, &fd, filt, bias, &pod, patch_out)
                           : kind == 1 ? tg_avgpool_s8(&pp, &pid, patch_in, &pod, patch_out)
                                       : tg_maxpool_s8(&pp, &pid, patch_in, &pod, patch_out)) != TG_OK) {
                return 1000;
            }
            for (b = 0; b < n; ++b)
                for (y = r0; y < r1; ++y)
                    for (x = c0; x < c1; ++x)
                        for (k = 0; k < oc; ++k)
                            bad += full[((b * oh + y) * ow + x) * oc + k] != patch_out[((b * pod.h + y - r0) * pod.w + x - c0) * oc + k];
        }
    }
    free(in); free(full); free(patch_in); free(patch_out); free(filt); free(bias); free(m); free(sft);
    return bad;
}

int main(void)
{
    int t, bad = 0;
    for (t = 0; t < 300; ++t) {
        const int kind = t % 3;
        const int kh = rnd(1, 5), kw = rnd(1, 5), dh = kind == 0 ? rnd(1, 2) : 1, dw = kind == 0 ? rnd(1, 2) : 1;
        const int same = rnd(0, 1);
        const int h = rnd(same ? 1 : (kh - 1) * dh + 1, 14), w = rnd(same ? 1 : (kw - 1) * dw + 1, 14);
        const int r = check(kind, rnd(1, 2), h, w, rnd(1, 5), kind == 0 ? rnd(1, 3) : 1, kh, kw, rnd(1, 3), rnd(1, 3),
                            dh, dw, same, rnd(1, 4), rnd(1, 5));
        if (r) { printf("case %d (kind %d): %d mismatches\n", t, kind, r); bad += 1; }
    }
    printf("%d bad cases\n", bad);
    return bad != 0;
}
"""


def test_kernels_run_on_sub_regions(tmp_path):
    """tg_depthwise_conv_s8 / tg_avgpool_s8 / tg_maxpool_s8 on output patches, each from a copy of
    only the input it needs (padding = rows/columns before it, past its end = padding), give the
    same bytes as the whole-image run."""
    import subprocess

    from tinygen.paths import KERNELS_INCLUDE
    from tinygen.toolchain.host import HOST_CC, build_kernel_library

    lib = build_kernel_library()
    src = tmp_path / "subregion.c"
    src.write_text(_SUBREGION_DRIVER)
    exe = tmp_path / "subregion"
    subprocess.run([HOST_CC, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(KERNELS_INCLUDE),
                    str(src), str(lib), "-o", str(exe)], check=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:]
    assert "0 bad cases" in r.stdout
