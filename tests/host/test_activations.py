"""RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, QUANTIZE and DEQUANTIZE on the host build
vs TFLite Micro: random configurations (float32 I/O included), every int8 input value for
extreme quantizations, float rounding ties and saturation, and the configurations TFLM refuses.

Elementwise models are tiny, so random cases are batched as independent branches of one model
(tinygen.testing.ops_activations.build_branches): one C file per model keeps the host build short.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError, UnsupportedError
from tinygen.ir import Quant
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.testing.builder import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_activations import (all_int8_values, build_branches, float_specials, float_ties)
from tinygen.testing.strategies import CASES

KINDS = ["RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH", "QUANTIZE", "DEQUANTIZE"]


def _check(models: list[bytes], inputs: list[list[list[np.ndarray]]], n_random: int = 0):
    """Compile and compare with TFLM on the given input sets (plus n_random random ones)."""
    items = []
    for i, data in enumerate(models):
        cm = compile_model(data, replace(CompileOptions(), name=f"m{i}"))
        items.append((cm, data))
    reports = check_compiled(items, n_random=n_random, extra_inputs=inputs)
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    assert not bad, f"{len(bad)}/{len(reports)} models differ from TFLM; first: model {bad[0][0]}: " \
                    f"{bad[0][1].mismatches[:2]} first diverging op: {bad[0][1].first_diverging_op}"
    assert all(r.inputs_checked == n_random + len(sets) for r, sets in zip(reports, inputs))
    return items


# -- random configurations ---------------------------------------------------------------------
#: two branches of each operator per model
_GROUP = st.tuples(*[CASES[k][0] for k in KINDS for _ in range(2)])


@settings(max_examples=3)
@given(st.lists(_GROUP, min_size=11, max_size=11))
def test_random_activations(groups):
    """66 random configurations of each operator (3 x 11 models, two branches per operator)."""
    assert_bit_exact([build_branches(list(g)) for g in groups], n_random=3)


# -- every int8 input value ----------------------------------------------------------------------
def _exhaustive_case(c: dict) -> dict:
    c = dict(c, shape=(1, 256))
    if "float_io" in c:
        c["float_io"] = False
    if c["kind"] == "QUANTIZE":
        c["mode"] = "s8_s8"
    return c


@settings(max_examples=2)
@given(st.lists(_GROUP, min_size=3, max_size=3))
def test_every_int8_value(groups):
    """All 256 input values through each operator, 12 random quantizations per operator."""
    models = [build_branches([_exhaustive_case(c) for c in g]) for g in groups]
    x = all_int8_values()
    _check(models, [[[x] * (2 * len(KINDS))] for _ in models])


def _branch(b: GraphBuilder, kind: str, scale: float, zp: int, **kw):
    x = b.input((1, 256), scale=scale, zero_point=zp)
    if kind == "QUANTIZE":
        return b.quantize(x, kw.get("out_quant"))
    if kind == "DEQUANTIZE":
        return b.dequantize(x)
    fn = getattr(b, kind.lower())
    return fn(x, **kw)


#: (kind, input scale, input zero point, builder keywords): quantizations at the edges of what
#: the kernels' fixed-point paths handle
EXTREMES = [
    ("RELU", 0.05, 10, dict(out_quant=Quant(scale=[0.05], zero_point=[10]))),      # multiplier exactly 1
    ("RELU", 0.5, -128, dict(out_quant=Quant(scale=[0.001], zero_point=[-128]))),  # ratio 500: saturates
    ("RELU", 0.001, 127, dict(out_quant=Quant(scale=[0.3], zero_point=[50]))),     # ratio 1/300
    ("RELU", 0.02, 0, dict(out_quant=Quant(scale=[0.02], zero_point=[-128]))),     # zp moves
    ("RELU6", 0.05, -3, dict(out_quant=Quant(scale=[0.2], zero_point=[7]))),       # TFLM ignores output quant
    ("RELU6", 0.01, -128, {}),   # 6.0 beyond the input range: upper clamp 127
    ("RELU6", 0.1, 127, {}),     # zero point at the top
    ("RELU6", 0.09600000083446503, -100, {}),  # 6 / scale = 62.5 exactly: a rounding tie
    ("LEAKY_RELU", 0.05, 3, dict(alpha=-0.5)),
    ("LEAKY_RELU", 0.05, 3, dict(alpha=0.0)),
    ("LEAKY_RELU", 0.05, -100, dict(alpha=2.5)),
    ("LEAKY_RELU", 0.02, 120, dict(alpha=1.0)),
    ("LEAKY_RELU", 0.02, 0, dict(alpha=-1.7, out_quant=Quant(scale=[0.03], zero_point=[0]))),
    ("LOGISTIC", 1e-4, 5, {}),    # never saturates
    ("LOGISTIC", 0.0625, 0, {}),  # Q4 input exactly (multiplier 2^30, shift 24)
    ("LOGISTIC", 0.5, -7, {}),    # radius 30
    ("LOGISTIC", 4.0, 0, {}),     # radius 3
    ("LOGISTIC", 100.0, 0, {}),   # radius 0: everything saturates
    ("LOGISTIC", 0.1, 20, dict(out_quant=Quant(scale=[0.01], zero_point=[-128]))),  # TFLM ignores the scale
    ("TANH", 1e-4, -5, {}),
    ("TANH", 0.0625, 0, {}),
    ("TANH", 0.3, 100, {}),
    ("TANH", 100.0, 0, {}),
    ("TANH", 0.05, 10, dict(out_quant=Quant(scale=[0.03], zero_point=[-20]))),  # TFLM ignores it
    ("HARD_SWISH", 0.05, 0, dict(out_quant=Quant(scale=[0.05], zero_point=[-120]))),
    ("HARD_SWISH", 2.0, 0, dict(out_quant=Quant(scale=[1.0], zero_point=[-100]))),     # reluish shift > 0
    ("HARD_SWISH", 30.0, -5, dict(out_quant=Quant(scale=[15.0], zero_point=[-100]))),  # saturating shifts
    ("HARD_SWISH", 1e-7, 3, dict(out_quant=Quant(scale=[1e-9], zero_point=[0]))),    # rshift <= -16 (int16 wrap)
    ("HARD_SWISH", 0.003, -128, dict(out_quant=Quant(scale=[0.00003], zero_point=[-128]))),  # output shift 0
    ("HARD_SWISH", 0.05, 0, dict(out_quant=Quant(scale=[0.00040], zero_point=[100]))),  # output shift 0, clamps
    ("QUANTIZE", 0.05, 3, dict(out_quant=Quant(scale=[0.05], zero_point=[3]))),   # identity
    ("QUANTIZE", 0.05, 3, dict(out_quant=Quant(scale=[0.05], zero_point=[-60]))),  # zero point shift only
    ("QUANTIZE", 0.5, 0, dict(out_quant=Quant(scale=[0.001], zero_point=[0]))),
    ("QUANTIZE", 0.001, -128, dict(out_quant=Quant(scale=[1.0], zero_point=[127]))),
    ("DEQUANTIZE", 3e38 / 255, 0, {}),
    ("DEQUANTIZE", 1e-38, -128, {}),   # normal scale, subnormal products
    ("DEQUANTIZE", 0.1, 127, {}),
]


def test_extreme_quantizations():
    b = GraphBuilder("extremes", seed=7)
    outs = [_branch(b, k, s, zp, **kw) for k, s, zp, kw in EXTREMES]
    model = b.tflite(outs)
    x = all_int8_values()
    _check([model], [[[x] * len(outs)]])


# -- float32 QUANTIZE: rounding ties and saturation -------------------------------------------------
FLOAT_QUANTS = [(0.5, 0), (0.25, -3), (1.0 / 128, 0), (0.1, 7), (0.0123, -128), (0.0371, 127), (2.0, -5),
                (1e-6, 0), (1e3, 100), (0.007, -20)]


def test_quantize_float_ties_and_saturation():
    rng = np.random.default_rng(3)
    models, inputs = [], []
    for scale, zp in FLOAT_QUANTS:
        ties = float_ties(scale, zp, 64, rng)
        assert ties.size == 64, f"found only {ties.size} ties for scale {scale}"
        sat = float_specials(scale)
        x = np.concatenate([ties, sat, -ties]).astype(np.float32)
        b = GraphBuilder("qties", seed=1)
        xf = b.input((x.size,), dtype="float32")
        y = b.quantize(xf, Quant(scale=[scale], zero_point=[zp]))
        models.append(b.tflite([y, b.dequantize(y)]))
        inputs.append([[x]])
    _check(models, inputs, n_random=2)


def test_float_io_conv_model():
    """float32 input -> QUANTIZE -> CONV_2D -> DEQUANTIZE -> float32 output: the generated
    invoke takes float pointers and the outputs are compared bit for bit."""
    rng = np.random.default_rng(11)
    models, inputs = [], []
    for seed in range(4):
        b = GraphBuilder("fconv", seed=seed)
        shape = (1, 5 + seed, 6, 1 + seed)
        xf = b.input(shape, dtype="float32")
        x = b.quantize(xf)
        y = b.conv2d(x, 3 + seed, kernel=(3, 3), stride=(1 + seed % 2, 1), activation=["NONE", "RELU"][seed % 2],
                     per_channel=bool(seed % 2))
        models.append(b.tflite([b.dequantize(y)]))
        q = x.quant
        n = int(np.prod(shape))
        sets = []
        for _ in range(2):
            ties = float_ties(q.s, q.zp, n, rng)
            specials = np.resize(float_specials(q.s), n)
            sets.append([rng.permutation(ties).reshape(shape).astype(np.float32)])
            mix = np.where(rng.random(n) < 0.3, specials, np.resize(ties, n)).astype(np.float32)
            sets.append([mix.reshape(shape)])
        inputs.append(sets)
    items = _check(models, inputs, n_random=5)
    for cm, _ in items:
        g = cm.graph
        assert g.inputs[0].dtype == "float32" and g.outputs[0].dtype == "float32"
        c_text = cm.files[f"{cm.name}.c"]
        assert f"int {cm.name}_invoke(const float *input, float *output)" in c_text
        assert "tg_quantize_f32_s8" in c_text and "tg_dequantize_s8_f32" in c_text


# -- refusals: what TFLM refuses, tinygen refuses with one clear line ----------------------------------
def _tflm_refuses(model: bytes, shape, dtype=np.int8) -> bool:
    try:
        ref = TFLMReference(model)
        ref.run([np.zeros(shape, dtype=dtype)])
    except (TinygenError, RuntimeError):
        return True
    return False


def _refusal_models():
    out = []
    b = GraphBuilder("r1", seed=0)
    x = b.input((1, 8), scale=0.05, zero_point=0)
    out.append(("output zero point", b.tflite([b.logistic(x, Quant(scale=[1 / 256], zero_point=[0]))])))
    b = GraphBuilder("r2", seed=0)
    x = b.input((1, 8), scale=0.05, zero_point=0)
    out.append(("too small", b.tflite([b.hard_swish(x, Quant(scale=[0.05 / 200], zero_point=[0]))])))
    b = GraphBuilder("r3", seed=0)
    x = b.input((1, 8), scale=0.05, zero_point=0)
    y = b.op("QUANTIZE", [x], None, Quant(scale=[0.1, 0.2], zero_point=[0, 0], axis=1))
    out.append(("per channel", b.tflite([y])))
    return out


@pytest.mark.parametrize("i", range(3))
def test_refused_like_tflm(i):
    why, model = _refusal_models()[i]
    assert _tflm_refuses(model, (1, 8))
    with pytest.raises(UnsupportedError, match=why):
        compile_model(model)


def test_relu_n1_to_1_is_refused():
    """TFLM has no RELU_N1_TO_1 kernel; tinygen refuses the model too, with one clear line."""
    import flatbuffers

    from tinygen.schema import BUILTIN_CODES, schema

    b = GraphBuilder("n1", seed=0)
    x = b.input((1, 8), scale=0.05, zero_point=0)
    m = schema.ModelT.InitFromPackedBuf(b.tflite([b.relu6(x)]), 0)
    m.operatorCodes[0].builtinCode = m.operatorCodes[0].deprecatedBuiltinCode = BUILTIN_CODES["RELU_N1_TO_1"]
    fb = flatbuffers.Builder(1024)
    fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
    model = bytes(fb.Output())
    assert _tflm_refuses(model, (1, 8))
    with pytest.raises(UnsupportedError, match="RELU_N1_TO_1 is not supported"):
        compile_model(model)
