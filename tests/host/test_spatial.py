"""SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, PACK, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD,
GATHER, RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, TRANSPOSE_CONV, GATHER_ND, EMBEDDING_LOOKUP, FILL,
ZEROS_LIKE, SHAPE, REVERSE_V2, BROADCAST_TO, SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on the host
build vs TFLite Micro: random graphs (64 operators of each kind), targeted edge cases, refusals,
overlap, patches, converter-made models."""

from pathlib import Path

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
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_spatial import SPATIAL_CASES, build_spatial, build_spatial_cnn
from tinygen.testing.strategies import CASES
from tinygen.toolchain.host import build_host

CASES_PER_KIND = 64
PER_MODEL = 8  # cases per generated model (independent branches): 8 models, one host build


def _random_graphs(kind):
    """64 random operators of one kind, bit-exact with TFLM on 2 random input sets."""
    @settings(max_examples=1)
    @given(st.lists(SPATIAL_CASES[kind][0], min_size=CASES_PER_KIND, max_size=CASES_PER_KIND))
    def test(cases):
        # independent branches: file order (scheduling them for the least memory is slow)
        assert_bit_exact([build_spatial(cases[i:i + PER_MODEL]) for i in range(0, len(cases), PER_MODEL)],
                         n_random=2, options=CompileOptions(schedule="file"))
    return test


test_slice_random_graphs = _random_graphs("SLICE")
test_strided_slice_random_graphs = _random_graphs("STRIDED_SLICE")
test_split_random_graphs = _random_graphs("SPLIT")
test_split_v_random_graphs = _random_graphs("SPLIT_V")
test_pack_random_graphs = _random_graphs("PACK")
test_unpack_random_graphs = _random_graphs("UNPACK")
test_space_to_depth_random_graphs = _random_graphs("SPACE_TO_DEPTH")
test_depth_to_space_random_graphs = _random_graphs("DEPTH_TO_SPACE")
test_mirror_pad_random_graphs = _random_graphs("MIRROR_PAD")
test_gather_random_graphs = _random_graphs("GATHER")
test_resize_nearest_neighbor_random_graphs = _random_graphs("RESIZE_NEAREST_NEIGHBOR")
test_resize_bilinear_random_graphs = _random_graphs("RESIZE_BILINEAR")
test_transpose_conv_random_graphs = _random_graphs("TRANSPOSE_CONV")
test_gather_nd_random_graphs = _random_graphs("GATHER_ND")
test_embedding_lookup_random_graphs = _random_graphs("EMBEDDING_LOOKUP")
test_fill_random_graphs = _random_graphs("FILL")
test_zeros_like_random_graphs = _random_graphs("ZEROS_LIKE")
test_shape_random_graphs = _random_graphs("SHAPE")
test_reverse_v2_random_graphs = _random_graphs("REVERSE_V2")
test_broadcast_to_random_graphs = _random_graphs("BROADCAST_TO")
test_space_to_batch_nd_random_graphs = _random_graphs("SPACE_TO_BATCH_ND")
test_batch_to_space_nd_random_graphs = _random_graphs("BATCH_TO_SPACE_ND")


CONVERTED = sorted((Path(__file__).resolve().parents[2] / "models" / "converted").glob("*.tflite"))


def test_converter_made_models():
    """Models of these operators made by the real TFLite converter (models/converted)."""
    assert len(CONVERTED) == 3
    assert_bit_exact([p.read_bytes() for p in CONVERTED], n_random=4)


def _check_with_inputs(models_and_inputs, n_random=2):
    """Bit-exactness on given inputs (plus random sets) for (model bytes, [input sets]) pairs."""
    items = [(compile_model(m, CompileOptions(name=f"m{i}")), m) for i, (m, _) in enumerate(models_and_inputs)]
    reports = check_compiled(items, n_random=n_random, extra_inputs=[sets for _, sets in models_and_inputs])
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    assert not bad, f"{len(bad)} models differ; first: {bad[0][1].mismatches[:2]} {bad[0][1].first_diverging_op}"
    return items


