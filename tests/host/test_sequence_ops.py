"""SVDF and UNIDIRECTIONAL_SEQUENCE_LSTM on the host build vs TFLite Micro: their state carries
over from one inference to the next, so every check runs several inferences in a row (from the
initial state, in both), and the state's life cycle (persistence, reset, placement outside the
arena) is checked directly."""

import numpy as np
import pytest
from hypothesis import given, settings

from tinygen.check import check_compiled, random_inputs
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError, UnsupportedError
from tinygen.ir import Quant
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_math import distinct_cases
from tinygen.testing.ops_sequence import SEQUENCE_CASES, build_sequence_packed
from tinygen.toolchain.host import build_host

PACK = 4
INVOCATIONS = 4  # consecutive inferences per model: the state of each feeds the next


@pytest.mark.parametrize("kind", sorted(SEQUENCE_CASES))
def test_random_graphs_over_consecutive_inferences(kind):
    """64 random operators of one kind, each run on 4 inputs in a row, bit-exact with TFLM."""
    @settings(max_examples=1)
    @given(distinct_cases(SEQUENCE_CASES[kind][0], 64))
    def check(cases):
        assert_bit_exact([build_sequence_packed(cases[i:i + PACK]) for i in range(0, len(cases), PACK)],
                         n_random=INVOCATIONS)
    check()


def _svdf_model(seed=0, **kw):
    b = GraphBuilder("svdf", seed=seed)
    x = b.input((2, 12), scale=0.04, zero_point=9)
    return b.tflite([b.svdf(x, 5, **kw)])


def _lstm_model(seed=0, **kw):
    b = GraphBuilder("lstm", seed=seed)
    x = b.input((2, 3, 6), scale=0.03, zero_point=-5)
    return b.tflite([b.lstm(x, 7, **kw)])


def test_state_persists_until_reset():
    """Outputs depend on earlier inputs; after <name>_reset() the sequence repeats exactly; the
    state is not in the arena, and the header declares the reset and the state size."""
    for model in (_svdf_model(rank=2, memory=5), _lstm_model()):
        cm = compile_model(model, CompileOptions(name="st"))
        host = build_host([cm])[0]
        sets = random_inputs(cm.graph, 4, seed=3)
        host.reset()
        first = [host.invoke(xs)[0] for xs in sets]
        ref = TFLMReference(model)
        assert all(np.array_equal(a, ref.run(xs)[0]) for a, xs in zip(first, sets))
        fresh = TFLMReference(model).run(sets[3])[0]
        assert not np.array_equal(first[3], fresh), "the test model's output does not depend on its state"
        host.reset()
        again = [host.invoke(xs)[0] for xs in sets]
        assert all(np.array_equal(a, b) for a, b in zip(first, again))
        variables = [t for t in cm.graph.tensors() if t.is_variable]
        assert variables and all(t not in b.tensors for b in cm.plan.buffers for t in variables)
        header = cm.files["st.h"]
        assert "void st_reset(void);" in header
        assert f"#define ST_STATE_BYTES {sum(t.nbytes for t in variables)}" in header


@pytest.mark.parametrize("time_dtype", ["int8", "int16"])
def test_svdf_edges(time_dtype):
    """A state zero point far from zero with feature outputs that saturate (TFLM stores
    zero point + clamped value with wrap-around), memory 1, rank 3."""
    models = []
    for zp in (100, -100, 0):
        b = GraphBuilder("svdf_wrap", seed=4)
        x = b.input((1, 30), scale=0.5, zero_point=0)
        models.append(b.tflite([b.svdf(x, 4, rank=3, memory=3, time_dtype=time_dtype,
                                       state_zero_point=zp if time_dtype == "int8" else None)]))
    for seed in range(3):
        models.append(_svdf_model(seed, rank=1, memory=1, time_dtype=time_dtype))
    assert_bit_exact(models, n_random=6)


