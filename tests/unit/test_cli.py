"""The `tinygen` command: exit codes, one-line errors, nothing half-written, JSON reports."""

import json
import subprocess
import sys

import pytest

from tinygen.testing import GraphBuilder


def tinygen(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tinygen.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    b = GraphBuilder("cli", seed=7)
    x = b.input((1, 8, 8, 3))
    y = b.conv2d(x, 4, stride=(2, 2), activation="RELU")
    y = b.depthwise_conv2d(y)
    p = tmp_path_factory.mktemp("m") / "small.tflite"
    p.write_bytes(b.tflite([y]))
    return p


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"\x00" * 64])
def test_bad_file_one_line_exit_2_nothing_written(tmp_path, content):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(content)
    out = tmp_path / "out"
    r = tinygen("compile", bad, "-o", out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygen: error:") and "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_file(tmp_path):
    r = tinygen("check", tmp_path / "nope.tflite")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_truncated_model_is_refused(tmp_path, model):
    bad = tmp_path / "cut.tflite"
    bad.write_bytes(model.read_bytes()[:300])
    r = tinygen("compile", bad, "-o", tmp_path / "o")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_compile_writes_c_and_header(tmp_path, model):
    r = tinygen("compile", model, "-o", tmp_path / "out", "--name", "net")
    assert r.returncode == 0, r.stderr
    c = (tmp_path / "out" / "net.c").read_text()
    h = (tmp_path / "out" / "net.h").read_text()
    assert "int net_invoke(const int8_t *input, int8_t *output)" in c
    assert "NET_ARENA_BYTES" in h and "sha256" in c
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["net.c", "net.h"]


def test_check_json_report(tmp_path, model):
    r = tinygen("check", model, "--inputs", "4", "--json", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["bit_exact"] is True and rep["inputs_checked"] == 4
    for key in ("model", "mismatches", "first_diverging_op"):
        assert key in rep


def test_mem_json_and_plot(tmp_path, model):
    r = tinygen("mem", model, "--json", tmp_path / "m.json", "--plot", tmp_path / "m.svg")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "m.json").read_text())
    for key in ("arena_bytes", "lower_bound_bytes", "planner", "peak_op", "per_op"):
        assert key in rep
    assert all({"op", "live_bytes"} <= set(p) for p in rep["per_op"])
    assert (tmp_path / "m.svg").read_text().lstrip().startswith("<?xml")


def test_mem_patches_auto_without_a_useful_stage_writes_json(tmp_path):
    """Regression: `mem --patches auto --json` on a model where no patch stage lowers the peak (an
    MLP) crashed with KeyError 'k' and wrote no JSON. It must say why and write the report."""
    b = GraphBuilder("mlp", seed=3)
    x = b.input((1, 32))
    y = b.fully_connected(b.fully_connected(x, 16, activation="RELU"), 4)
    model = tmp_path / "mlp.tflite"
    model.write_bytes(b.tflite([y]))
    js = tmp_path / "mem.json"
    r = tinygen("mem", model, "--patches", "auto", "--json", js)
    assert r.returncode == 0, r.stderr
    assert "patch stage: not used: no patch stage lowers the peak" in r.stdout
    d = json.loads(js.read_text())
    assert d["patches"]["applied"] is False and d["patches"]["reason"].startswith("no patch stage lowers the peak")
    assert d["arena_bytes"] > 0


def test_every_compiling_command_accepts_the_same_compile_options():
    import click

    from tinygen.cli import cli

    def opts(name):
        return {p.name for p in cli.commands[name].params if isinstance(p, click.Option)}

    shared = {"name", "cpu", "planner", "schedule", "no_inplace", "no_overlap", "patches", "max_overhead"}
    for name in ("compile", "check", "mem", "run", "firmware"):
        assert shared <= opts(name), f"{name} lacks {sorted(shared - opts(name))}"


def test_generated_code_does_not_depend_on_the_model_folder(tmp_path, model):
    """Provenance: the header names the model file (not its folder), its sha256, the version and
    the options; the same model in another folder gives byte-identical output."""
    import hashlib
    import shutil

    from tinygen import __version__

    other = tmp_path / "some" / "deep" / "folder"
    other.mkdir(parents=True)
    copy = other / model.name
    shutil.copy(model, copy)
    for src, out in ((model, tmp_path / "a"), (copy, tmp_path / "b")):
        r = tinygen("compile", src, "-o", out)
        assert r.returncode == 0, r.stderr
    for f in ("small.c", "small.h"):
        a, b = (tmp_path / "a" / f).read_text(), (tmp_path / "b" / f).read_text()
        assert a == b
        assert "small.tflite" in a and str(model.parent) not in a and str(other) not in a
        assert hashlib.sha256(model.read_bytes()).hexdigest() in a and __version__ in a
        assert "options: name=None cpu=None planner=exact" in a


def test_optimize_size_picks_the_portable_kernels(tmp_path, model):
    """--optimize size on a named core: the portable kernels only; the default (speed): the fast
    kernels of the core."""
    r = tinygen("compile", model, "-o", tmp_path / "speed", "--name", "net", "--cpu", "cortex-m4")
    assert r.returncode == 0, r.stderr
    speed = (tmp_path / "speed" / "net.c").read_text()
    assert "tg_depthwise_conv_fast_s8(" in speed
    r = tinygen("compile", model, "-o", tmp_path / "size", "--name", "net", "--cpu", "cortex-m4", "--optimize", "size")
    assert r.returncode == 0, r.stderr
    size = (tmp_path / "size" / "net.c").read_text()
    assert "tg_conv_s8(" in size and "tg_depthwise_conv" in size
    assert "_dsp_s8(" not in size and "_fast_s8(" not in size
    r = tinygen("compile", model, "-o", tmp_path / "bad", "--optimize", "tiny")
    assert r.returncode == 2 and not (tmp_path / "bad").exists()
