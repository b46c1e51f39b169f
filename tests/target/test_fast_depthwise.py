"""Fast depthwise kernels on the emulated Cortex-M4, M7, M33 (SIMD core) and M0+ (scalar core)
against the portable kernel on the host, element for element: hypothesis cases, several per
program (one build and one emulator run per example)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.fast import depthwise as fdw
from tinygen.testing.fast_cases import dw_layers
from tinygen.testing.fast_layers import dw_fast_call, dw_portable_host, target_calls

from ..conftest import SHARED_MODELS, needs_shared
from ._util import GENERIC_BOARDS

PER_PROGRAM = 6


def _run(board, cases, variants):
    calls, wants = [], []
    for (layer, x), variant in zip(cases, variants):
        calls.append(dw_fast_call(layer, x, variant))
        wants.append(dw_portable_host(layer, x, inplace=variant.startswith("inplace")))
    run = target_calls(board, calls)
    for i, (got, want) in enumerate(zip(run.outputs, wants)):
        layer = cases[i][0]
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, (f"{board} {calls[i].function} case {i} {layer.input_shape}->{layer.output_shape} "
                               f"k{layer.filter_hw} s{layer.stride} p{layer.padding} d{layer.dilation}: "
                               f"{bad.size} outputs differ, first at {bad[:5]}")


@pytest.mark.parametrize("board", GENERIC_BOARDS)
@settings(max_examples=2)
@given(normal=st.lists(dw_layers(max_hw=10), min_size=PER_PROGRAM, max_size=PER_PROGRAM),
       inplace=st.lists(dw_layers(inplace=True, max_hw=10), min_size=2, max_size=2),
       planar=st.lists(dw_layers(inplace=True, planar=True), min_size=2, max_size=2))
def test_fast_depthwise_on_target(board, normal, inplace, planar):
    """The normal kernel, the in-place kernel (ring of rows and planar paths) and, on the M4, the
    scalar twins: one program per example and board."""
    cases = normal + inplace + planar
    variants = ["fast"] * len(normal) + ["inplace_fast"] * (len(inplace) + len(planar))
    if board == "generic-m4":  # the scalar core on a core with DSP too
        cases = cases + normal[:2] + planar[:1]
        variants = variants + ["fast_scalar"] * 2 + ["inplace_fast_scalar"]
    _run(board, cases, variants)


@needs_shared()
@pytest.mark.parametrize("board", ["generic-m4", "generic-m0plus"])
def test_shared_model_layers_on_target(board):
    """One layer of each kind in the shared models (VWW stride 1 and 2, KWS in place, str_ww)."""
    from tinygen.frontend import load_tflite
    from tinygen.ops import get_op_def
    from tinygen.ops.depthwise_conv2d import dw_layer

    picks = [("vww_96_int8", 13, False), ("vww_96_int8", 23, False), ("kws_ref_model", 1, True),
             ("str_ww_ref_model", 2, True)]
    rng = np.random.default_rng(3)
    cases, variants = [], []
    for model, index, inplace in picks:
        path = SHARED_MODELS / "mlperf_tiny" / f"{model}.tflite"
        if not path.exists():
            pytest.skip(f"{path} not found")
        op = load_tflite(path).ops[index]
        assert op.kind == "DEPTHWISE_CONV_2D"
        p = get_op_def(op.kind).prepare(op)
        layer = dw_layer(op, p)
        cases.append((layer, rng.integers(-128, 128, int(np.prod(layer.input_shape))).astype(np.int8)))
        variants.append("inplace_fast" if inplace else "fast")
    _run(board, cases, variants)
