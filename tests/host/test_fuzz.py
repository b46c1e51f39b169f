"""Fuzzing in the default suite (issue 12): a short derandomized mutation campaign through
`tinygen compile` and TFLM, a short atheris run, and the checks that make a finding a finding.
The long run is benchmarks/fuzz_long.py (results in benchmarks/fuzz_results.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_MODELS
from tinygen.paths import DEFAULT_MODEL
from tinygen.testing import GraphBuilder
from tinygen.testing.fuzz import MUTATORS, flatbuffer_slots, mutate, run_campaign, run_compile

ROOT = Path(__file__).resolve().parents[2]


def _seeds() -> list[tuple[str, bytes]]:
    b = GraphBuilder("cnn", seed=3)
    x = b.input((1, 8, 8, 3))
    y = b.conv2d(x, 4, stride=(2, 2), activation="RELU")
    y = b.depthwise_conv2d(y)
    cnn = b.tflite([b.softmax(b.fully_connected(b.reshape(y, (1, 64)), 10))])
    seeds = [("digits", DEFAULT_MODEL.read_bytes()), ("generated cnn", cnn)]
    for name in ("tflm/hello_world_int8.tflite", "tflm/micro_speech_quantized.tflite", "mlperf_tiny/kws_ref_model.tflite"):
        p = SHARED_MODELS / name
        if p.is_file():
            seeds.append((p.name, p.read_bytes()))
    return seeds


def test_short_mutation_campaign(tmp_path):
    """160 mutants (every mutator, seed 0) through `tinygen compile`: each a successful compile or
    a one-line error with nothing left behind, none slower than 20 s; every distinct compiled
    program (up to 24) bit-exact with TFLM or refused by TFLM as one line."""
    res = run_campaign(_seeds(), n=160, seed=0, check=True, check_limit=24, workdir=tmp_path)
    assert res.finding_count == 0, res.findings[:3]
    assert res.mutants == 160 and set(res.by_mutator) == set(MUTATORS)
    assert res.outcomes.get("compiled", 0) > 10 and res.outcomes.get("refused", 0) > 40
    assert res.checked_vs_tflm > 5 and res.bit_exact == res.checked_vs_tflm
    assert list(tmp_path.iterdir()) == []


def test_mutators_find_the_flatbuffer_structure_and_are_deterministic():
    data = DEFAULT_MODEL.read_bytes()
    s = flatbuffer_slots(data)
    assert len(s.offsets) > 20 and len(s.lengths) > 10 and len(s.vtable_entries) > 20
    assert all(0 <= p <= len(data) - 4 for p in s.offsets + s.lengths)
    a = [mutate(data, np.random.default_rng(7), s) for _ in range(1)]
    b = [mutate(data, np.random.default_rng(7), s) for _ in range(1)]
    assert a == b and a[0][1] != data
    for kind in MUTATORS:
        k, m = mutate(data, np.random.default_rng(1), s, kind=kind)
        assert k == kind and m != data


def test_the_campaign_reports_crashes_and_leftovers(tmp_path, monkeypatch):
    """A finding must be reported: an internal error (a bug that is not a TinygenError) and files
    left behind after an error."""
    from tinygen import cli

    def crash(*a, **k):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "compile_model", crash)
    o = run_compile(DEFAULT_MODEL.read_bytes(), tmp_path / "a")
    assert o.kind == "internal_error" and "KeyError" in o.message

    def leave_and_fail(model, options):
        (tmp_path / "b" / "out").mkdir(parents=True, exist_ok=True)
        from tinygen.errors import TinygenError
        raise TinygenError("refused, but after writing")

    monkeypatch.setattr(cli, "compile_model", leave_and_fail)
    o = run_compile(DEFAULT_MODEL.read_bytes(), tmp_path / "b")
    assert o.kind == "leftover"


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed (pip install atheris)")
def test_short_atheris_run(tmp_path):
    """150 coverage-guided runs (libFuzzer seed 1) of parse + compile, every new compiled
    structure checked against TFLM: no crash (any exception but a TinygenError), hang or mismatch."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "digits.tflite").write_bytes(DEFAULT_MODEL.read_bytes())
    hello = SHARED_MODELS / "tflm" / "hello_world_int8.tflite"
    if hello.is_file():
        (corpus / hello.name).write_bytes(hello.read_bytes())
    stats = tmp_path / "stats.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "fuzz_atheris.py"), "--stats", str(stats), "-runs=150", "-seed=1",
           "-timeout=60", "-max_len=40000", str(corpus)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), TINYGEN_FUZZ_CHECK_LIMIT="12")
    with open(tmp_path / "log.txt", "w") as log:
        p = subprocess.Popen(cmd, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            code = p.wait(timeout=400)
        finally:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    text = (tmp_path / "log.txt").read_text()
    assert code == 0, text[-2000:]
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(("crash-", "timeout-", "oom-"))]
    s = json.loads(stats.read_text())
    assert s["runs"] == 150 and s["compiled"] + s["refused"] == 150
    assert s["checked_vs_tflm"] == s["bit_exact"]
