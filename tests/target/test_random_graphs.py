"""Random graphs of every registered operator kind (tinygen.testing.strategies) on the emulated
M0+ (soft float, no DSP) and M4 (FPU, DSP): every output bit-identical to TFLM. Each batch is one
firmware with all its models and one emulation per input set."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.target import check_models_on_board
from tinygen.testing.strategies import CASES, build


def batch_strategy():
    # one case of every kind, so each batch covers all operators
    return st.tuples(*[CASES[k][0] for k in sorted(CASES)])


@pytest.mark.parametrize("board", ["generic-m0plus", "generic-m4"])
@settings(max_examples=6)
@given(cases=batch_strategy())
def test_random_graphs_on_target(board, cases):
    models = [build(c) for c in cases]
    results = check_models_on_board(models, board, n_random=2)
    bad = [(cases[r["model"]]["kind"], r) for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)} of {len(results)} generated models differ from TFLM on {board}: {bad[:3]}"
