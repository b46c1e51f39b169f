"""The model zoo (models/zoo, real converter output) on the emulated Cortex-M4: every model whose
operators tinygen supports, in one firmware, bit-identical to TFLite Micro."""

import pytest

from tinygen.target import check_models_on_board
from tinygen.testing.zoo import missing_operators, zoo_models


def test_zoo_on_m4():
    ready = [p for p in zoo_models() if not missing_operators(p.read_bytes())]
    if not ready:
        pytest.skip("no zoo model is supported yet")
    results = check_models_on_board([p.read_bytes() for p in ready], "generic-m4", n_random=2)
    bad = [(ready[r["model"]].stem, r) for r in results if not r["bit_exact"]]
    assert not bad, bad