def _refused(model: bytes, match: str):
    with pytest.raises(UnsupportedError, match=match):
        compile_model(model)


def _tflm_refuses(model: bytes, shapes_dtypes) -> bool:
    try:
        ref = TFLMReference(model)
        ref.run([np.zeros(s, dtype=d) for s, d in shapes_dtypes])
    except TinygenError:
        return True
    return False


# -- edge cases -----------------------------------------------------------------------------------
def test_real_model_shapes():
    """Shapes from real networks: FPN upsampling, U-Net decoders, YOLO's space-to-depth, channel
    splits of ShuffleNet-style blocks, an LSTM's gate split, a patch embedding's strided slice."""
    ms = []
    b = GraphBuilder("fpn", seed=1)  # FPN: 2x nearest upsampling then add
    x = b.input((1, 10, 10, 32))
    ms.append(b.tflite([b.resize_nearest_neighbor(x, (20, 20))]))
    b = GraphBuilder("unet", seed=2)  # U-Net: bilinear x2 (half pixel) and a stride-2 transposed conv
    x = b.input((1, 12, 12, 16))
    ms.append(b.tflite([b.resize_bilinear(x, (24, 24), half_pixel_centers=True),
                        b.transpose_conv(x, 8, kernel=(3, 3), stride=(2, 2), padding="SAME", activation="RELU"),
                        b.transpose_conv(x, 4, kernel=(2, 2), stride=(2, 2), padding="VALID")]))
    b = GraphBuilder("s2d", seed=3)
    x = b.input((1, 32, 32, 3))
    ms.append(b.tflite([b.space_to_depth(x, 2), b.depth_to_space(b.input((1, 8, 8, 48)), 4)]))
    b = GraphBuilder("shuffle", seed=4)
    x = b.input((1, 14, 14, 64))
    ms.append(b.tflite(b.split(x, 2, 3) + b.split_v(x, [16, 48], -1) + [b.slice(x, [0, 0, 0, 32], [1, 14, 14, 32])]))
    b = GraphBuilder("lstm", seed=5)
    x = b.input((1, 128))
    ms.append(b.tflite(b.split(x, 4, 1) + b.unpack(b.input((3, 1, 20)), 0)))
    b = GraphBuilder("patches", seed=6)
    x = b.input((1, 49, 32))
    ms.append(b.tflite([b.strided_slice(x, [0, 0, 0], [1, 1, 32], [1, 1, 1], end_mask=0b101, shrink_axis_mask=0b010),
                        b.strided_slice(x, [0, -1, 0], [1, 0, 32], [1, -2, 1], begin_mask=0b001, end_mask=0b101)]))
    b = GraphBuilder("pad", seed=7)
    x = b.input((1, 9, 9, 8))
    ms.append(b.tflite([b.mirror_pad(x, [[0, 0], [3, 3], [3, 3], [0, 0]], "REFLECT"),
                        b.mirror_pad(x, [[0, 0], [1, 2], [9, 0], [0, 0]], "SYMMETRIC")]))
    b = GraphBuilder("embed", seed=8)
    table = b.const_int8((50, 16))
    ms.append(b.tflite([b.gather(table, np.array([[3, 49, 0, 7]], dtype=np.int32), axis=0),
                        b.pack([b.input((4, 16)), b.input((4, 16))], axis=-1)]))
    assert_bit_exact(ms, n_random=2)


