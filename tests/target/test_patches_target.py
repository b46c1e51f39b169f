"""Patch-based inference on the emulated Cortex-M: patched random CNNs bit-identical to TFLM on
the M0+ and the M4, and vww_96_int8 with an automatic patch stage within 32 KB of total SRAM."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SHARED_MODELS, needs_shared
from tests.host.test_patches import _spec
from tinygen.options import CompileOptions
from tinygen.target import check_models_on_board, run_on_board
from tinygen.testing.ops_patches import build_cnn
from tinygen.testing.strategies import CASES


@pytest.mark.parametrize("board", ["generic-m0plus", "generic-m4"])
@settings(max_examples=3)
@given(cases=st.lists(CASES["PATCH_CNN"][0], min_size=6, max_size=6))
def test_patched_cnns_on_target(board, cases):
    models, opts = [], []
    for c in cases:
        b = build_cnn(c)
        data = b.tflite([b.final])
        spec = _spec(data, c)
        if spec is None:
            continue
        models.append(data)
        opts.append(CompileOptions(patches=spec))
    results = check_models_on_board(models, board, n_random=2, options=opts)
    bad = [r for r in results if not r["bit_exact"]]
    assert not bad, bad[:3]


@needs_shared()
def test_vww_with_patches_fits_32_kb_on_m4():
    rep = run_on_board(SHARED_MODELS / "mlperf_tiny" / "vww_96_int8.tflite", "generic-m4",
                       options=CompileOptions(patches="auto", alignment=8), n_random=2)
    assert rep.outputs_match_reference
    assert rep.patches and rep.patches["applied"]
    assert rep.patches["mac_overhead_percent"] <= 20.0
    assert rep.sram_peak_bytes <= 32 * 1024, rep.sram_peak_bytes
