"""`tinygen check` survives the oracle aborting: TFLM's int8 softmax aborts when a row's sum of
exponentials reaches 512 (>= 512 equal logits); the isolated reference turns that into an error."""

import numpy as np
import pytest

from tinygen.check import check_model
from tinygen.errors import TinygenError
from tinygen.testing import GraphBuilder


def test_reference_abort_is_a_clear_error():
    b = GraphBuilder("sm", seed=1)
    x = b.input((1, 600), scale=0.05, zero_point=0)
    y = b.softmax(x)
    data = b.tflite([y])
    equal_logits = [np.zeros((1, 600), np.int8)]
    with pytest.raises(TinygenError, match="crashed"):
        check_model(data, n_random=0, extra_inputs=[equal_logits], isolate=True)
