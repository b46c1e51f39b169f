"""MAXIMUM, MINIMUM, PRELU, SQUARED_DIFFERENCE, RSQRT, L2_NORMALIZATION, REDUCE_MAX, SUM, ARG_MAX,
ARG_MIN and BATCH_MATMUL on the host build vs TFLite Micro: 64 random cases per operator, edge
cases with given inputs, and refusals of what TFLite Micro refuses."""

import numpy as np
import pytest
from hypothesis import given, settings

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError, UnsupportedError
from tinygen.ir import Quant
from tinygen.ops.arg_min_max import ArgAttrs
from tinygen.ops.batch_matmul import BatchMatMulAttrs
from tinygen.ops.mean import MeanAttrs
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_math import MATH_CASES, build_math_packed, distinct_cases
from tinygen.toolchain.host import build_host

PACK = 8  # random operators per model (independent subgraphs): 64 cases are 8 models, one host build


@pytest.mark.parametrize("kind", sorted(MATH_CASES))
def test_random_graphs(kind):
    """64 random operators of one kind, each checked on 3 random input sets, bit-exact with TFLM."""
    @settings(max_examples=1)
    @given(distinct_cases(MATH_CASES[kind][0], 64))
    def check(cases):
        assert_bit_exact([build_math_packed(cases[i:i + PACK]) for i in range(0, len(cases), PACK)])
    check()


def _check_with_inputs(models_and_inputs, n_random=2):
    """Bit-exactness on given inputs (plus random sets) for (model bytes, [input sets]) pairs."""
    items = [(compile_model(m, CompileOptions(name=f"m{i}")), m) for i, (m, _) in enumerate(models_and_inputs)]
    reports = check_compiled(items, n_random=n_random, extra_inputs=[sets for _, sets in models_and_inputs])
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    assert not bad, f"{len(bad)} models differ; first: model {bad[0][0]}: {bad[0][1].mismatches[:2]} {bad[0][1].first_diverging_op}"
    return items


def _float_specials(shape, rng) -> np.ndarray:
    """Normal values mixed with NaN, +-0, +-inf and the float32 extremes."""
    specials = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, np.finfo(np.float32).max, -np.finfo(np.float32).max,
                         np.finfo(np.float32).tiny, 1.0, -1.0], dtype=np.float32)
    x = rng.normal(0, 1, size=shape).astype(np.float32)
    mask = rng.random(shape) < 0.5
    x[mask] = rng.choice(specials, size=int(mask.sum()))
    return x


def test_type_independent_operators_on_special_floats():
    """NaN, signed zeros and infinities: MAXIMUM/MINIMUM keep `a > b ? a : b`, REDUCE_MAX its
    running comparison from -FLT_MAX, ARG_MAX/ARG_MIN their strict comparison (bit-for-bit)."""
    rng = np.random.default_rng(7)
    pairs = []
    for kind in ("maximum", "minimum"):
        b = GraphBuilder(kind, seed=1)
        x, y = b.input((4, 9), dtype="float32"), b.input((4, 9), dtype="float32")
        pairs.append((b.tflite([getattr(b, kind)(x, y)]),
                      [[_float_specials((4, 9), rng), _float_specials((4, 9), rng)] for _ in range(4)]))
    for axes in ([0], [1], [0, 2], [-1]):
        b = GraphBuilder("rmax", seed=2)
        x = b.input((3, 5, 4), dtype="float32")
        pairs.append((b.tflite([b.reduce_max(x, axes, keep_dims=axes == [1])]),
                      [[_float_specials((3, 5, 4), rng)] for _ in range(4)]))
    for kind in ("arg_max", "arg_min"):
        b = GraphBuilder(kind, seed=3)
        x = b.input((3, 7, 2), dtype="float32")
        pairs.append((b.tflite([getattr(b, kind)(x, 1)]), [[_float_specials((3, 7, 2), rng)] for _ in range(4)]))
    _check_with_inputs(pairs)


def test_integer_extremes_of_maximum_minimum():
    """int16, int32 and int64 at their limits, against a broadcast scalar."""
    pairs = []
    for dt in ("int16", "int32", "int64"):
        info = np.iinfo(np.dtype(dt))
        for kind in ("maximum", "minimum"):
            b = GraphBuilder(kind, seed=4)
            x, y = b.input((2, 3, 5), dtype=dt), b.input((1,), dtype=dt)
            vals = np.array([info.min, info.max, 0, -1, 1], dtype=dt)
            sets = [[np.resize(vals, (2, 3, 5)), np.array([v], dtype=dt)] for v in vals]
            pairs.append((b.tflite([getattr(b, kind)(x, y)]), sets))
    _check_with_inputs(pairs)


