"""DEPTHWISE_CONV_2D over one input channel (depth multiplier M) runs on the fast convolution
kernels as the CONV_2D with M output channels of depth 1 (micro_speech's first layer: 10x8,
stride 2, multiplier 8; with M = 1 the fast depthwise kernel applies). Every forced variant is bit-exact with TFLM on the host build (the
kernels' plain-C intrinsics) and on the emulated Cortex-M0+ (scalar) and M4 (DSP tiers and the scalar fallback)."""

from __future__ import annotations

import random

import pytest

from tinygen.check import check_compiled
from tinygen.options import CompileOptions
from tinygen.target import check_compiled_on_board
from tinygen.testing import GraphBuilder
from tinygen.testing.variants import compile_forced

N_CASES = 24
VARIANTS = {"cortex-m0plus": ["scalar"], "cortex-m4": ["dsp", "dsp-mid", "dsp-min", "scalar"]}
BOARDS = {"cortex-m0plus": "generic-m0plus", "cortex-m4": "generic-m4"}


def _cases() -> list[bytes]:
    rng = random.Random(2026)
    out = []
    for i in range(N_CASES):
        b = GraphBuilder(f"dw1_{i}", seed=300 + i)
        h, w = rng.randint(1, 14), rng.randint(1, 14)
        x = b.input((1, h, w, 1))
        kh, kw = rng.randint(1, min(5, h + 2)), rng.randint(1, min(5, w + 2))
        y = b.depthwise_conv2d(x, multiplier=rng.choice([2, 3, 5, 8, 16]), kernel=(kh, kw),
                               stride=(rng.randint(1, 3), rng.randint(1, 3)), padding=rng.choice(["SAME", "VALID"]),
                               activation=rng.choice(["NONE", "RELU", "RELU6"]), per_channel=rng.random() < 0.7,
                               bias=rng.random() < 0.8)
        if y.shape[1] < 1 or y.shape[2] < 1:
            continue
        out.append(b.tflite([y]))
    # micro_speech's geometry
    b = GraphBuilder("dw1_speech", seed=7)
    x = b.input((1, 49, 40, 1))
    out.append(b.tflite([b.depthwise_conv2d(x, multiplier=8, kernel=(10, 8), stride=(2, 2), activation="RELU")]))
    return out


def _compiled(cpu: str) -> tuple[list, list[bytes]]:
    models = _cases()
    cms, data = [], []
    for v in VARIANTS[cpu]:
        for i, m in enumerate(models):
            cm = compile_forced(m, CompileOptions(name=f"m_{v.replace('-', '_')}_{i}", cpu=cpu), v)
            dw = [op for op in cm.graph.ops if op.kind == "DEPTHWISE_CONV_2D"]
            assert dw and all(op.kernel.variant == v for op in dw), (v, i, [op.kernel.variant for op in dw])
            cms.append(cm)
            data.append(m)
    return cms, data


@pytest.mark.parametrize("cpu", sorted(VARIANTS))
def test_single_channel_depthwise_as_fast_convolution(cpu):
    cms, data = _compiled(cpu)
    reps = check_compiled(list(zip(cms, data)), n_random=2)
    bad = [r.model for r in reps if not r.bit_exact]
    assert not bad, f"host build differs from TFLM: {bad}"
    results = check_compiled_on_board(cms, data, BOARDS[cpu], n_random=1)
    bad = [r for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)}/{len(results)} differ from TFLM on {BOARDS[cpu]}; first: {bad[0]}"


def test_the_compiler_picks_it_where_the_arena_allows():
    """The scalar kernel needs no scratch: micro_speech-like layers take it on the M0+, and on the
    M4, where the DSP tiers' scratch would grow the arena."""
    from tinygen.compiler import compile_model

    b = GraphBuilder("speech", seed=7)
    x = b.input((1, 49, 40, 1))
    m = b.tflite([b.depthwise_conv2d(x, multiplier=8, kernel=(10, 8), stride=(2, 2), activation="RELU")])
    portable = compile_model(m, CompileOptions(cpu="generic"))
    for cpu in ("cortex-m0plus", "cortex-m4"):
        cm = compile_model(m, CompileOptions(cpu=cpu))
        assert [op.kernel.function for op in cm.graph.ops] == ["tg_conv_scalar_s8"], cpu
        assert cm.arena_bytes == portable.arena_bytes
