"""The benchmark's mixed-precision versions of the real MLPerf Tiny models, bit-exact with TFLite Micro
on the host build: vww_96_int8 with int4 weights (to_int4_weights) and kws_ref_model in 16x8
(to_16x8), portable C and the Cortex-M4 kernel choice (DSP variants through their C models), all four
in one build. (Emulated M4 figures: benchmarks/precision.py.)"""

from tests.conftest import SHARED_MODELS, needs_shared
from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.frontend import parse_tflite
from tinygen.options import CompileOptions
from tinygen.testing.precision import to_16x8, to_int4_weights
from tinygen.writer import write_tflite


@needs_shared()
def test_int4_vww_and_16x8_kws_bit_exact():
    src = SHARED_MODELS / "mlperf_tiny"
    models = [write_tflite(to_int4_weights(parse_tflite((src / "vww_96_int8.tflite").read_bytes()))),
              write_tflite(to_16x8(parse_tflite((src / "kws_ref_model.tflite").read_bytes())))]
    items, labels = [], []
    for cpu in (None, "cortex-m4"):
        for name, m in zip(("vww_int4", "kws_16x8"), models):
            cm = compile_model(m, CompileOptions(name=f"{name}_{cpu or 'host'}".replace("-", "_"), cpu=cpu))
            kinds = {op.kernel.function for op in cm.graph.ops if op.kernel is not None and op.kernel.function}
            assert any(k.endswith("_s4") for k in kinds) if name == "vww_int4" else \
                any(k.endswith("_s16") for k in kinds), kinds
            items.append((cm, m))
            labels.append(f"{name} ({cpu or 'portable'})")
    reports = check_compiled(items, n_random=2, labels=labels)
    bad = [(r.model, r.mismatches[:1], r.first_diverging_op) for r in reports if not r.bit_exact]
    assert not bad, bad
