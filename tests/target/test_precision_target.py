"""Mixed precision natively on the emulated Cortex-M4 against TensorFlow Lite Micro: the same seeded
random cases as tests/host/test_precision.py (int4 weights: CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED; 16x8: those plus int16 AVERAGE/MAX_POOL_2D and SOFTMAX, with int64 biases, and the
convolutions and fully connected layers with int32 biases too), each model compiled once
per kernel variant (the DSP tiers forced on every operator offering them, the portable kernels, and
the compiler's own choice, which picks the in-place 16x8 depthwise kernel), all of one precision in
ONE firmware: one build, one emulation per input set."""

from collections import Counter
from dataclasses import replace

import pytest

from tinygen.boards import load_board
from tinygen.options import CompileOptions
from tinygen.target import check_compiled_on_board
from tinygen.testing.precision_cases import INT4_FAMILIES, S16_FAMILIES, build_models, random_cases
from tinygen.testing.variants import compile_forced

BOARD = "generic-m4"
N_CASES = 72
MIN_CASES = 64
VARIANTS = {"int4": ("portable", "dsp", "dsp-mid", "dsp-min", None), "16x8": ("portable", "dsp", "dsp-min", None),
            "16x8-b32": ("portable", "dsp", "dsp-min")}
#: kernels that must each have run at least MIN_CASES cases in the firmware
KERNELS = {
    "int4": ("tg_conv_s4", "tg_depthwise_conv_s4", "tg_fully_connected_s4", "tg_conv_dsp_s4",
             "tg_depthwise_conv_dsp_s4", "tg_fully_connected_dsp_s4"),
    "16x8": ("tg_conv_s16", "tg_depthwise_conv_s16", "tg_fully_connected_s16", "tg_avgpool_s16", "tg_maxpool_s16",
             "tg_softmax_s16", "tg_conv_dsp_s16", "tg_depthwise_conv_dsp_s16", "tg_fully_connected_dsp_s16",
             "tg_depthwise_conv_inplace_dsp_s16"),
    "16x8-b32": ("tg_conv_s16", "tg_fully_connected_s16", "tg_conv_dsp_s16", "tg_fully_connected_dsp_s16"),
}


def _models(precision: str) -> list[bytes]:
    if precision == "16x8-b32":  # TFLM's int32-accumulator 16x8 path: int32 biases (or quantized_bias_type INT32)
        cases = [c for i, f in enumerate(("conv", "fc")) for c in random_cases(f, N_CASES, seed=250 + i)]
        return build_models(cases, precision, per_model=8, seed=25)
    fams = INT4_FAMILIES if precision == "int4" else S16_FAMILIES
    cases = [c for i, f in enumerate(fams) if f != "dwip" for c in random_cases(f, N_CASES, seed=230 + i)]
    cases += random_cases("gconv", 16, seed=245)  # grouped convolutions: portable kernels
    out = build_models(cases, precision, per_model=8, seed=23)
    if precision == "16x8":
        out += build_models(random_cases("dwip", MIN_CASES, seed=240), precision, per_model=1, seed=24)
    return out


@pytest.mark.parametrize("precision", ["int4", "16x8", "16x8-b32"])
def test_precision_kernels_on_m4(precision):
    board = load_board(BOARD)
    models = _models(precision)
    base = CompileOptions(cpu=board.core, alignment=board.arena_alignment, planner="heuristic")
    cms, data = [], []
    for v in VARIANTS[precision]:
        for i, m in enumerate(models):
            cms.append(compile_forced(m, replace(base, name=f"m_{(v or 'auto').replace('-', '_')}_{i}"), v))
            data.append(m)
    used = Counter(op.kernel.function for cm in cms for op in cm.graph.ops if op.kernel is not None and op.kernel.function)
    for fn in KERNELS[precision]:
        assert used[fn] >= MIN_CASES, f"only {used[fn]} cases ran {fn}: {dict(used)}"
    results = check_compiled_on_board(cms, data, board, n_random=1)
    bad = [r for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)}/{len(results)} models differ from TFLM on {BOARD}; first: {bad[0]}"
