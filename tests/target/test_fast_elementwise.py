"""Fast ADD / SUB kernel on the emulated cores against the portable kernel on the host."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.testing.fast_cases import add_cases
from tinygen.testing.fast_layers import add_fast_call, add_portable_host, target_calls

from ._util import GENERIC_BOARDS


@pytest.mark.parametrize("board", GENERIC_BOARDS)
@settings(max_examples=2)
@given(st.lists(add_cases(), min_size=8, max_size=8))
def test_add_fast_on_target(board, cases):
    run = target_calls(board, [add_fast_call(p, x1, x2, sub) for p, sub, x1, x2 in cases])
    for i, ((p, sub, x1, x2), got) in enumerate(zip(cases, run.outputs)):
        want = add_portable_host(p, x1, x2, sub)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{board} case {i} ({'SUB' if sub else 'ADD'}): {bad.size} of {want.size} differ"