def test_gather_positions_at_run_time():
    """Positions from a graph input (int32), fed with valid values; an out-of-range position makes
    the generated code return an error instead of reading outside the input."""
    b = GraphBuilder("g", seed=1)
    x = b.input((6, 5, 4))
    p = b.input((2, 3), dtype="int32")
    m = b.tflite([b.gather(x, p, axis=1)])
    rng = np.random.default_rng(0)
    sets = [[rng.integers(-128, 128, size=(6, 5, 4)).astype(np.int8), rng.integers(0, 5, size=(2, 3)).astype(np.int32)]
            for _ in range(4)]
    ((cm, _),) = _check_with_inputs([(m, sets)], n_random=0)
    (host,) = build_host([cm])
    bad = [sets[0][0], np.array([[0, 1, 5], [0, 0, 0]], dtype=np.int32)]
    with pytest.raises(RuntimeError, match="returned -1"):
        host.invoke(bad)


def test_gather_nd_indices_at_run_time():
    """Index tuples from a graph input: in range, past their own dimension but inside the params
    (TFLM reads on into the next dimension, and so does tinygen), and past the params (both fail)."""
    b = GraphBuilder("g", seed=1)
    x = b.input((4, 3, 5))
    idx = b.input((2, 2), dtype="int32")
    m = b.tflite([b.gather_nd(x, idx)])
    rng = np.random.default_rng(0)
    xs = rng.integers(-128, 128, size=(4, 3, 5)).astype(np.int8)
    sets = [[xs, np.array(t, dtype=np.int32)] for t in ([[0, 0], [3, 2]], [[1, 2], [2, 0]], [[0, 5], [2, 4]])]
    ((cm, _),) = _check_with_inputs([(m, sets)], n_random=0)
    (host,) = build_host([cm])
    bad = [xs, np.array([[0, 0], [3, 3]], dtype=np.int32)]
    assert _tflm_refuses_inputs(m, bad)
    with pytest.raises(RuntimeError, match="returned -1"):
        host.invoke(bad)


def test_embedding_lookup_table_in_flash():
    """A constant table (in flash) and ids from a graph input; an id out of range fails in both."""
    b = GraphBuilder("e", seed=1)
    table = b.const_int8((20, 2, 3))
    ids = b.input((5,), dtype="int32")
    m = b.tflite([b.embedding_lookup(table, ids)])
    sets = [[np.array(v, dtype=np.int32)] for v in ([0, 19, 3, 3, 7], [1, 2, 3, 4, 5])]
    ((cm, _),) = _check_with_inputs([(m, sets)], n_random=0)
    (host,) = build_host([cm])
    bad = [np.array([0, 1, 20, 2, 3], dtype=np.int32)]
    assert _tflm_refuses_inputs(m, bad)
    with pytest.raises(RuntimeError, match="returned -1"):
        host.invoke(bad)


def _tflm_refuses_inputs(model: bytes, inputs) -> bool:
    try:
        TFLMReference(model).run(inputs)
    except TinygenError:
        return True
    return False


def test_every_mirror_padding_extreme():
    """The largest padding each mode allows, on every side, for sizes 1 to 4."""
    ms = []
    for n in (1, 2, 3, 4):
        for mode in ("REFLECT", "SYMMETRIC"):
            most = n - 1 if mode == "REFLECT" else n
            b = GraphBuilder("mp", seed=n)
            x = b.input((2, n, n + 1))
            ms.append(b.tflite([b.mirror_pad(x, [[0, 1], [most, most], [0, most]], mode, index_dtype="int64")]))
    assert_bit_exact(ms, n_random=2)


def test_resize_extremes():
    """1x1 images blown up, images shrunk to one pixel, large factors, every flag combination."""
    ms = []
    for in_hw, out_hw in [((1, 1), (9, 7)), ((7, 9), (1, 1)), ((2, 3), (31, 29)), ((16, 16), (3, 5)), ((3, 3), (3, 3))]:
        for align, half in [(False, False), (True, False), (False, True), (True, True)]:
            b = GraphBuilder("r", seed=1)
            x = b.input((1,) + in_hw + (3,))
            outs = [b.resize_nearest_neighbor(x, out_hw, align, half)]
            if not (align and half):
                outs.append(b.resize_bilinear(x, out_hw, align, half))
            ms.append(b.tflite(outs))
    assert_bit_exact(ms, n_random=3)