def test_rsqrt_every_int8_value():
    """Every int8 input (zero point -128, so all are valid) for scales from 1e-4 to 10, and outputs
    that saturate or not."""
    pairs = []
    allv = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for in_scale in (1e-4, 3e-3, 0.05, 0.7, 10.0):
        for out_q in (None, Quant(scale=[0.5 / np.sqrt(in_scale)], zero_point=[-128]),
                      Quant(scale=[0.01], zero_point=[3])):
            b = GraphBuilder("rsqrt", seed=5)
            x = b.input((1, 256), scale=in_scale, zero_point=-128)
            pairs.append((b.tflite([b.rsqrt(x, out_quant=out_q)]), [[allv]]))
    _check_with_inputs(pairs, n_random=1)


def test_rsqrt_below_the_zero_point_fails_like_tflm():
    """TFLM fails the inference on an input below the zero point; the generated code returns an
    error status from the same input (and a valid one runs)."""
    b = GraphBuilder("rsqrt_neg", seed=6)
    x = b.input((1, 4), scale=0.1, zero_point=0)
    model = b.tflite([b.rsqrt(x)])
    cm = compile_model(model, CompileOptions(name="rneg"))
    host = build_host([cm])[0]
    bad = np.array([[3, 5, -1, 7]], dtype=np.int8)
    with pytest.raises(TinygenError):
        TFLMReference(model).run([bad])
    with pytest.raises(RuntimeError, match="returned -1"):
        host.invoke([bad])
    good = np.array([[3, 5, 0, 7]], dtype=np.int8)
    assert np.array_equal(host.invoke([good])[0], TFLMReference(model).run([good])[0])


def test_l2_normalization_edges():
    """All-zero rows (the inverse square root of 0), single elements, and rows whose sum of squares
    reaches 2^29 and beyond (the normalisation loop)."""
    pairs = []
    for shape, zp in (((3, 1), 5), ((2, 9000), -128), ((1, 2, 3, 64), 0), ((4, 2), 127)):
        b = GraphBuilder("l2", seed=8)
        x = b.input(shape, scale=0.02, zero_point=zp)
        sets = [[np.full(shape, zp, dtype=np.int8)], [np.full(shape, 127, dtype=np.int8)],
                [np.full(shape, -128, dtype=np.int8)]]
        pairs.append((b.tflite([b.l2_normalization(x)]), sets))
    _check_with_inputs(pairs)


def test_squared_difference_and_prelu_extreme_scales():
    """A squared-difference output multiplier above one (positive shift), input scales 1e6 apart,
    and PRELU with negative, zero and large alphas."""
    pairs = []
    b = GraphBuilder("sqd", seed=9)
    x, y = b.input((2, 7), scale=0.3, zero_point=4), b.input((7,), scale=0.2, zero_point=-9)
    pairs.append((b.tflite([b.squared_difference(x, y, out_quant=Quant(scale=[0.001], zero_point=[-128]))]), []))
    b = GraphBuilder("sqd2", seed=10)
    x, y = b.input((3, 4), scale=1e-4, zero_point=0), b.input((3, 4), scale=100.0, zero_point=1)
    pairs.append((b.tflite([b.squared_difference(x, y)]), []))
    for lo, hi in ((-3.0, -1.0), (0.0, 0.0), (1.0, 8.0)):
        b = GraphBuilder("prelu", seed=11)
        x = b.input((2, 3, 5), scale=0.05, zero_point=-20)
        aq = Quant(scale=[max(hi - lo, 1e-3) / 255.0], zero_point=[-128 if lo >= 0 else 127 if hi <= 0 else 0])
        data = np.clip(np.round(np.linspace(lo, hi, 5) / aq.s) + aq.zp, -128, 127).astype(np.int8)
        a = b.const(data, "int8", aq)
        pairs.append((b.tflite([b.prelu(x, a)]), []))
    _check_with_inputs(pairs, n_random=4)


def test_reductions_and_matmul_shapes():
    """SUM over every axis set of a 4-D tensor with and without keep_dims, REDUCE_MAX over
    duplicate and negative axes, BATCH_MATMUL with every broadcast and transpose combination at
    rank 5."""
    models = []
    for axes in ([0], [1, 2], [0, 3], [3, 1, 0], [0, 1, 2, 3], [-1, -2]):
        for keep in (False, True):
            b = GraphBuilder("sum", seed=12)
            x = b.input((2, 3, 4, 5), scale=0.03, zero_point=11)
            models.append(b.tflite([b.reduce_sum(x, axes, keep_dims=keep), b.reduce_max(x, axes + axes[:1],
                                                                                       keep_dims=not keep)]))
    for adj_x in (False, True):
        for adj_y in (False, True):
            b = GraphBuilder("bmm", seed=13)
            x = b.input((2, 1, 3, 5, 4)[:3] + ((4, 5) if adj_x else (5, 4)), scale=0.02, zero_point=-7)
            y = b.input((1, 2, 1) + ((6, 4) if adj_y else (4, 6)), scale=0.04, zero_point=12)
            models.append(b.tflite([b.batch_matmul(x, y, adj_x=adj_x, adj_y=adj_y)]))
    assert_bit_exact(models)


# -- refusals ---------------------------------------------------------------------------------------
def _tflm_refuses(model: bytes, inputs) -> bool:
    try:
        TFLMReference(model).run(inputs)
    except (TinygenError, RuntimeError):
        return True
    return False


