"""Patch-based inference on the host: patched vs unpatched vs TFLite Micro, bit for bit, on random
CNNs (odd sizes, stride 2, dilation, 3x3/5x5/7x7 depthwise, pooling, residual ADD)."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.frontend import parse_tflite
from tinygen.options import CompileOptions
from tinygen.patching.stage import stage_candidates
from tinygen.testing.ops_patches import build_cnn
from tinygen.testing.strategies import CASES
from tinygen.toolchain.host import build_host


def _spec(data: bytes, c: dict) -> str | None:
    ks = [k for k in stage_candidates(parse_tflite(data)) if k >= 1]
    g = parse_tflite(data)
    ks = [k for k in ks if g.ops[k - 1].outputs[0].shape[1] >= 2]
    if not ks:
        return None
    k = ks[min(len(ks) - 1, int(c["k_frac"] * len(ks)))]
    out = g.ops[k - 1].outputs[0]
    gy, gx = min(c["grid"][0], out.shape[1]), min(c["grid"][1], out.shape[2])
    return f"{k}:{gy}x{gx}"


@settings(max_examples=10)
@given(st.lists(CASES["PATCH_CNN"][0], min_size=8, max_size=8))
def test_patched_models_are_bit_exact(cases):
    items, plain = [], []
    for i, c in enumerate(cases):
        b = build_cnn(c)
        data = b.tflite([b.final])
        spec = _spec(data, c)
        if spec is None:
            continue
        cm = compile_model(data, CompileOptions(name=f"p{i}", patches=spec))
        assert cm.patches.applied
        items.append((cm, data))
        plain.append(compile_model(data, CompileOptions(name=f"u{i}")))
    reports = check_compiled(items, n_random=3)
    bad = [(r.first_diverging_op, cm.patches.to_dict()) for r, (cm, _) in zip(reports, items) if not r.bit_exact]
    assert not bad, bad[:2]
    # patched == unpatched on the host as well (same inputs)
    hosts = build_host([cm for cm, _ in items] + plain)
    rng = np.random.default_rng(0)
    for hp, hu, (cm, _) in zip(hosts[: len(items)], hosts[len(items):], items):
        x = rng.integers(-128, 128, cm.graph.inputs[0].shape).astype(np.int8)
        np.testing.assert_array_equal(hp.invoke([x])[0], hu.invoke([x])[0])


def test_auto_lowers_the_peak_of_a_cnn_with_a_big_first_stage():
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("big", seed=4)
    x = b.input((1, 48, 48, 3))
    y = b.conv2d(x, 16, stride=(2, 2), activation="RELU6")
    y = b.depthwise_conv2d(y, activation="RELU6")
    y = b.conv2d(y, 32, kernel=(1, 1), activation="RELU6")
    y = b.depthwise_conv2d(y, stride=(2, 2), activation="RELU6")
    y = b.conv2d(y, 16, kernel=(1, 1))
    y = b.depthwise_conv2d(y, stride=(2, 2))
    y = b.avg_pool2d(y, filter=(6, 6), stride=(1, 1))
    data = b.tflite([y])
    plain = compile_model(data, CompileOptions(name="plain"))
    cm = compile_model(data, CompileOptions(name="auto_patches", patches="auto", max_overhead=0.3))
    info = cm.patches.to_dict()
    assert info["applied"], info
    assert info["mac_overhead_percent"] <= 30.0
    assert cm.arena_bytes < plain.arena_bytes
    assert info["peak_without_patches_bytes"] == plain.arena_bytes
    (rep,) = check_compiled([(cm, data)], n_random=3)
    assert rep.bit_exact


def test_bad_patch_spec_is_a_clear_error():
    from tinygen.errors import TinygenError
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("s", seed=1)
    x = b.input((1, 8, 8, 2))
    y = b.conv2d(x, 2)
    z = b.softmax(b.reshape(y, (1, 128))) if hasattr(b, "reshape") else y
    data = b.tflite([z])
    with pytest.raises(TinygenError, match="K:NxM"):
        compile_model(data, CompileOptions(patches="banana"))
    if z is not y:
        with pytest.raises(TinygenError, match="cannot run as a patch stage"):
            compile_model(data, CompileOptions(patches="3:2x2"))


def test_auto_with_an_sram_budget_takes_the_least_overhead_that_fits():
    from tinygen.frontend import parse_tflite
    from tinygen.ir import Target
    from tinygen.passes import lower
    from tinygen.patching.search import search
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("budget", seed=5)
    x = b.input((1, 40, 40, 3))
    y = b.conv2d(x, 16, stride=(2, 2), activation="RELU6")
    y = b.depthwise_conv2d(y, activation="RELU6")
    y = b.conv2d(y, 24, kernel=(1, 1))
    y = b.depthwise_conv2d(y, stride=(2, 2))
    y = b.avg_pool2d(y, filter=(10, 10), stride=(1, 1))
    data = b.tflite([y])
    plain = compile_model(data, CompileOptions(name="plain")).arena_bytes
    g = parse_tflite(data)
    lower.run(g, Target())
    _, found = search(g, CompileOptions(patches="auto", max_overhead=0.5), Target(), plain)
    fitting = sorted({c.peak_bytes for c in found if c.peak_bytes < plain})
    assert fitting, "no candidate lowers the peak"
    budget = fitting[len(fitting) // 2]
    cm = compile_model(data, CompileOptions(name="fit", patches="auto", max_overhead=0.5, sram_budget=budget))
    info = cm.patches.to_dict()
    assert info["applied"] and cm.arena_bytes <= budget + 64  # the estimate vs the final plan
    least = min(c.mac_overhead for c in found if c.peak_bytes <= budget)
    assert abs(info["mac_overhead_percent"] / 100 - least) < 1e-9
    # a budget the plain model already meets: no patches
    cm2 = compile_model(data, CompileOptions(name="nofit", patches="auto", sram_budget=plain))
    assert not cm2.patches.applied


def test_patched_with_the_input_outside_the_arena():
    """The stage reads the caller's input buffer in place (MCUNetV2's accounting of the image)."""
    from tinygen.testing.mobilenet import mobilenet_v2

    data = mobilenet_v2(0.35, 48, classes=10, seed=3)
    inside = compile_model(data, CompileOptions(name="mn_in", patches="auto"))
    outside = compile_model(data, CompileOptions(name="mn_out", patches="auto", io_in_arena=False))
    assert outside.patches.applied
    assert outside.arena_bytes < inside.arena_bytes
    reports = check_compiled([(inside, data), (outside, data)], n_random=2)
    assert all(r.bit_exact for r in reports), [r.first_diverging_op for r in reports]


def test_patches_min_takes_the_least_peak_whatever_the_budget():
    """--patches min: the least peak within the overhead limit (an SRAM budget does not change it);
    --patches auto without a budget does the same."""
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("minpeak", seed=6)
    x = b.input((1, 40, 40, 3))
    y = b.conv2d(x, 16, stride=(2, 2), activation="RELU6")
    y = b.depthwise_conv2d(y, activation="RELU6")
    y = b.conv2d(y, 24, kernel=(1, 1))
    y = b.depthwise_conv2d(y, stride=(2, 2))
    y = b.avg_pool2d(y, filter=(10, 10), stride=(1, 1))
    data = b.tflite([y])
    least = compile_model(data, CompileOptions(name="least", patches="min", max_overhead=0.5))
    auto = compile_model(data, CompileOptions(name="auto_patches", patches="auto", max_overhead=0.5))
    loose = compile_model(data, CompileOptions(name="loose", patches="min", max_overhead=0.5,
                                               sram_budget=least.arena_bytes * 4))
    assert least.patches.applied and least.patches.requested == "min"
    assert (least.patches.k, least.patches.grid) == (auto.patches.k, auto.patches.grid)
    assert (loose.patches.k, loose.patches.grid) == (least.patches.k, least.patches.grid)
    fit = compile_model(data, CompileOptions(name="fit", patches="auto", max_overhead=0.5,
                                             sram_budget=least.arena_bytes * 4))
    assert fit.patches.mac_overhead_percent is None or \
        fit.patches.mac_overhead_percent <= least.patches.mac_overhead_percent
    (rep,) = check_compiled([(least, data)], n_random=2)
    assert rep.bit_exact
