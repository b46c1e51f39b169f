"""Graph optimization passes (fold_pad, remove_noops, place_float_io): every optimized model
bit-identical to TFLite Micro running the original, each pass doing what it claims on the cases
where it must (and keeping the operator where it must not), and each off switch honoured."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.ops_graph_opt import graph_opt_graph
from tinygen.testing.strategies import CASES
from tinygen.toolchain.host import build_host

OFF = CompileOptions(fold_pad=False, remove_noops=False, place_float_io=False)


@settings(max_examples=6)
@given(st.lists(CASES["GRAPH_OPT"][0], min_size=12, max_size=12))
def test_optimized_graphs_are_bit_exact(cases):
    models = []
    for c in cases:
        b = GraphBuilder("graphopt", seed=c["seed"])
        models.append(b.tflite([graph_opt_graph(b, c)]))
    assert_bit_exact(models, n_random=3)
    for c, data in zip(cases, models):
        cm = compile_model(data)
        kinds = [op.kind for op in cm.graph.ops]
        # PAD before a convolution with the zero point as pad value is always folded
        if all(blk["kind"] in ("conv", "dw") and blk["value"] == "zp" for blk in c["blocks"]):
            assert "PAD" not in kinds and "PADV2" not in kinds, (kinds, cm.pads.to_dict())
        # the no-ops the case inserted are gone; a float NCHW input is quantized before its transpose
        assert "CONCATENATION" not in kinds and "QUANTIZE" not in kinds[2:], kinds
        if c["nchw_float"]:
            assert kinds[0] == "QUANTIZE" and kinds[1] in ("TRANSPOSE", "RESHAPE"), kinds  # RESHAPE: 1 channel
        off = compile_model(data, OFF)
        assert off.pads is None and off.noops is None and off.float_io is None
        assert cm.arena_bytes <= off.arena_bytes


def _pad_conv(kind: str, value=None, pads=((1, 1), (1, 1)), act="RELU", producer_act="NONE", filt=3, stride=2,
              extra_reader=False):
    b = GraphBuilder("pad", seed=3)
    x = b.input((1, 9, 10, 4))
    x = b.conv2d(x, 4, kernel=(1, 1), activation=producer_act)
    p = b.pad(x, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]], constant=value)
    if kind == "conv":
        y = b.conv2d(p, 5, kernel=(filt, filt), stride=(stride, stride), padding="VALID", activation=act)
    elif kind == "dw":
        y = b.depthwise_conv2d(p, kernel=(filt, filt), stride=(stride, stride), padding="VALID", activation=act)
    elif kind == "max":
        y = b.max_pool2d(p, filter=(filt, filt), stride=(stride, stride), padding="VALID", activation=act)
    else:
        y = b.avg_pool2d(p, filter=(filt, filt), stride=(stride, stride), padding="VALID", activation=act)
    outs = [y]
    if extra_reader:
        outs.append(b.relu(p))
    return b.tflite(outs)


def test_fold_and_keep_decisions_are_exact():
    cases = {
        "conv": (_pad_conv("conv"), True, None),
        "dw asymmetric": (_pad_conv("dw", pads=((0, 2), (2, 1))), True, None),
        "conv PADV2 at the zero point": (None, True, None),
        "conv pad value not the zero point": (_pad_conv("conv", value=5), False, "not the zero point"),
        "max after RELU, pad at zero point": (_pad_conv("max", producer_act="RELU"), True, None),
        "max, pad -128": (_pad_conv("max", value=-128), True, None),
        "max, pad can win": (_pad_conv("max", value=100), False, "can exceed"),
        "max, window of padding alone": (_pad_conv("max", value=-128 + 0, pads=((3, 0), (0, 0)), filt=2, stride=2),
                                         True, None),
        "average pool": (_pad_conv("avg"), False, "cannot take the padding"),
        "two readers": (_pad_conv("conv", extra_reader=True), False, "cannot take the padding"),
    }
    # PADV2 whose constant is the zero point: build it with the zero point of the padded tensor
    b = GraphBuilder("padv2", seed=5)
    x = b.input((1, 7, 7, 3))
    p = b.pad(x, [[0, 0], [2, 0], [0, 1], [0, 0]], constant=x.quant.zp)
    cases["conv PADV2 at the zero point"] = (b.tflite([b.conv2d(p, 4, stride=(2, 2), padding="SAME")]), True, None)
    models = []
    for name, (data, folded, reason) in cases.items():
        cm = compile_model(data)
        r = cm.pads
        if folded:
            assert r.folded and not r.kept, (name, r.to_dict())
            assert not any(op.kind in ("PAD", "PADV2") for op in cm.graph.ops), name
        else:
            assert r.kept and reason in r.kept[0].reason, (name, r.to_dict())
            assert any(op.kind in ("PAD", "PADV2") for op in cm.graph.ops), name
        models.append(data)
    assert_bit_exact(models, n_random=4)


def test_max_pool_window_of_padding_alone_keeps_a_pad_that_would_show():
    # 3 rows of padding above a 2x2/2 pool: output row 0 sees padding only, where TFLM outputs the
    # pad value (the zero point, above -128) and the kernel -128: the PAD must stay
    data = _pad_conv("max", pads=((3, 0), (0, 0)), filt=2, stride=2, producer_act="RELU", act="NONE")
    cm = compile_model(data)
    pad = next(op for op in compile_model(data, OFF).graph.ops if op.kind == "PAD")
    assert pad.outputs[0].quant.zp > -128
    assert not cm.pads.folded and "padding alone" in cm.pads.kept[0].reason, cm.pads.to_dict()
    assert_bit_exact([data], n_random=4)


def test_fold_removes_the_padded_tensor_from_the_peak():
    b = GraphBuilder("pt", seed=2)
    x = b.input((1, 32, 32, 8))
    y = b.conv2d(x, 48, kernel=(1, 1), activation="RELU6")
    p = b.pad(y, [[0, 0], [1, 1], [1, 1], [0, 0]])
    y = b.depthwise_conv2d(p, stride=(2, 2), padding="VALID", activation="RELU6")
    data = b.tflite([b.conv2d(y, 8, kernel=(1, 1))])
    on, off = compile_model(data), compile_model(data, replace(OFF, fold_pad=False))
    assert on.pads.folded[0].bytes_saved == 34 * 34 * 48
    # without the fold the PAD's input and output are live together: 32x32x48 + 34x34x48
    assert off.arena_bytes >= 32 * 32 * 48 + 34 * 34 * 48
    assert on.arena_bytes < off.arena_bytes - 34 * 34 * 48 // 2
    assert_bit_exact([data], n_random=3)


def test_remove_noops():
    b = GraphBuilder("noops", seed=1)
    x = b.input((1, 6, 6, 4))
    y = b.reshape(b.reshape(x, (1, 36, 4)), (1, 6, 6, 4))            # a chain back to the shape
    y = b.conv2d(y, 4, kernel=(1, 1))
    y = b.quantize(y, out_quant=b.quant(float(y.quant.s), y.quant.zp))  # identical requantization
    y = b.concatenation([y], axis=3)                                   # one input
    y = b.pad(y, [[0, 0]] * 4)                                         # zero padding
    y = b.quantize(b.dequantize(y), out_quant=b.quant(float(y.quant.s), y.quant.zp))  # float round trip
    y = b.transpose(b.reshape(y, (1, 6, 6, 1, 4)), (0, 1, 3, 2, 4))    # moves a size-1 axis only
    y = b.conv2d(b.reshape(y, (1, 6, 6, 4)), 3, kernel=(1, 1))
    data = b.tflite([y])
    cm = compile_model(data)
    kinds = [op.kind for op in cm.graph.ops]
    assert kinds.count("CONV_2D") == 2
    for k in ("QUANTIZE", "DEQUANTIZE", "CONCATENATION", "PAD", "TRANSPOSE"):
        assert k not in kinds, (k, kinds, cm.noops.to_dict())
    assert cm.noops.transposes_to_reshape == ["TRANSPOSE #9"]
    off = compile_model(data, replace(OFF))
    assert len(off.graph.ops) == 12 and len(cm.graph.ops) < 6
    assert cm.arena_bytes <= off.arena_bytes
    assert_bit_exact([data], n_random=3)


def test_graph_output_noop_is_kept_when_it_would_alias_an_input():
    b = GraphBuilder("io", seed=1)
    x = b.input((1, 4, 4, 2))
    y = b.quantize(x, out_quant=b.quant(float(x.quant.s), x.quant.zp))
    cm = compile_model(b.tflite([y]))
    assert [op.kind for op in cm.graph.ops] == ["QUANTIZE"] and not cm.noops.removed


def test_float_io_placement_moves_int8_instead_of_float():
    b = GraphBuilder("nchw", seed=4)
    x = b.input((1, 3, 24, 20), dtype="float32")
    q = b.quantize(b.transpose(x, (0, 2, 3, 1)))
    y = b.conv2d(q, 8, stride=(2, 2), activation="RELU")
    d = b.transpose(b.dequantize(y), (0, 3, 1, 2))                    # NCHW float output
    data = b.tflite([d])
    cm, off = compile_model(data), compile_model(data, replace(OFF, place_float_io=False))
    assert [op.kind for op in cm.graph.ops] == ["QUANTIZE", "TRANSPOSE", "CONV_2D", "TRANSPOSE", "DEQUANTIZE"]
    assert [op.kind for op in off.graph.ops] == ["TRANSPOSE", "QUANTIZE", "CONV_2D", "DEQUANTIZE", "TRANSPOSE"]
    assert [m.bytes_saved for m in cm.float_io.moved] == [3 * 24 * 20 * 4, 8 * 12 * 10 * 4]
    # the float input (5760 B) and its float transpose (5760 B, overlapping it only in part) were
    # live together; now the int8 copy is written over the float input
    assert off.arena_bytes >= 3 * 24 * 20 * 4 + 3 * 24 * 20
    assert cm.arena_bytes < off.arena_bytes
    assert_bit_exact([data], n_random=3)
    # both builds agree on the host too, bit for bit (floats compared as bits)
    h_on, h_off = build_host([cm, compile_model(data, replace(OFF, name="off"))])
    xs = [np.random.default_rng(0).normal(0, 2, x.shape).astype(np.float32)]
    assert h_on.invoke(xs)[0].tobytes() == h_off.invoke(xs)[0].tobytes()


def test_cli_off_switches(tmp_path):
    import json

    from click.testing import CliRunner

    from tinygen.cli import cli

    b = GraphBuilder("cli", seed=2)
    x = b.input((1, 3, 16, 16), dtype="float32")
    q = b.quantize(b.transpose(x, (0, 2, 3, 1)))
    y = b.conv2d(b.pad(q, [[0, 0], [1, 1], [1, 1], [0, 0]]), 8, stride=(2, 2), padding="VALID")
    y = b.reshape(b.reshape(y, (1, 512)), (1, 8, 8, 8))
    m = tmp_path / "m.tflite"
    m.write_bytes(b.tflite([y]))
    reps = {}
    for flags in ((), ("--no-fold-pad",), ("--no-remove-noops",), ("--no-float-io-placement",)):
        out = tmp_path / f"{len(reps)}.json"
        r = CliRunner().invoke(cli, ["mem", str(m), "--json", str(out), *flags])
        assert r.exit_code == 0, r.output
        reps[flags] = json.loads(out.read_text())["graph_optimizations"]
        if not flags:
            assert "graph optimizations: 1 PAD folded" in r.output
    assert len(reps[()]["fold_pad"]["folded"]) == 1 and "fold_pad" not in reps[("--no-fold-pad",)]
    assert len(reps[()]["remove_noops"]["removed"]) == 2 and "remove_noops" not in reps[("--no-remove-noops",)]
    assert len(reps[()]["place_float_io"]["moved"]) == 1 and "place_float_io" not in reps[("--no-float-io-placement",)]


def _stage_spec(cm, c) -> str | None:
    from tinygen.patching.stage import stage_candidates

    g = cm.graph
    ks = [k for k in stage_candidates(g) if g.ops[k - 1].outputs[0].shape[1] >= 2]
    if not ks:
        return None
    k = ks[min(len(ks) - 1, int(c["k_frac"] * len(ks)))]
    out = g.ops[k - 1].outputs[0]
    return f"{k}:{min(c['grid'][0], out.shape[1])}x{min(c['grid'][1], out.shape[2])}"


@settings(max_examples=3)
@given(st.lists(CASES["PATCH_FRONT"][0], min_size=8, max_size=8), st.booleans())
def test_patch_stages_cross_layout_pad_quantize_concat_broadcast(cases, fold):
    """Forced stages over QUANTIZE / TRANSPOSE of an NCHW input, PAD (kept when fold is off),
    CONCATENATION, broadcasting ADD/MUL, DEQUANTIZE: bit-exact with TFLM and with the unpatched
    build on the host."""
    from tinygen.check import check_compiled
    from tinygen.testing.ops_graph_opt import patch_front_graph

    items, plain = [], []
    for i, c in enumerate(cases):
        b = GraphBuilder("front", seed=c["seed"])
        data = b.tflite([patch_front_graph(b, c)])
        base = compile_model(data, CompileOptions(name=f"u{i}", fold_pad=fold))
        spec = _stage_spec(base, c)
        if spec is None:
            continue
        cm = compile_model(data, CompileOptions(name=f"p{i}", patches=spec, fold_pad=fold))
        assert cm.patches.applied
        items.append((cm, data))
        plain.append(base)
    assert len(items) >= 4
    reports = check_compiled(items, n_random=2)
    bad = [(r.first_diverging_op, cm.patches.to_dict()) for r, (cm, _) in zip(reports, items) if not r.bit_exact]
    assert not bad, bad[:2]
    hosts = build_host([cm for cm, _ in items] + plain)
    rng = np.random.default_rng(0)
    for hp, hu, (cm, _) in zip(hosts[: len(items)], hosts[len(items):], items):
        t = cm.graph.inputs[0]
        x = rng.normal(0, 1, t.shape).astype(np.float32) if t.dtype == "float32" else \
            rng.integers(-128, 128, t.shape).astype(np.int8)
        assert hp.invoke([x])[0].tobytes() == hu.invoke([x])[0].tobytes()


def test_patch_search_finds_stages_on_a_float_nchw_model_with_pads():
    """The issue's case: QUANTIZE (float input) / TRANSPOSE (NCHW) then PAD first: the search used
    to find no candidate at all; now the stage starts at the graph input, and reads it in place."""
    from tinygen.check import check_compiled
    from tinygen.testing.mobilenet import mobilenet_v2_pytorch

    data = mobilenet_v2_pytorch(0.35, 48, classes=10)
    cm = compile_model(data, CompileOptions(name="pm", patches="min", io_in_arena=False, max_overhead=0.3))
    p = cm.patches
    assert p.applied and p.candidates > 20, p.to_dict()
    assert cm.arena_bytes < p.peak_without_patches_bytes / 2
    (rep,) = check_compiled([(cm, data)], n_random=2)
    assert rep.bit_exact


def test_patch_rows_of_a_constant_operand_differ_per_patch():
    """A constant ADD operand broadcast along the width ([1, H, 1, C]) is sliced per patch; with
    patches on different rows the loop body cannot name one slice, so that step is emitted per
    patch (the loop used to add the first patch's rows everywhere)."""
    from tinygen.check import check_compiled
    from tinygen.testing.ops_graph_opt import patch_front_graph

    c = {"kind": "PATCH_FRONT", "h": 9, "w": 13, "c": 2, "input": "nhwc", "pad": [[1, 1], [1, 2]], "stride": 1,
         "mid": "bcast_h", "pad2": False, "float_stage_out": True, "k_frac": 0.5, "grid": (4, 4), "seed": 1500}
    b = GraphBuilder("pf", seed=c["seed"])
    data = b.tflite([patch_front_graph(b, c)])
    items = [(compile_model(data, CompileOptions(name=f"r{i}", patches=spec)), data)
             for i, spec in enumerate(["2:2x1", "4:4x4"])]
    assert all(cm.patches.applied for cm, _ in items)
    assert all(rep.bit_exact for rep in check_compiled(items, n_random=2))


def test_nchw_input_transpose_writes_over_its_input():
    """The input TRANSPOSE of an NCHW model is not a second full image: its output overlaps the
    input it consumes, as far as its write order allows ((H*W - 1) * (C - 1) bytes below it)."""
    b = GraphBuilder("nchw", seed=6)
    x = b.input((1, 3, 20, 24))
    y = b.conv2d(b.transpose(x, (0, 2, 3, 1)), 2, kernel=(3, 3), stride=(2, 2))
    data = b.tflite([y])
    cm = compile_model(data)
    tr = cm.graph.ops[0]
    assert tr.kernel.overlap == ((0, 0, (20 * 24 - 1) * 2),)
    image = 3 * 20 * 24
    assert cm.arena_bytes < 2 * image and cm.plan.overlaps
    assert_bit_exact([data], n_random=3)


def test_transpose_absorbed_by_mean():
    b = GraphBuilder("tmean", seed=8)
    x = b.input((1, 5, 6, 4))
    pooled = b.mean(b.transpose(x, (0, 3, 1, 2)), axes=(2, 3), keep_dims=False)   # NCHW global pool
    chan = b.mean(b.transpose(x, (0, 3, 1, 2)), axes=(1,), keep_dims=False)       # kept axes in order
    kept = b.mean(b.transpose(x, (0, 2, 1, 3)), axes=(3,), keep_dims=False)       # H, W swapped: kept
    data = b.tflite([pooled, chan, kept])
    cm = compile_model(data)
    whys = [r.why for r in cm.noops.removed]
    assert sorted(w.split(" (")[1] for w in whys) == ["axes [1, 2])", "axes [3])"], whys
    assert [op.kind for op in cm.graph.ops].count("TRANSPOSE") == 1
    assert_bit_exact([data], n_random=4)