def test_transpose_conv_sums_wrap_like_tflm():
    """75,000 products of 32,385 each: the int32 sums overflow and wrap, in TFLM's scatter order
    and in the kernel's gather order alike."""
    b = GraphBuilder("tc", seed=1)
    x = b.input((1, 5, 5, 3000), scale=0.02, zero_point=127)
    y = b.transpose_conv(x, 2, kernel=(5, 5), stride=(1, 1), padding="SAME",
                         out_quant=Quant(scale=[4000.0], zero_point=[0]))
    b.ops[-1].inputs[1].data = np.full((2, 5, 5, 3000), -127, dtype=np.int8)
    m = b.tflite([y])
    given = [[np.full((1, 5, 5, 3000), -128, dtype=np.int8)], [np.full((1, 5, 5, 3000), 127, dtype=np.int8)]]
    _check_with_inputs([(m, given)], n_random=1)


def test_strided_slice_ignores_ellipsis_and_new_axis_masks_like_tflm():
    b = GraphBuilder("ss", seed=1)
    x = b.input((3, 4, 5))
    y = b.strided_slice(x, [0, 1, 0], [3, 4, 5], [1, 2, 2])
    b.ops[-1].attrs.ellipsis_mask, b.ops[-1].attrs.new_axis_mask = 0b010, 0b001
    assert_bit_exact([b.tflite([y])])


# -- overlap -------------------------------------------------------------------------------------
def test_outputs_overlap_their_dying_inputs_and_stay_exact():
    """A slice, a space-to-depth and an upsampling whose inputs die: the planner may place each
    output partly over its input (gaps from the kernels' write order); the arena shrinks and the
    results stay bit-exact."""
    def model():
        b = GraphBuilder("ov", seed=3)
        x = b.input((1, 16, 16, 8))
        y = b.conv2d(x, 8)
        y = b.strided_slice(y, [0, 2, 0, 0], [1, 16, 16, 8], [1, 1, 1, 1])
        y = b.conv2d(y, 8)
        y = b.space_to_depth(y, 2)
        y = b.conv2d(y, 8, kernel=(1, 1))
        y = b.resize_nearest_neighbor(y, (14, 16))
        y = b.transpose_conv(y, 4, kernel=(3, 3), stride=(1, 1))
        return b.tflite([b.conv2d(y, 4)])
    m = model()
    with_overlap = compile_model(m, CompileOptions(name="a"))
    without = compile_model(m, CompileOptions(name="b", overlap=False))
    assert with_overlap.arena_bytes < without.arena_bytes
    kinds = {op.kind for op in with_overlap.graph.ops if op.kernel.overlap}
    assert {"STRIDED_SLICE", "SPACE_TO_DEPTH", "RESIZE_NEAREST_NEIGHBOR", "TRANSPOSE_CONV"} <= kinds
    reports = check_compiled([(with_overlap, m), (without, m)], n_random=4)
    assert all(r.bit_exact for r in reports)


