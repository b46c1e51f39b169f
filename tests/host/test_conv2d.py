"""CONV_2D on the host build vs TFLite Micro, on random graphs."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.strategies import CASES, build


@settings(max_examples=4)
@given(st.lists(CASES["CONV_2D"][0], min_size=12, max_size=12))
def test_conv2d_random_graphs(cases):
    assert_bit_exact([build(c) for c in cases])
