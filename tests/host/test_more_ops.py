"""Issue 10's later group on the host build vs TFLite Micro: LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT,
CAST, ELU, LOG_SOFTMAX, DIV, REDUCE_ALL, BROADCAST_ARGS, DYNAMIC_UPDATE_SLICE and the float32-only
NEG, SQUARE, SQRT, FLOOR, CEIL, ROUND, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D: 64 random cases per
operator, edge cases with given inputs (every int8 value or pair, special float32 values), error
paths, patch stages, and refusals of what TFLite Micro refuses."""

import numpy as np
import pytest
from hypothesis import Phase, given, settings

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError, UnsupportedError
from tinygen.ir import Quant
from tinygen.ops.cast import CastAttrs
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_math import distinct_cases
from tinygen.testing.ops_more import (
    FLOAT_UNARY,
    MORE_CASES,
    build_float_specials,
    build_more_packed,
)
from tinygen.toolchain.host import build_host

#: one example of 64 packed cases: shrinking such a list to a minimal failure takes many minutes
#: (the failure report names the diverging model and operator instead)
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
PACK = 16  # random operators per model (independent subgraphs): 64 cases are 4 models, one host build
#: the packed cases are independent subgraphs: the memory-optimal order of 16 parallel branches
#: costs more to search than the whole check
FILE_ORDER = CompileOptions(schedule="file")


@pytest.mark.parametrize("kind", sorted(MORE_CASES))
def test_random_graphs(kind):
    """64 random operators of one kind, each checked on 3 random input sets, bit-exact with TFLM."""
    @settings(max_examples=1, phases=NO_SHRINK)
    @given(distinct_cases(MORE_CASES[kind][0], 64))
    def check(cases):
        assert_bit_exact([build_more_packed(cases[i:i + PACK]) for i in range(0, len(cases), PACK)], options=FILE_ORDER)
    check()


def _check_with_inputs(models_and_inputs, n_random=2):
    """Bit-exactness on given inputs (plus random sets) for (model bytes, [input sets]) pairs."""
    items = [(compile_model(m, CompileOptions(name=f"m{i}")), m) for i, (m, _) in enumerate(models_and_inputs)]
    reports = check_compiled(items, n_random=n_random, extra_inputs=[sets for _, sets in models_and_inputs])
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    assert not bad, f"{len(bad)} models differ; first: model {bad[0][0]}: {bad[0][1].mismatches[:2]} {bad[0][1].first_diverging_op}"
    return items


def test_cast_float_edges():
    """float32 -> int8/int16/int32 at and beyond the int32 range, NaN, infinities, halves, -0:
    the x86-64 results TFLite Micro gives (INT32_MIN and its low bits), on every target."""
    specials = np.array([np.nan, np.inf, -np.inf, 2147483648.0, -2147483648.0, 2147483520.0, -2147483904.0,
                         3e9, -3e9, 1e20, -1e20, 300.7, -300.7, 128.0, -129.0, 65535.9, -32769.5, 2.5, -2.5,
                         0.5, -0.5, -0.0, 1.0, -1.0], dtype=np.float32)
    pairs = []
    for dst in ("int8", "int16", "int32", "float32", "bool"):
        b = GraphBuilder("castf", seed=1)
        x = b.input((specials.size,), dtype="float32")
        pairs.append((b.tflite([b.cast(x, dst)]), [[specials]]))
    for src in ("int16", "int32"):
        info = np.iinfo(np.dtype(src))
        vals = np.array([info.min, info.max, 0, -1, 1, 127, 128, -129, 255, 16777217, -16777217][:11 if src == "int32" else 9],
                        dtype=src)
        for dst in ("int8", "int16", "float32", "bool"):
            b = GraphBuilder("casti", seed=2)
            x = b.input((vals.size,), dtype=src)
            pairs.append((b.tflite([b.cast(x, dst)]), [[vals]]))
    _check_with_inputs(pairs, n_random=1)


def _tflm_refuses(model: bytes, inputs) -> bool:
    try:
        TFLMReference(model).run(inputs)
    except (TinygenError, RuntimeError):
        return True
    return False


def test_refused_like_tflm():
    """int64 CAST (TFLite Micro's Eval fails it) and an 8-D logical broadcast (TFLite Micro's result
    is wrong): tinygen refuses them in one line."""
    b = GraphBuilder("r1", seed=0)
    x = b.input((2, 3), dtype="int32")
    model = b.tflite([b.op("CAST", [x], CastAttrs(), None, out_dtype="int64")])
    assert _tflm_refuses(model, [np.zeros((2, 3), np.int32)])
    with pytest.raises(UnsupportedError, match="output .* has type int64"):
        compile_model(model)
    b = GraphBuilder("r2", seed=0)
    x, y = b.input((2, 1, 1, 1, 1, 1, 1, 3), dtype="bool"), b.input((1, 2, 1, 1, 1, 1, 1, 1), dtype="bool")
    model = b.tflite([b.logical("LOGICAL_OR", x, y)])
    a, c = np.ones((2, 1, 1, 1, 1, 1, 1, 3), bool), np.zeros((1, 2, 1, 1, 1, 1, 1, 1), bool)
    assert not np.array_equal(TFLMReference(model).run([a, c])[0], a | c)
    with pytest.raises(UnsupportedError, match="at most 7 dimensions"):
        compile_model(model)


