"""Mixed precision against TensorFlow Lite Micro on the host build: int8 activations with packed int4
weights (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED) and 16x8 (those three plus int16
AVERAGE/MAX_POOL_2D and SOFTMAX), every kernel variant.

Seeded random cases (tinygen.testing.precision_cases), several per model, every model of a batch in
one host build. Each test forces one kernel variant on every operator that offers it
(tinygen.testing.variants.compile_forced) and counts the operators that really ran it: at least 64
cases for every kernel. The DSP kernels run here through the plain-C models of the instructions;
tests/target/test_precision_target.py runs them natively on the emulated Cortex-M4.
"""

from collections import Counter
from functools import cache

import numpy as np
import pytest

from tinygen.check import check_compiled
from tinygen.options import CompileOptions
from tinygen.testing.precision_cases import INT4_FAMILIES, S16_FAMILIES, build_models, random_cases
from tinygen.testing.variants import compile_forced

#: cases per family (a family's DSP kernel takes most of them: at least 64 are asserted)
N_CASES = 100
MIN_CASES = 64
#: the exact planner is slow on models of many independent branches; the plan is not under test
OPTS = dict(planner="heuristic")


@cache
def models(precision: str) -> tuple[bytes, ...]:
    if precision == "16x8-b32":  # TFLM's int32-accumulator 16x8 path (convolution, fully connected)
        cases = [c for i, f in enumerate(("conv", "fc")) for c in random_cases(f, 72, seed=150 + i)]
        return tuple(build_models(cases, precision, per_model=8, seed=15))
    fams = INT4_FAMILIES if precision == "int4" else S16_FAMILIES
    cases = [c for i, f in enumerate(fams) if f != "dwip" for c in random_cases(f, N_CASES, seed=130 + i)]
    cases += random_cases("gconv", 16, seed=145)  # grouped convolutions: portable kernels
    out = build_models(cases, precision, per_model=8, seed=13)
    if precision == "16x8":  # one depthwise layer per model: the in-place kernel gives the smallest arena
        out += build_models(random_cases("dwip", MIN_CASES, seed=140), precision, per_model=1, seed=14)
    return tuple(out)


def compile_all(precision: str, cpu: str | None, variant: str | None):
    return [compile_forced(m, CompileOptions(name=f"m{i}", cpu=cpu, **OPTS), variant)
            for i, m in enumerate(models(precision))]


def functions_used(cms) -> Counter:
    return Counter(op.kernel.function for cm in cms for op in cm.graph.ops if op.kernel is not None and op.kernel.function)


def assert_exact(cms, precision: str, n_random: int = 2):
    items = list(zip(cms, models(precision)))
    reports = check_compiled(items, n_random=n_random, labels=[f"{precision} model {i}" for i in range(len(items))])
    bad = [(r.model, r.mismatches[:1], r.first_diverging_op) for r in reports if not r.bit_exact]
    assert not bad, f"{len(bad)}/{len(reports)} models differ from TFLM; first: {bad[0]}"


#: (cpu, forced variant) -> kernels that must each have run at least MIN_CASES cases
INT4_RUNS = {
    (None, None): ("tg_conv_s4", "tg_depthwise_conv_s4", "tg_fully_connected_s4"),
    ("cortex-m4", "dsp"): ("tg_conv_dsp_s4", "tg_depthwise_conv_dsp_s4", "tg_fully_connected_dsp_s4"),
    ("cortex-m4", "dsp-mid"): ("tg_conv_dsp_s4",),
    ("cortex-m4", "dsp-min"): ("tg_conv_dsp_s4", "tg_depthwise_conv_dsp_s4"),
    ("cortex-m4", None): (),  # the compiler's own choice
}
S16_RUNS = {
    (None, None): ("tg_conv_s16", "tg_depthwise_conv_s16", "tg_fully_connected_s16", "tg_avgpool_s16",
                   "tg_maxpool_s16", "tg_softmax_s16"),
    ("cortex-m4", "dsp"): ("tg_conv_dsp_s16", "tg_depthwise_conv_dsp_s16", "tg_fully_connected_dsp_s16"),
    ("cortex-m4", "dsp-min"): ("tg_conv_dsp_s16",),
    ("cortex-m4", None): ("tg_depthwise_conv_inplace_dsp_s16",),
}


