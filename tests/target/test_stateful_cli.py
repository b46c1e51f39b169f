"""Models with state through the commands a user runs: `tinygen check` carries the state across its
inputs (host build and TFLM, both from the initial state); `tinygen run` emulates each input from
reset, so each is one inference from the initial state, compared with TFLM reset likewise."""

import json
import subprocess
import sys

import pytest

from tinygen.testing import GraphBuilder


def tinygen(*args):
    return subprocess.run([sys.executable, "-m", "tinygen.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def stateful_model(tmp_path_factory):
    b = GraphBuilder("kws", seed=11)
    x = b.input((1, 4, 10), scale=0.05, zero_point=-3)
    h = b.lstm(x, 8)
    y = b.svdf(b.reshape(h, (1, 32)), 6, rank=2, memory=3)
    p = tmp_path_factory.mktemp("m") / "kws_lstm_svdf.tflite"
    p.write_bytes(b.tflite([y]))
    return p


def test_check_carries_state_across_inputs(tmp_path, stateful_model):
    r = tinygen("check", stateful_model, "--inputs", "5", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr + r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["bit_exact"] is True and rep["inputs_checked"] == 5


def test_run_each_input_from_reset(tmp_path, stateful_model):
    r = tinygen("run", stateful_model, "--board", "generic-m4", "--inputs", "3", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr + r.stdout
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["outputs_match_reference"] is True and rep["inputs_checked"] == 3
    assert rep["outputs_match_tflm"] is True and rep["outputs_match_host"] is True
