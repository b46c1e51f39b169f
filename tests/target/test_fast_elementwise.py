"""Fast ADD / SUB and MUL kernels on the emulated cores against the portable kernels on the host."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.fast import elementwise as few
from tinygen.testing.fast_cases import add_cases, mul_cases
from tinygen.testing.fast_layers import (add_fast_call, add_portable_host, mul_fast_call, mul_portable_host,
                                         target_calls)

from ._util import GENERIC_BOARDS


@pytest.mark.parametrize("board", GENERIC_BOARDS)
@settings(max_examples=2)
@given(st.lists(add_cases(), min_size=8, max_size=8), st.lists(mul_cases(), min_size=4, max_size=4))
def test_add_mul_fast_on_target(board, cases, muls):
    muls = [m for m in muls if few.mul_fast_check(m[0]) is None]
    run = target_calls(board, [add_fast_call(p, x1, x2, sub) for p, sub, x1, x2 in cases] +
                       [mul_fast_call(p, x1, x2) for p, x1, x2 in muls])
    for i, ((p, sub, x1, x2), got) in enumerate(zip(cases, run.outputs)):
        want = add_portable_host(p, x1, x2, sub)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{board} case {i} ({'SUB' if sub else 'ADD'}): {bad.size} of {want.size} differ"
    for i, ((p, x1, x2), got) in enumerate(zip(muls, run.outputs[len(cases):])):
        want = mul_portable_host(p, x1, x2)
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{board} MUL case {i} {p.output}: {bad.size} of {want.size} differ"