def _run_id(key):
    cpu, variant = key
    return f"{cpu or 'host'}-{variant or 'auto'}"


@pytest.mark.parametrize("key", list(INT4_RUNS), ids=_run_id)
def test_int4_weights_bit_exact(key):
    cpu, variant = key
    cms = compile_all("int4", cpu, variant)
    used = functions_used(cms)
    for fn in INT4_RUNS[key]:
        assert used[fn] >= MIN_CASES, f"only {used[fn]} cases ran {fn}: {dict(used)}"
    if variant is not None:  # every operator offering the variant runs it
        for cm in cms:
            for op in cm.graph.ops:
                if any(k.variant == variant for k in op.variants):
                    assert op.kernel.variant == variant
    assert_exact(cms, "int4")


@pytest.mark.parametrize("key", list(S16_RUNS), ids=_run_id)
def test_16x8_bit_exact(key):
    cpu, variant = key
    cms = compile_all("16x8", cpu, variant)
    used = functions_used(cms)
    for fn in S16_RUNS[key]:
        assert used[fn] >= MIN_CASES, f"only {used[fn]} cases ran {fn}: {dict(used)}"
    assert_exact(cms, "16x8")


def test_int4_models_keep_weights_packed():
    """The generated C holds the int4 weights packed: the model's constant bytes are about half the
    int8 original's weight bytes."""
    from tinygen.frontend import parse_tflite

    cases = [c for i, f in enumerate(INT4_FAMILIES) for c in random_cases(f, 8, seed=7 + i)]
    (m8,), (m4,) = build_models(cases, "int8", per_model=64), build_models(cases, "int4", per_model=64)
    g8, g4 = parse_tflite(m8), parse_tflite(m4)
    w8 = sum(op.inputs[1].nbytes for op in g8.ops)
    w4 = sum(op.inputs[1].nbytes for op in g4.ops)
    assert all(op.inputs[1].dtype == "int4" for op in g4.ops)
    assert w4 <= w8 // 2 + len(g4.ops)  # an odd count rounds up to a whole byte
    cm = compile_forced(m4, CompileOptions(name="p4", cpu=None, **OPTS), None)
    src = "\n".join(cm.files.values())
    assert "tg_conv_s4" in src and "tg_fully_connected_s4" in src
    import re

    decls = re.findall(r"/\* tensor \d+: \S+ \[([\d, ]+)\] int4, packed \*/\nstatic const uint8_t \w+\[(\d+)\]", src)
    assert len(decls) == len(g4.ops)
    for shape, n in decls:
        count = int(np.prod([int(d) for d in shape.split(",")]))
        assert int(n) == (count + 1) // 2


B32_RUNS = {
    (None, None): ("tg_conv_s16", "tg_fully_connected_s16"),
    ("cortex-m4", "dsp"): ("tg_conv_dsp_s16", "tg_fully_connected_dsp_s16"),
    ("cortex-m4", "dsp-min"): ("tg_conv_dsp_s16",),
}


@pytest.mark.parametrize("key", list(B32_RUNS), ids=_run_id)
def test_16x8_int32_bias_bit_exact(key):
    """16x8 with int32 biases, or no bias and quantized_bias_type INT32: TFLM's int32 accumulator."""
    cpu, variant = key
    cms = compile_all("16x8-b32", cpu, variant)
    used = functions_used(cms)
    for fn in B32_RUNS[key]:
        assert used[fn] >= MIN_CASES, f"only {used[fn]} cases ran {fn}: {dict(used)}"
    for cm in cms:
        for op in cm.graph.ops:
            assert op.kernel.args.params.acc64 == 0, op.kernel.describe()
    assert_exact(cms, "16x8-b32")