def _refusals():
    out = []
    b = GraphBuilder("r1", seed=0)
    x = b.input((2, 5), scale=0.05, zero_point=0)
    y = b.op("REDUCE_MAX", [x, b.const(np.array([1], np.int32), "int32")], MeanAttrs(),
             Quant(scale=[0.1], zero_point=[0]))
    out.append(("quantizations differ", b.tflite([y]), [np.zeros((2, 5), np.int8)]))
    b = GraphBuilder("r2", seed=0)
    x = b.input((2, 5), scale=0.05, zero_point=0)
    y = b.l2_normalization(x)
    b.ops[-1].attrs.activation = "RELU"
    out.append(("fused activation RELU", b.tflite([y]), [np.zeros((2, 5), np.int8)]))
    b = GraphBuilder("r3", seed=0)
    x = b.input((2, 5, 3), scale=0.05, zero_point=0)
    y = b.op("ARG_MAX", [x, b.const(np.array([1], np.int32), "int32")], ArgAttrs("int64"),
             None, out_dtype="int64")
    out.append(("int64", b.tflite([y]), [np.zeros((2, 5, 3), np.int8)]))
    return out


@pytest.mark.parametrize("i", range(3))
def test_refused_like_tflm(i):
    why, model, inputs = _refusals()[i]
    assert _tflm_refuses(model, inputs)
    with pytest.raises(UnsupportedError, match=why):
        compile_model(model)


def test_refusals_of_malformed_operands():
    """What TFLM would compute garbage for, or crash on, tinygen refuses with one clear line."""
    b = GraphBuilder("m1", seed=0)
    x, y = b.input((2, 3), scale=0.1, zero_point=0), b.input((4,), scale=0.1, zero_point=0)
    t = b.op("MAXIMUM", [x, y], None, x.quant, out_shape=(2, 3))
    with pytest.raises(UnsupportedError, match="do not broadcast"):
        compile_model(b.tflite([t]))
    b = GraphBuilder("m2", seed=0)
    x, y = b.input((3, 4), scale=0.1, zero_point=0), b.input((5, 2), scale=0.1, zero_point=0)
    t = b.op("BATCH_MATMUL", [x, y], BatchMatMulAttrs(), Quant(scale=[0.1], zero_point=[0]),
             out_shape=(3, 2))
    with pytest.raises(UnsupportedError, match="do not multiply"):
        compile_model(b.tflite([t]))
    b = GraphBuilder("m3", seed=0)
    x, y = b.input((3,), dtype="int16"), b.input((3,), dtype="int32")
    t = b.op("MINIMUM", [x, y], None, None, out_dtype="int16", out_shape=(3,))
    with pytest.raises(UnsupportedError, match="has type int32 but input 1 has int16"):
        compile_model(b.tflite([t]))


def test_abs_ratio_in_double_precision():
    """The pinned oracle divides ABS's scales in double precision (its source says float32): with
    these scales the two multipliers differ, and |-32456| lands on a rounding edge (32766 with the
    float32 ratio, 32767 with the double one)."""
    b = GraphBuilder("abs16", seed=0)
    x = b.input((1, 4), dtype="int16", scale=0.021761266514658928, zero_point=0)
    model = b.tflite([b.abs_(x, out_quant=Quant(scale=[0.02155505307018757], zero_point=[0]))])
    xs = np.array([[-32456, 32456, -1, 0]], dtype=np.int16)
    assert TFLMReference(model).run([xs])[0][0, 0] == 32767
    _check_with_inputs([(model, [[xs]])], n_random=2)


def test_patch_stages_through_the_elementwise_operators():
    """PRELU, MAXIMUM, ABS, SQUARED_DIFFERENCE and L2_NORMALIZATION declare their input regions:
    patch stages run through them, bit-exact, and lower the arena."""
    from tinygen.testing.harness import check_models

    b = GraphBuilder("patched", seed=3)
    x = b.input((1, 16, 16, 3))
    y = b.conv2d(x, 8)
    alpha = b.const(np.linspace(-100, 100, 8).astype(np.int8), "int8", Quant(scale=[0.01], zero_point=[0]))
    y = b.prelu(y, alpha)
    y = b.maximum(y, b.const_int8(np.array([[[[3]]]], np.int8), scale=y.quant.s, zero_point=y.quant.zp))
    y = b.squared_difference(b.abs_(b.conv2d(y, 8, stride=(2, 2))), b.conv2d(y, 8, stride=(2, 2)))
    y = b.conv2d(b.l2_normalization(y), 4, stride=(2, 2))
    model = b.tflite([y])
    arenas = {}
    for patches in ("off", "7:3x3", "8:2x2", "min"):
        report, = check_models([model], n_random=3, options=CompileOptions(patches=patches))
        assert report.bit_exact, (patches, report.mismatches[:1], report.first_diverging_op)
        arenas[patches] = report.arena_bytes
    assert arenas["min"] < arenas["off"]
