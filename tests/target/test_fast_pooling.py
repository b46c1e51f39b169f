"""Fast average pooling and MEAN kernels on the emulated cores against the portable kernels on
the host."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.fast import pooling as fpool
from tinygen.testing.fast_cases import avgpool_cases, mean_cases
from tinygen.testing.fast_layers import avgpool_call, avgpool_host, mean_fast_call, mean_portable_host, target_calls

from ._util import GENERIC_BOARDS


@pytest.mark.parametrize("board", GENERIC_BOARDS)
@settings(max_examples=2)
@given(st.lists(avgpool_cases(), min_size=6, max_size=6), st.lists(mean_cases(), min_size=4, max_size=4))
def test_pooling_fast_on_target(board, pools, means):
    calls = [avgpool_call(pp, ins, outs, x, True) for pp, ins, outs, x in pools]
    calls += [mean_fast_call(fpool.lower_mean_hw_fast(p), shape, x) for p, shape, x in means]
    wants = [avgpool_host(pp, ins, outs, x, False) for pp, ins, outs, x in pools]
    wants += [mean_portable_host(p, x) for p, shape, x in means]
    run = target_calls(board, calls)
    for i, (got, want) in enumerate(zip(run.outputs, wants)):
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{board} {calls[i].function} case {i}: {bad.size} of {want.size} differ"
