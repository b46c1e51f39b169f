"""Every real model under ../shared/models compiles and is bit-identical to TFLite Micro on 20
random inputs and on the golden inputs (whose recorded TFLM outputs must match too)."""

import numpy as np
import pytest

from tests.conftest import SHARED_MODELS, needs_shared, shared_model_paths
from tinygen.check import check_model
from tinygen.compiler import compile_model
from tinygen.toolchain.host import build_host

#: golden sample prefix -> model file
GOLDEN = {
    "mlperf_kws": "mlperf_tiny/kws_ref_model.tflite",
    "mlperf_ic": "mlperf_tiny/pretrainedResnet_quant.tflite",
    "mlperf_ad": "mlperf_tiny/ad01_int8.tflite",
    "tflm_micro_speech": "tflm/micro_speech_quantized.tflite",
}


def golden_samples():
    d = SHARED_MODELS / "golden"
    if not d.is_dir():
        return []
    out = []
    for f in sorted(d.glob("*__input.npy")):
        sample = f.name[: -len("__input.npy")]
        model = next((m for p, m in GOLDEN.items() if sample.startswith(p)), None)
        if model is not None:
            out.append((sample, model))
    return out


@needs_shared()
@pytest.mark.parametrize("path", shared_model_paths(), ids=lambda p: p.name)
def test_model_bit_exact_on_random_inputs(path):
    rep = check_model(path, n_random=20)
    assert rep.inputs_checked == 20
    assert rep.bit_exact, (rep.mismatches[:3], rep.first_diverging_op)


@needs_shared()
@pytest.mark.parametrize("sample,model", golden_samples(), ids=[s for s, _ in golden_samples()])
def test_golden_inputs_match_recorded_tflm_outputs(sample, model):
    x = np.load(SHARED_MODELS / "golden" / f"{sample}__input.npy")
    expected = np.load(SHARED_MODELS / "golden" / f"{sample}__tflm_output.npy")
    rep = check_model(SHARED_MODELS / model, n_random=0, input_files=[SHARED_MODELS / "golden" / f"{sample}__input.npy"])
    assert rep.bit_exact and rep.inputs_checked == 1
    (h,) = build_host([compile_model(SHARED_MODELS / model)])
    out = h.invoke([x])[0]
    np.testing.assert_array_equal(out.reshape(expected.shape), expected)


def test_golden_table_covers_the_samples():
    if not (SHARED_MODELS / "golden").is_dir():
        pytest.skip(f"shared models not found at {SHARED_MODELS}")
    assert len(golden_samples()) == len(list((SHARED_MODELS / "golden").glob("*__input.npy")))