# -- refusals --------------------------------------------------------------------------------------
def test_refusals():
    b = GraphBuilder("r", seed=1)
    x = b.input((4, 5))
    y = b.slice(x, [0, 0], [3, -1])
    b.ops[-1].inputs[1].data = np.array([2, 0], dtype=np.int32)
    _refused(b.tflite([y]), "not inside the input")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 2, 2, 2, 2))
    _refused(b.tflite([b.strided_slice(x, [0] * 5, [1] * 5, [1] * 5)]), "ranks 1 to 4")
    b = GraphBuilder("r", seed=1)
    x = b.input((4, 5))
    y = b.strided_slice(x, [0, 0], [4, 5], [1, 1])
    b.ops[-1].inputs[3].data = np.array([1, 0], dtype=np.int32)
    _refused(b.tflite([y]), "stride 1 is 0")
    b = GraphBuilder("r", seed=1)
    x = b.input((4, 5))
    y = b.strided_slice(x, [0, 0], [4, 5], [1, 1], shrink_axis_mask=0b01)
    b.ops[-1].inputs[1].data = np.array([7, 0], dtype=np.int32)
    y.shape = (5,)
    _refused(b.tflite([y]), "selects no element")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 3, 3, 2))
    _refused(b.tflite([b.mirror_pad(x, [[0, 0], [3, 0], [0, 0], [0, 0]], "REFLECT")]), "must be smaller than its size")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 3, 3, 2))
    _refused(b.tflite([b.mirror_pad(x, [[0, 0], [4, 0], [0, 0], [0, 0]], "SYMMETRIC")]), "must be at most its size")
    b = GraphBuilder("r", seed=1)
    x = b.input((5, 3))
    _refused(b.tflite([b.gather(x, np.array([0, 5], dtype=np.int32))]), "outside \\[0, 5\\)")
    b = GraphBuilder("r", seed=1)
    x = b.input((6, 3))
    ys = b.split(x, 2, 0)
    ys[1].shape = (2, 3)
    _refused(b.tflite(ys), "do not add up|differ")
    b = GraphBuilder("r", seed=1)
    x = b.input((3, 4))
    ys = b.unpack(x, 0)
    b.ops[-1].attrs.num = 2
    _refused(b.tflite(ys), "num=2")
    b = GraphBuilder("r", seed=1)
    xs = [b.input((2, 3)), b.input((2, 3))]
    y = b.pack(xs, 0)
    b.ops[-1].attrs.values_count = 3
    _refused(b.tflite([y]), "values_count=3")
    b = GraphBuilder("r", seed=1)
    _refused(b.tflite([b.space_to_depth(b.input((1, 5, 4, 1)), 2)]), "multiples of the block size")
    b = GraphBuilder("r", seed=1)
    _refused(b.tflite([b.depth_to_space(b.input((1, 2, 2, 6)), 2)]), "multiple of the block size squared")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 3, 3, 2))
    y = b.resize_nearest_neighbor(x, (6, 6))
    b.ops[-1].inputs[1].data = None
    _refused(b.tflite([y]), "Non-constant >size<")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 1), dtype="float32")
    _refused(b.tflite([b.resize_bilinear(x, (8, 8))]), "float32")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 1), dtype="int16")
    _refused(b.tflite([b.space_to_depth(x, 2)]), "supported: float32, int8")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 2))
    y = b.transpose_conv(x, 3)
    b.ops[-1].inputs[1].data = None
    _refused(b.tflite([y]), "not constant")
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 2))
    _refused(b.tflite([b.space_to_batch_nd(x, [2, 2], [[1, 1], [0, 0]])]), "never-initialized")
    b = GraphBuilder("r", seed=1)
    x = b.input((4, 2, 2, 1))
    y = b.batch_to_space_nd(x, [2, 2], [[0, 0], [0, 0]])
    b.ops[-1].inputs[2].data = np.array([[0, 0], [-1, 1]], dtype=np.int32)
    _refused(b.tflite([y]), "receive no input pixel")