def test_elu_every_int8_value():
    """Every int8 input for input scales from 1e-3 to 2 and outputs that saturate or not: the
    float32 table (expf, round, the int cast) matches TFLM entry for entry."""
    pairs = []
    allv = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for in_scale, zp in ((1e-3, 0), (0.02, 100), (0.1, -128), (0.5, 127), (2.0, -7)):
        for out_q in (None, Quant(scale=[1e-4], zero_point=[-128]), Quant(scale=[in_scale], zero_point=[zp]),
                      Quant(scale=[3.0], zero_point=[127])):
            b = GraphBuilder("elu", seed=5)
            x = b.input((1, 256), scale=in_scale, zero_point=zp)
            pairs.append((b.tflite([b.elu(x, out_quant=out_q)]), [[allv]]))
    _check_with_inputs(pairs, n_random=1)


def test_log_softmax_edges():
    """Rows of one repeated value, of the two extremes, and ramps, for input scales from 1e-3 to 40
    (the input multiplier capped at 2^31 - 1), depths 1 to 1000."""
    pairs = []
    for scale in (1e-3, 0.05, 0.5, 8.0, 40.0):
        for depth in (1, 7, 1000):
            b = GraphBuilder("lsm", seed=6)
            x = b.input((2, depth), scale=scale, zero_point=3)
            ramp = np.resize(np.arange(-128, 128, dtype=np.int8), (2, depth))
            sets = [[np.full((2, depth), 5, np.int8)], [np.where(np.arange(2 * depth).reshape(2, depth) % 3, -128, 127)
                                                         .astype(np.int8)], [ramp], [ramp[:, ::-1].copy()]]
            pairs.append((b.tflite([b.log_softmax(x)]), sets))
    _check_with_inputs(pairs, n_random=2)


def test_div_every_int8_pair():
    """Every (dividend, divisor) pair of int8 values, divisors equal to their zero point included
    (TFLite Micro divides through unchecked), for output multipliers from about 2^-14 to 2^9 (the
    requantizing shift beyond 31 bits), with each fused activation."""
    pairs = []
    a = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    d = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for s1, s2, so, act in ((0.02, 0.03, 0.05, "NONE"), (0.5, 0.001, 2.0, "RELU"), (0.001, 0.5, 3.0, "NONE"),
                            (0.1, 0.1, 1e-3, "RELU6"), (0.05, 0.01, 0.2, "RELU_N1_TO_1"), (0.3, 0.002, 0.01, "NONE")):
        b = GraphBuilder("div8", seed=7)
        x, y = b.input((256, 1), scale=s1, zero_point=-5), b.input((1, 256), scale=s2, zero_point=17)
        pairs.append((b.tflite([b.div(x, y, activation=act, out_quant=Quant(scale=[so], zero_point=[-3]))]), [[a, d]]))
    _check_with_inputs(pairs, n_random=1)


def test_div_float_and_int32_edges():
    """float32 division by +-0, of infinities and NaN (NONE clamps infinities to +-FLT_MAX as TFLite
    Micro does), and int32 truncation toward zero with every sign."""
    pairs = []
    sp = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45, 7.5, -2.5], dtype=np.float32)
    for act in ("NONE", "RELU", "RELU_N1_TO_1"):
        b = GraphBuilder("divf", seed=8)
        x, y = b.input((12, 1), dtype="float32"), b.input((1, 12), dtype="float32")
        pairs.append((b.tflite([b.div(x, y, activation=act)]), [[sp.reshape(12, 1), sp.reshape(1, 12)]]))
    iv = np.array([7, -7, 2147483647, -2147483648, 0, 1, -1, 13], dtype=np.int32)
    div = np.array([2, -2, 3, -3, 1, 2147483647, -2147483648, 7], dtype=np.int32)
    for act in ("NONE", "RELU6"):
        b = GraphBuilder("divi", seed=9)
        x, y = b.input((8, 1), dtype="int32"), b.input((1, 8), dtype="int32")
        pairs.append((b.tflite([b.div(x, y, activation=act)]), [[iv.reshape(8, 1), div.reshape(1, 8)]]))
    _check_with_inputs(pairs, n_random=0)


