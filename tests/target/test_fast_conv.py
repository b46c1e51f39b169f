"""Fast CONV_2D / FULLY_CONNECTED kernels natively on the emulated cores: tg_conv_dsp_s8 (every
scratch tier) and tg_fully_connected_dsp_s8 on Cortex-M4, M7 and M33, tg_conv_scalar_s8 and
tg_fully_connected_scalar_s8 on Cortex-M0+, against the portable kernels (host build) on the same
random layers. Many layers per firmware: one build and one emulation per core."""

import numpy as np
import pytest

from tinygen.fast.conv import conv_dsp_unsupported, fc_dsp_unsupported, fc_scalar_unsupported
from tinygen.testing.fast_kernels import ArmBatch, conv_portable_host, fc_portable_host, random_cases

DSP_BOARDS = ["generic-m4", "generic-m7", "generic-m33"]


def _batch(convs, fcs, dsp: bool):
    b, expect = ArmBatch(), {}
    for layer, x in convs:
        if conv_dsp_unsupported(layer) is not None:
            continue
        ref = conv_portable_host(layer, x)
        if dsp:
            tiers = ["full", "mid", "min"] + (["none"] if conv_dsp_unsupported(layer, scratch=False) is None else [])
            for tier in tiers:
                expect[b.add_conv(layer, x, "dsp", scratch=tier)] = (ref, f"conv {tier}")
        else:
            expect[b.add_conv(layer, x, "scalar")] = (ref, "conv scalar")
    for layer, x in fcs:
        if (fc_dsp_unsupported if dsp else fc_scalar_unsupported)(layer) is not None:
            continue  # (the DSP kernel needs whole input words: in_features % 4 == 0)
        expect[b.add_fc(layer, x, "dsp" if dsp else "scalar")] = (fc_portable_host(layer, x), "fc")
    return b, expect


def _check(board, b, expect):
    outs = b.run_all(board)
    assert len(expect) >= 10, "too few cases ran"
    for name, (ref, what) in expect.items():
        bad = np.flatnonzero(outs[name] != ref)
        assert bad.size == 0, f"{board} {what} ({name}): {bad.size} of {ref.size} outputs differ"


# the same random cases as tests/host/test_fast_conv.py draws (tinygen.testing.fast_kernels), from a
# seeded generator: varied layers in one firmware per core
CONVS = random_cases("conv", 24, seed=11)
FCS = random_cases("fc", 12, seed=12)


@pytest.mark.parametrize("board", DSP_BOARDS)
def test_dsp_kernels_native(board):
    _check(board, *_batch(CONVS, FCS, dsp=True))


def test_scalar_kernels_m0plus():
    _check("generic-m0plus", *_batch(CONVS, FCS, dsp=False))
