"""ADD, SUB, MUL, CONCATENATION, TRANSPOSE and SOFTMAX on the host build vs TFLite Micro."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.errors import UnsupportedError
from tinygen.ir import Quant
from tinygen.ops.add_sub import broadcast_shape, plan_broadcast
from tinygen.ops.transpose import plan_transpose
from tinygen.options import CompileOptions
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_elementwise import build_packed, int8_range, range_quant
from tinygen.testing.strategies import CASES
from tinygen.toolchain.host import build_host

PACK = 4  # random operators per model (independent subgraphs): one host build checks many


def _random_graphs(kind):
    """64 random operators of one kind (2 examples x 8 models x PACK), bit-exact with TFLM."""
    @settings(max_examples=2)
    @given(st.lists(CASES[kind][0], min_size=8 * PACK, max_size=8 * PACK))
    def test(cases):
        assert_bit_exact([build_packed(cases[i:i + PACK]) for i in range(0, len(cases), PACK)])
    return test


test_add_random_graphs = _random_graphs("ADD")
test_sub_random_graphs = _random_graphs("SUB")
test_mul_random_graphs = _random_graphs("MUL")
test_concatenation_random_graphs = _random_graphs("CONCATENATION")
test_transpose_random_graphs = _random_graphs("TRANSPOSE")
test_softmax_random_graphs = _random_graphs("SOFTMAX")


def _check_with_inputs(models_and_inputs):
    """Bit-exactness on given inputs (plus 2 random sets) for (model bytes, [input sets]) pairs."""
    items = [(compile_model(m, CompileOptions(name=f"m{i}")), m) for i, (m, _) in enumerate(models_and_inputs)]
    reports = check_compiled(items, n_random=2, extra_inputs=[sets for _, sets in models_and_inputs])
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    assert not bad, f"{len(bad)} models differ; first: {bad[0][1].mismatches[:2]} {bad[0][1].first_diverging_op}"


# -- broadcast / transpose planning (pure Python) ------------------------------------------------
@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(1, 4), st.booleans(), st.booleans()), min_size=0, max_size=6),
       st.integers(0, 6), st.integers(0, 6))
def test_plan_broadcast_matches_numpy(dims, cut1, cut2):
    s1 = tuple(n if k else 1 for n, k, _ in dims)[min(cut1, len(dims)):]
    s2 = tuple(n if k else 1 for n, _, k in dims)[min(cut2, len(dims)):]
    out = broadcast_shape(s1, s2)
    a = np.arange(int(np.prod(s1)), dtype=np.int64).reshape(s1)
    b = np.arange(int(np.prod(s2)), dtype=np.int64).reshape(s2)
    want1, want2 = np.broadcast_arrays(a, b)
    p = plan_broadcast(s1, s2, out)
    got1, got2 = [], []
    for idx in np.ndindex(*p.shape):
        got1.append(sum(i * s for i, s in zip(idx, p.stride1)))
        got2.append(sum(i * s for i, s in zip(idx, p.stride2)))
    assert got1 == want1.reshape(-1).tolist() and got2 == want2.reshape(-1).tolist()
    assert len(p.shape) <= max(len(out), 1)


def test_plan_broadcast_merges_dimensions():
    assert plan_broadcast((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16)).shape == (1024,)
    p = plan_broadcast((1, 8, 8, 16), (16,), (1, 8, 8, 16))  # bias vector
    assert (p.shape, p.stride1, p.stride2) == ((64, 16), (16, 1), (0, 1))
    p = plan_broadcast((1, 5, 5, 4), (1, 1, 1, 1), (1, 5, 5, 4))  # scalar
    assert (p.shape, p.stride1, p.stride2) == ((100,), (1,), (0,))


@settings(max_examples=200)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=5).flatmap(
    lambda s: st.tuples(st.just(tuple(s)), st.permutations(list(range(len(s)))))))
def test_plan_transpose_matches_numpy(shape_perm):
    shape, perm = shape_perm
    a = np.arange(int(np.prod(shape))).reshape(shape)
    p = plan_transpose(shape, tuple(perm))
    got = [sum(i * s for i, s in zip(idx, p.in_stride)) for idx in np.ndindex(*p.shape)]
    assert got == np.transpose(a, perm).reshape(-1).tolist()


# -- ADD / SUB / MUL edge cases --------------------------------------------------------------------
def test_binary_edge_cases():
    ms = []
    for kind in ("add", "sub", "mul"):
        # saturation: an output scale far too small, with every fused activation
        for act in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            b = GraphBuilder(kind, seed=1)
            x, y = b.input((3, 7), scale=0.05, zero_point=10), b.input((3, 7), scale=0.02, zero_point=-100)
            ms.append(b.tflite([getattr(b, kind)(x, y, activation=act, out_quant=Quant(scale=[0.004], zero_point=[5]))]))
        # input scales 1e9 apart: the small input's multiplier flushes to zero
        b = GraphBuilder(kind, seed=2)
        x, y = b.input((2, 3, 4), scale=0.5, zero_point=0), b.input((4,), scale=5e-10, zero_point=-3)
        ms.append(b.tflite([getattr(b, kind)(x, y)]))
        # bias vector and scalar constants on a 4-D activation, constant first operand
        b = GraphBuilder(kind, seed=3)
        x = b.input((1, 5, 6, 8))
        y = getattr(b, kind)(x, b.rng.integers(-128, 128, size=8).astype(np.int8))
        y = getattr(b, kind)(b.const_int8(()), y, activation="RELU")
        ms.append(b.tflite([y]))
        # squeeze-and-excite: [1, H, W, C] * [1, 1, 1, C], both activations
        b = GraphBuilder(kind, seed=4)
        x, s = b.input((1, 6, 6, 12)), b.input((1, 1, 1, 12))
        ms.append(b.tflite([getattr(b, kind)(x, s)]))
        # the same tensor on both sides
        b = GraphBuilder(kind, seed=5)
        x = b.input((17,))
        ms.append(b.tflite([getattr(b, kind)(x, x, activation="RELU6")]))
        # 6-D alternating broadcast (5 merged loops)
        b = GraphBuilder(kind, seed=6)
        x, y = b.input((2, 1, 3, 1, 2, 1)), b.input((1, 3, 1, 2, 1, 3))
        ms.append(b.tflite([getattr(b, kind)(x, y)]))
    # MUL with a multiplier > 1 (positive shift) and with a huge one
    for out_scale in (1e-4, 1e-6):
        b = GraphBuilder("mul", seed=7)
        x, y = b.input((40,), scale=0.02, zero_point=3), b.input((40,), scale=0.03, zero_point=-7)
        ms.append(b.tflite([b.mul(x, y, out_quant=Quant(scale=[out_scale], zero_point=[0]))]))
    assert_bit_exact(ms, n_random=4)


ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


def _all_pairs_model(kind, s1, s2, out_q, zp1, zp2, activation="NONE", seed=0):
    """input1 [256, 1] against input2 [1, 256]: fed with every int8 value, the output holds
    the result for every pair of int8 inputs."""
    b = GraphBuilder(kind, seed=seed)
    x, y = b.input((256, 1), scale=s1, zero_point=zp1), b.input((1, 256), scale=s2, zero_point=zp2)
    m = b.tflite([getattr(b, kind)(x, y, activation=activation, out_quant=out_q)])
    return m, [[ALL_INT8.reshape(256, 1), ALL_INT8.reshape(1, 256)]]


@settings(max_examples=2)
@given(st.lists(st.tuples(st.sampled_from(["add", "sub", "mul"]), st.floats(-7, -1), st.floats(-3, 3),
                          st.floats(-1.0, 1.0), st.integers(-128, 127), st.integers(-128, 127),
                          st.sampled_from(["NONE", "NONE", "RELU", "RELU6", "RELU_N1_TO_1"]), st.integers(0, 99)),
                min_size=12, max_size=12))
def test_binary_all_int8_pairs(configs):
    """Every pair of int8 inputs, for random scale triples (input scale ratios up to 1000)."""
    cases = []
    for kind, l1, lr, lo, zp1, zp2, act, seed in configs:
        s1 = float(np.exp(l1))
        s2 = s1 * float(np.exp(lr))
        b = GraphBuilder(kind, seed=seed)
        r1 = int8_range(Quant(scale=[s1], zero_point=[zp1]))
        r2 = int8_range(Quant(scale=[s2], zero_point=[zp2]))
        if kind == "add":
            lo_, hi_ = r1[0] + r2[0], r1[1] + r2[1]
        elif kind == "sub":
            lo_, hi_ = r1[0] - r2[1], r1[1] - r2[0]
        else:
            p = [a * c for a in r1 for c in r2]
            lo_, hi_ = min(p), max(p)
        out_q = range_quant(b, lo_, hi_, jitter=(float(np.exp(lo)),) * 2)
        cases.append(_all_pairs_model(kind, s1, s2, out_q, zp1, zp2, act, seed))
    _check_with_inputs(cases)


def test_sub_multipliers_use_double_precision():
    """The scales below give different multipliers when computed in float32 (TFLM's
    sub_common.cc source) and in double; the tflite-micro package agrees with double."""
    from tinygen.ops.add_sub import add_sub_multipliers
    from tinygen.quant import quantize_multiplier

    s1, s2, so = (float(np.float32(v)) for v in (0.05, 0.02, 0.004))
    f1, f2, fo = np.float32(s1), np.float32(s2), np.float32(so)
    tm = np.float32(2) * max(f1, f2)
    as_float = [quantize_multiplier(float(v)) for v in (f1 / tm, f2 / tm, tm / (np.float32(1 << 20) * fo))]
    assert list(add_sub_multipliers(None, s1, s2, so)) != as_float
    _check_with_inputs([_all_pairs_model("sub", s1, s2, Quant(scale=[so], zero_point=[5]), 10, -100)])


def test_binary_refusals():
    b = GraphBuilder("add", seed=1)
    x, y = b.input((4,), scale=1.0), b.input((4,), scale=1.0)
    # output scale below 2 * max input scale / 2^20: TFLM's output multiplier would be >= 1
    m = b.tflite([b.add(x, y, out_quant=Quant(scale=[1e-7], zero_point=[0]))])
    with pytest.raises(UnsupportedError, match="not in \\(0, 1\\)"):
        compile_model(m)
    b = GraphBuilder("sub", seed=1)
    x, y = b.input((4, 3)), b.input((4, 3))
    z = b.sub(x, y)
    z.shape = (4, 4)
    with pytest.raises(UnsupportedError, match="broadcast"):
        compile_model(b.tflite([z]))


# -- CONCATENATION / TRANSPOSE edge cases --------------------------------------------------------
def test_concatenation_edge_cases_and_refusals():
    ms = []
    b = GraphBuilder("c", seed=1)  # the same tensor twice, and a constant, along a negative axis
    x = b.input((2, 3, 4), scale=0.03, zero_point=-7)
    c = b.const_int8((2, 1, 4), scale=0.03, zero_point=-7)
    ms.append(b.tflite([b.concatenation([x, c, x], -2)]))
    b = GraphBuilder("c", seed=2)  # rank 6, last axis, extent-1 pieces
    xs = [b.input((1, 2, 1, 2, 1, 1), scale=0.5, zero_point=3) for _ in range(3)]
    ms.append(b.tflite([b.concatenation(xs, 5)]))
    b = GraphBuilder("c", seed=3)  # rank 1, first axis
    xs = [b.input((n,), scale=0.5, zero_point=3) for n in (1, 5, 2)]
    ms.append(b.tflite([b.concatenation(xs, 0)]))
    assert_bit_exact(ms)
    b = GraphBuilder("c", seed=1)
    x, y = b.input((2, 3), scale=0.1, zero_point=0), b.input((2, 3), scale=0.2, zero_point=0)
    with pytest.raises(UnsupportedError, match="equal quantization"):
        compile_model(b.tflite([b.concatenation([x, y], 0)]))
    b = GraphBuilder("c", seed=1)
    x, y = b.input((2, 3), scale=0.1, zero_point=0), b.input((2, 3), scale=0.1, zero_point=0)
    with pytest.raises(UnsupportedError, match="fused activation"):
        compile_model(b.tflite([b.concatenation([x, y], 1, activation="RELU")]))
    b = GraphBuilder("c", seed=1)
    xs = [b.input((1, 2), scale=0.1, zero_point=0) for _ in range(11)]
    with pytest.raises(UnsupportedError, match="at most 10"):
        compile_model(b.tflite([b.concatenation(xs, 0)]))


def test_transpose_edge_cases_and_refusals():
    ms = []
    for shape, perm in [((1, 3, 8, 8), (0, 2, 3, 1)), ((7,), (0,)), ((1, 1, 1), (2, 0, 1)),
                        ((2, 3, 4, 5, 6), (4, 3, 2, 1, 0)), ((3, 1, 4), (2, 1, 0))]:
        for dtype in ("int8", "float32"):
            b = GraphBuilder("t", seed=1)
            ms.append(b.tflite([b.transpose(b.input(shape, dtype=dtype), perm)]))
    assert_bit_exact(ms)
    b = GraphBuilder("t", seed=1)
    x = b.input((1, 2, 1, 2, 1, 2))
    with pytest.raises(UnsupportedError, match="ranks 1 to 5"):
        compile_model(b.tflite([b.transpose(x, (5, 4, 3, 2, 1, 0))]))
    b = GraphBuilder("t", seed=1)
    x = b.input((2, 3))
    y = b.transpose(x, (1, 0))
    b.ops[-1].inputs[1].data = None  # a permutation computed at run time
    with pytest.raises(UnsupportedError, match="not constant"):
        compile_model(b.tflite([y]))


# -- SOFTMAX edge cases ----------------------------------------------------------------------------
def test_softmax_given_inputs():
    cases = []
    for depth, scale, beta in [(10, 0.1, 1.0), (1000, 0.2, 1.0), (300, 1e-7, 1.0), (511, 3e-8, 0.5),
                               (7, 50.0, 2.0), (16, 0.05, 1e-3), (33, 1.0, 1.0)]:
        b = GraphBuilder("s", seed=depth)
        x = b.input((2, depth), scale=scale, zero_point=-5)
        m = b.tflite([b.softmax(x, beta=beta)])
        rng = np.random.default_rng(depth)
        sets = [[np.full((2, depth), v, np.int8)] for v in (-128, 0, 127)] if depth < 512 else []
        onehot = np.full((2, depth), -128, np.int8)
        onehot[:, depth // 2] = 127
        sets.append([onehot])
        sets.append([rng.integers(120, 128, size=(2, depth)).astype(np.int8)] if depth < 512 else [onehot[::-1]])
        ramp = (np.arange(2 * depth) % 256 - 128).astype(np.int8).reshape(2, depth)
        sets.append([ramp])
        cases.append((m, sets))
    # 4-D input, softmax over the last axis
    b = GraphBuilder("s4", seed=9)
    x = b.input((2, 3, 4, 20), scale=0.07, zero_point=12)
    cases.append((b.tflite([b.softmax(x)]), []))
    _check_with_inputs(cases)


def test_softmax_sum_over_512_gives_zero_probabilities():
    """Where TFLM aborts (a row's sum of exponentials reaches 512), the kernel outputs -128."""
    b = GraphBuilder("s", seed=1)
    x = b.input((2, 1000), scale=1e-6, zero_point=0)
    cm = compile_model(b.tflite([b.softmax(x)]), CompileOptions(name="s512"))
    (host,) = build_host([cm])
    xs = np.zeros((2, 1000), np.int8)
    xs[1, :600] = 5
    (out,) = host.invoke([xs])
    assert (out == -128).all()


def test_softmax_refusals():
    b = GraphBuilder("s", seed=1)
    x = b.input((4,), scale=0.1)
    with pytest.raises(UnsupportedError, match="1/256"):
        compile_model(b.tflite([b.softmax(x, out_quant=Quant(scale=[1.0 / 255.0], zero_point=[-128]))]))
    for beta, scale in ((0.0, 0.1), (-1.0, 0.1), (1.0, 1e-9)):
        b = GraphBuilder("s", seed=1)
        x = b.input((4,), scale=scale)
        with pytest.raises(UnsupportedError, match="must exceed 1"):
            compile_model(b.tflite([b.softmax(x, beta=beta)]))