def test_lstm_edges():
    """Cell clipping (down to a clip below one cell step), cell scales 2^-15..2^-8 (both branches of
    the tanh rescaling), time-major batches, a one-element state."""
    models = []
    for clip in (0.0, 0.001, 0.3, 3.0):
        for log2 in (-15, -11, -8):
            models.append(_lstm_model(seed=5, cell_clip=clip, cell_scale_log2=log2))
    b = GraphBuilder("lstm_tm", seed=6)
    x = b.input((4, 3, 5), scale=0.05, zero_point=20)
    models.append(b.tflite([b.lstm(x, 1, time_major=True)]))
    b = GraphBuilder("lstm_two", seed=7)  # two LSTMs in a row: the second reads the first's output
    x = b.input((1, 5, 4), scale=0.05, zero_point=0)
    models.append(b.tflite([b.lstm(b.lstm(x, 6), 3)]))
    assert_bit_exact(models, n_random=INVOCATIONS)


# -- refusals ---------------------------------------------------------------------------------------
def _tflm_refuses(model: bytes, shape) -> bool:
    try:
        TFLMReference(model).run([np.zeros(shape, dtype=np.int8)])
    except (TinygenError, RuntimeError):
        return True
    return False


def _lstm_variant(change):
    b = GraphBuilder("lstm_variant", seed=8)
    x = b.input((1, 2, 3), scale=0.05, zero_point=0)
    y = b.lstm(x, 4)
    change(b, b.ops[-1])
    return b.tflite([y])


def _peephole(b, op):
    op.inputs[10] = b.const(np.ones(4, np.int16), "int16", Quant(scale=[0.001], zero_point=[0]))


def _projection(b, op):
    op.inputs[16] = b.const(np.ones((4, 4), np.int8), "int8", Quant(scale=[0.01], zero_point=[0]))


def _cifg(b, op):
    op.inputs[1] = op.inputs[5] = op.inputs[12] = None


def _state_not_variable(b, op):
    op.inputs[18].is_variable = False
    b.inputs.append(op.inputs[18])


@pytest.mark.parametrize("change,why", [(_peephole, "peephole"), (_projection, "projection"),
                                        (_cifg, "CIFG"), (_state_not_variable, "not a variable")])
def test_lstm_variants_refused_like_tflm(change, why):
    model = _lstm_variant(change)
    assert _tflm_refuses(model, (1, 2, 3))
    with pytest.raises(UnsupportedError, match=why):
        compile_model(model)


def test_svdf_and_lstm_refusals():
    """A bias-less int8 SVDF (TFLM's Prepare reads the bias scale: it would crash), per-channel
    LSTM weights (TFLM would use an uninitialized multiplier), a non-power-of-two cell scale."""
    b = GraphBuilder("svdf_nobias", seed=9)
    x = b.input((1, 8), scale=0.05, zero_point=0)
    y = b.svdf(x, 3)
    b.ops[-1].inputs[3] = None
    with pytest.raises(UnsupportedError, match="has no bias"):
        compile_model(b.tflite([y]))

    def per_channel(b, op):
        w = op.inputs[2]
        w.quant = Quant(scale=np.full(4, float(w.quant.s), np.float32), zero_point=np.zeros(4), axis=0)
    with pytest.raises(UnsupportedError, match="per channel"):
        compile_model(_lstm_variant(per_channel))

    def odd_cell(b, op):
        op.inputs[19].quant = Quant(scale=[0.0003], zero_point=[0])
    with pytest.raises(UnsupportedError, match="not a power of two"):
        compile_model(_lstm_variant(odd_cell))


def test_sigmoid_table_matches_the_oracle():
    """The committed int16 sigmoid table is what scripts/derive_sigmoid_lut.py measures from the
    pinned tflite-micro."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("derive_sigmoid_lut", root / "scripts" / "derive_sigmoid_lut.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (root / "kernels" / "src" / "sequence" / "tg_sigmoid_lut.h").read_text() == mod.render(mod.derive())


def test_initial_data_of_a_variable_is_ignored_like_tflm():
    """TFLM resets variables to their zero point whatever their buffer holds; so does tinygen."""
    b = GraphBuilder("svdf_data", seed=3)
    x = b.input((1, 8), scale=0.05, zero_point=2)
    y = b.svdf(x, 3, memory=4, state_zero_point=-7)
    state = b.ops[-1].inputs[4]
    state.data = np.full(state.shape, 50, np.int8)  # written into the file as the variable's buffer
    model = b.tflite([y])
    cm = compile_model(model, CompileOptions(name="vd"))
    assert next(t for t in cm.graph.tensors() if t.is_variable).data is None
    assert "memset(vd_state0, 249, sizeof(vd_state0));" in cm.files["vd.c"]  # -7 as a byte
    assert_bit_exact([model], n_random=3)