def test_refused_like_tflm():
    """Where TFLM's Prepare refuses, tinygen refuses too (the reverse case, models TFLM runs
    out of bounds, is covered by test_refusals)."""
    cases = []
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 1))
    cases.append((b.tflite([b.resize_bilinear(x, (8, 8), align_corners=True, half_pixel_centers=True)]),
                  [((1, 4, 4, 1), np.int8)], "align_corners with half_pixel_centers"))
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 2, 2, 2, 2))
    cases.append((b.tflite([b.strided_slice(x, [0] * 5, [1] * 5, [1] * 5)]), [((1, 2, 2, 2, 2), np.int8)],
                  "ranks 1 to 4"))
    b = GraphBuilder("r", seed=1)
    x = b.input((4, 5))
    y = b.strided_slice(x, [0, 0], [4, 5], [1, 1])
    y.shape = (4, 4)
    cases.append((b.tflite([y]), [((4, 5), np.int8)], "produces \\[4, 5\\]"))
    b = GraphBuilder("r", seed=1)
    cases.append((b.tflite([b.resize_nearest_neighbor(b.input((1, 3, 3, 1), dtype="int32"), (6, 6))]),
                  [((1, 3, 3, 1), np.int32)], "supported: float32, int8, int16"))
    b = GraphBuilder("r", seed=1)
    x = b.input((1, 4, 4, 3))
    cases.append((b.tflite([b.gather(x, np.array([0, 1], dtype=np.int32), axis=5)]), [((1, 4, 4, 3), np.int8)],
                  "out of range"))
    b = GraphBuilder("r", seed=1)
    x = b.input((2, 3, 4))
    cases.append((b.tflite([b.reverse_v2(x, [0, 2])]), [((2, 3, 4), np.int8)], "not adjacent"))
    b = GraphBuilder("r", seed=1)
    x = b.input((2, 3))
    y = b.broadcast_to(x, (4, 2, 3))
    y.shape = (4, 2, 4)
    cases.append((b.tflite([y]), [((2, 3), np.int8)], "has shape \\[4, 2, 4\\]"))
    for model, inputs, match in cases:
        assert _tflm_refuses(model, inputs), match
        _refused(model, match)


# -- patch-based inference -----------------------------------------------------------------------
def _patch_spec(data: bytes, c: dict) -> str | None:
    from tinygen.frontend import parse_tflite
    from tinygen.patching.stage import stage_candidates

    g = parse_tflite(data)
    ks = [k for k in stage_candidates(g) if g.ops[k - 1].outputs[0].shape[1] >= 2]
    if not ks:
        return None
    k = ks[min(len(ks) - 1, int(c["k_frac"] * len(ks)))]
    out = g.ops[k - 1].outputs[0]
    return f"{k}:{min(c['grid'][0], out.shape[1])}x{min(c['grid'][1], out.shape[2])}"


@settings(max_examples=2)
@given(st.lists(CASES["SPATIAL_PATCH_CNN"][0], min_size=8, max_size=8))
def test_patch_stages_through_spatial_operators(cases):
    """MIRROR_PAD, RESIZE_* and TRANSPOSE_CONV inside patch stages (each patch reads its region of
    their inputs in place): patched models bit-exact with TFLM and with the unpatched ones."""
    items, plain, spatial_in_stage, spatial_left = [], [], 0, 0
    for i, c in enumerate(cases):
        b = build_spatial_cnn(c)
        data = b.tflite([b.final])
        spec = _patch_spec(data, c)
        if spec is None:
            continue
        cm = compile_model(data, CompileOptions(name=f"p{i}", patches=spec))
        assert cm.patches.applied
        stage = next(op.attrs.stage for op in cm.graph.ops if op.kind == "TG_PATCH_STAGE")
        spatial_in_stage += sum(op.kind in SPATIAL_CASES for op in stage.ops)
        items.append((cm, data))
        plain.append(compile_model(data, CompileOptions(name=f"u{i}")))
        spatial_left += sum(op.kind in SPATIAL_CASES for op in plain[-1].graph.ops)
    # (remove_noops may take every spatial operator away: a MIRROR_PAD with zero paddings)
    assert spatial_in_stage > 0 or spatial_left == 0
    reports = check_compiled(items, n_random=2)
    bad = [(r.first_diverging_op, cm.patches.to_dict()) for r, (cm, _) in zip(reports, items) if not r.bit_exact]
    assert not bad, bad[:2]
    hosts = build_host([cm for cm, _ in items] + plain)
    rng = np.random.default_rng(0)
    for hp, hu, (cm, _) in zip(hosts[: len(items)], hosts[len(items):], items):
        x = rng.integers(-128, 128, cm.graph.inputs[0].shape).astype(np.int8)
        np.testing.assert_array_equal(hp.invoke([x])[0], hu.invoke([x])[0])
