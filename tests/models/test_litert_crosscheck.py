"""LiteRT's reference kernels (BUILTIN_REF) as a second opinion: identical to tinygen on the
convolutional models; FULLY_CONNECTED models differ by at most 2 steps (LiteRT rounds once)."""

import pytest

from tests.conftest import SHARED_MODELS, needs_shared
from tinygen.check import check_model

FC_MODELS = {"ad01_int8", "hello_world_int8"}


@needs_shared()
@pytest.mark.parametrize("name", ["mlperf_tiny/kws_ref_model", "mlperf_tiny/vww_96_int8",
                                  "mlperf_tiny/pretrainedResnet_quant", "mlperf_tiny/ad01_int8"])
def test_litert_reference_kernels_agree(name):
    rep = check_model(SHARED_MODELS / f"{name}.tflite", n_random=5, litert=True)
    assert rep.bit_exact
    if name.split("/")[1] in FC_MODELS:
        assert rep.litert_max_abs_diff <= 2
    else:
        assert rep.litert_identical == rep.inputs_checked
