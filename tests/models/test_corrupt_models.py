"""A few hundred randomly corrupted copies of the real models: a one-line TinygenError or a
successful compile, never a crash, a hang or another exception."""

import time

import numpy as np
import pytest

from tests.conftest import needs_shared, shared_model_paths
from tinygen.compiler import compile_model
from tinygen.errors import TinygenError

PER_MODEL = 45  # x 7 models = 315 corrupted files


def corruptions(data: bytes, rng: np.random.Generator):
    n = len(data)
    for k in range(PER_MODEL):
        b = bytearray(data)
        kind = k % 5
        if kind == 0:  # a few random bytes anywhere
            for i in rng.integers(0, n, size=rng.integers(1, 8)):
                b[i] = int(rng.integers(0, 256))
        elif kind == 1:  # truncation
            b = b[: int(rng.integers(0, n))]
        elif kind == 2:  # bytes in the flatbuffer's tables (the first and last kilobytes hold most offsets)
            region = list(range(min(n, 1024))) + list(range(max(0, n - 2048), n))
            for i in rng.choice(region, size=rng.integers(1, 6)):
                b[i] = int(rng.integers(0, 256))
        elif kind == 3:  # a zeroed range
            s = int(rng.integers(0, n))
            b[s:s + int(rng.integers(1, 64))] = bytes(min(64, n - s))[: len(b[s:s + 64])]
        else:  # a 32-bit word set to a huge value (vector lengths, offsets)
            i = int(rng.integers(0, max(1, n - 4))) & ~3
            b[i:i + 4] = int(rng.choice([0x7FFFFFFF, 0xFFFFFFFF, 0x10000, n])).to_bytes(4, "little")
        yield k, bytes(b)


@needs_shared()
@pytest.mark.parametrize("path", shared_model_paths(), ids=lambda p: p.name)
def test_corrupted_copies_fail_cleanly(path):
    data = path.read_bytes()
    rng = np.random.default_rng(len(data))
    outcomes = {"error": 0, "compiled": 0}
    for k, bad in corruptions(data, rng):
        t0 = time.monotonic()
        try:
            compile_model(bad)
            outcomes["compiled"] += 1
        except TinygenError as e:
            msg = str(e)
            assert msg and "\n" not in msg.splitlines()[0]
            outcomes["error"] += 1
        # no hang: every file is accepted or refused quickly
        assert time.monotonic() - t0 < 10, f"corruption {k} took {time.monotonic() - t0:.1f} s"
    assert outcomes["error"] > 0