def test_float_unary_special_values():
    """NaN, +-0, infinities, halves (ROUND's ties to even, negative ones too), values at 2^23 and
    beyond, the float32 extremes and subnormals through NEG, SQUARE, SQRT, FLOOR, CEIL and ROUND."""
    sp = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.4999998, 8388607.5,
                   8388608.0, 8388609.0, -8388607.5, 3.4028235e38, -3.4028235e38, 1e-45, -1e-45, 1.17549435e-38,
                   2.0, 7.0, -0.49999997], dtype=np.float32)
    pairs = []
    for kind in FLOAT_UNARY:
        b = GraphBuilder("fu", seed=10)
        x = b.input((sp.size,), dtype="float32")
        pairs.append((b.tflite([b.float_unary(kind, x)]), [[sp]]))
    _check_with_inputs(pairs, n_random=1)


def test_float_specials_through_every_float_operator():
    """The model the M4 test also runs: special float32 values through every float32 operator."""
    assert_bit_exact([build_float_specials()], n_random=1)


def test_negative_zero_constants_keep_their_sign():
    """Regression: a -0.0 in a float32 constant (or a kernel parameter) was written as 0.0f, so
    x / -0.0 and NEG(-0.0) differed from TFLite Micro (found by the float specials model)."""
    from tinygen.codegen.cformat import c_float
    from tinygen.cstruct import _scalar

    assert c_float(-0.0) == "-0.0f" and c_float(0.0) == "0.0f"
    assert _scalar(np.float32(-0.0)) == "-0.0f" and _scalar(0.0) == "0.0f"


def test_division_by_zero_fails_like_tflm():
    """TFLite Micro fails FLOOR_DIV on a zero divisor and traps on an int32 DIV by zero; the
    generated code returns an error status from the same inputs (and valid ones run)."""
    cases = []
    b = GraphBuilder("fdz", seed=12)
    x, y = b.input((1, 4), dtype="float32"), b.input((1, 4), dtype="float32")
    cases.append((b.tflite([b.floor_binary("FLOOR_DIV", x, y)]), np.float32, True))
    b = GraphBuilder("idz", seed=13)
    x, y = b.input((1, 4), dtype="int32"), b.input((1, 4), dtype="int32")
    cases.append((b.tflite([b.div(x, y)]), np.int32, False))
    hosts = build_host([compile_model(m, CompileOptions(name=f"z{i}")) for i, (m, _, _) in enumerate(cases)])
    for (model, dt, check_tflm), host in zip(cases, hosts):
        a, zero, good = np.array([[3, -5, 7, 9]], dt), np.array([[2, 0, 1, 3]], dt), np.array([[2, -3, 1, 3]], dt)
        if check_tflm:  # (an int32 division by zero would kill this process: TFLM traps)
            with pytest.raises(TinygenError):
                TFLMReference(model).run([a, zero])
        with pytest.raises(RuntimeError, match="returned"):
            host.invoke([a, zero])
        assert np.array_equal(host.invoke([a, good])[0], TFLMReference(model).run([a, good])[0])


def test_broadcast_args_of_incompatible_sizes_fails():
    """Sizes that do not broadcast abort TFLite Micro's process (so it is not asked here); the
    generated code returns an error status instead, and computes compatible ones like TFLM."""
    b = GraphBuilder("bargs", seed=14)
    s1, s2 = b.input((3,), dtype="int32"), b.input((2,), dtype="int32")
    model = b.tflite([b.broadcast_args(s1, s2)])
    host, = build_host([compile_model(model, CompileOptions(name="bargs"))])
    with pytest.raises(RuntimeError, match="returned"):
        host.invoke([np.array([2, 3, 4], np.int32), np.array([5, 4], np.int32)])
    good = [np.array([2, 1, 4], np.int32), np.array([5, 1], np.int32)]
    assert np.array_equal(host.invoke(good)[0], TFLMReference(model).run(good)[0])


def test_patch_stages_through_elu_and_div():
    """ELU and DIV (elementwise, a broadcast constant divisor) declare their input regions: patch
    stages run through them, bit-exact, and lower the arena."""
    from tinygen.testing.harness import check_models

    b = GraphBuilder("patched_more", seed=15)
    y = b.elu(b.conv2d(b.input((1, 16, 16, 3)), 8))
    d = b.const_int8(np.array([[[[40, -70, 90, 127, -128, 33, 60, 100]]]], np.int8), scale=0.02, zero_point=-10)
    y = b.div(b.conv2d(y, 8, stride=(2, 2)), d)
    model = b.tflite([b.conv2d(b.elu(y), 4, stride=(2, 2))])
    arenas = {}
    for patches in ("off", "min"):
        report, = check_models([model], n_random=3, options=CompileOptions(patches=patches))
        assert report.bit_exact, (patches, report.mismatches[:1], report.first_diverging_op)
        arenas[patches] = report.arena_bytes
    assert arenas["min"] < arenas["off"]
