"""tinygen sweep without a toolchain (compile and plan only): rows, resume keys, the results file,
hostile inputs, Pareto fronts, CSV/plot outputs, the command line."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tinygen.errors import TinygenError
from tinygen.options import CompileOptions
from tinygen.sweep import comparable, read_rows, sweep
from tinygen.sweep.candidates import expand_model_paths
from tinygen.sweep.evaluate import FIELDS, SweepSettings
from tinygen.sweep.pareto import _dominates, pareto_front
from tinygen.sweep.results import ResultsFile, row_key
from tinygen.testing import GraphBuilder

BOARDS = ["generic-m4", "NUCLEO-F411RE"]


def tiny(i: int, size: int = 8, channels: int = 4) -> bytes:
    b = GraphBuilder(f"t{i}", seed=i)
    x = b.input((1, size, size, 3))
    y = b.conv2d(x, channels + i % 3, activation="RELU")
    y = b.depthwise_conv2d(y)
    return b.tflite([y])


SPACE = '''
from tests.unit.test_sweep import tiny

def good():
    return [(f"tiny{i}", tiny(i, size=6 + i)) for i in range(4)]

def generator():
    for i in range(3):
        yield tiny(i)

def breaks_midway():
    yield ("first", tiny(0))
    yield ("second", tiny(1))
    raise ValueError("the search space ran out of ideas")

def raises():
    raise RuntimeError("cannot build the space")

def not_models():
    return [("ok", tiny(0)), 42, ("text", "not bytes")]
'''


@pytest.fixture(scope="module")
def space_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("space") / "space.py"
    p.write_text(SPACE)
    return p


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("models")
    for i in range(3):
        (d / f"m{i}.tflite").write_bytes(tiny(i))
    return d


def tinygen(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, "-m", "tinygen.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


# -- rows ------------------------------------------------------------------------------------------
def test_plan_rows_every_pair_every_field(space_file, tmp_path):
    out = tmp_path / "r.jsonl"
    res = sweep(boards=BOARDS, space=f"{space_file}:good", stage="plan", output=out, jobs=2,
                options=CompileOptions(patches="auto"))
    assert res.computed == 8 and res.reused == 0 and not res.errors
    assert {(r["model"], r["board"]) for r in res.rows} == {(f"tiny{i}", b) for i in range(4) for b in BOARDS}
    for r in res.rows:
        assert list(r) == list(FIELDS)
        assert r["fits"] is True and r["stage"] == "plan" and r["patches"] == "none"  # fits without patches
        assert r["arena_bytes"] > 0 and r["macs"] > 0 and r["const_bytes"] > 0
        assert r["arena_no_patches_bytes"] == r["arena_bytes"]
        assert r["flash_bytes"] is None and r["instructions"] is None  # not linked, not run
    assert [json.loads(x) for x in out.read_text().splitlines()] == res.rows or \
        sorted(map(json.dumps, read_rows(out))) == sorted(map(json.dumps, res.rows))
    # the same model on the same core gives the same plan on both boards (same alignment)
    by = {(r["model"], r["board"]): r for r in res.rows}
    assert all(by[(f"tiny{i}", BOARDS[0])]["arena_bytes"] == by[(f"tiny{i}", BOARDS[1])]["arena_bytes"]
               for i in range(4))


def test_rows_match_a_direct_compile(space_file, tmp_path):
    from tinygen.boards import load_board
    from tinygen.compiler import compile_model
    from tinygen.target import board_compile_options

    res = sweep(boards=["NUCLEO-F411RE"], space=f"{space_file}:generator", stage="plan", jobs=1)
    assert len(res.rows) == 3
    for i, r in enumerate(sorted(res.rows, key=lambda r: r["model"])):
        assert r["model"] == f"generator#{i}"
        cm = compile_model(tiny(i), board_compile_options(CompileOptions(name="model"), load_board("NUCLEO-F411RE")))
        assert (r["arena_bytes"], r["macs"], r["const_bytes"]) == (cm.arena_bytes, cm.macs, cm.const_bytes)


def test_a_model_that_does_not_fit_is_a_row_with_fits_false(tmp_path):
    big = tmp_path / "big.tflite"
    b = GraphBuilder("big", seed=1)
    x = b.input((1, 64, 64, 8))  # a 32 KB input: more than the micro:bit's 16 KB of SRAM
    big.write_bytes(b.tflite([b.conv2d(x, 8)]))
    res = sweep([big], ["qemu-microbit", "generic-m4"], stage="plan", jobs=1)
    fits = {r["board"]: r["fits"] for r in res.rows}
    assert fits == {"qemu-microbit": False, "generic-m4": True} and not res.errors


def test_patches_auto_records_both_plans(tmp_path):
    """A model too large for the board without patches: the row has both arenas and the stage."""
    from tinygen.testing.mobilenet import mobilenet_v2

    p = tmp_path / "mbv2.tflite"
    p.write_bytes(mobilenet_v2(0.25, 64, classes=10))
    res = sweep([p], ["qemu-microbit"], stage="plan", jobs=1,
                options=CompileOptions(patches="auto", planner="heuristic"))
    (r,) = res.rows
    assert r["error"] is None
    assert r["arena_bytes"] < r["arena_no_patches_bytes"]
    assert r["patches"].count(":") == 1 and r["mac_overhead_percent"] is not None


# -- hostile inputs --------------------------------------------------------------------------------
def test_unreadable_and_corrupt_models_are_rows(tmp_path, models_dir):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "good.tflite").write_bytes((models_dir / "m0.tflite").read_bytes())
    (d / "garbage.tflite").write_bytes(b"not a model at all")
    (d / "cut.tflite").write_bytes((models_dir / "m1.tflite").read_bytes()[:200])
    (d / "dangling.tflite").symlink_to(tmp_path / "nowhere.tflite")
    res = sweep([d], ["generic-m4"], stage="plan", jobs=2, output=tmp_path / "r.jsonl")
    by = {Path(r["model"]).name: r for r in res.rows}
    assert set(by) == {"good.tflite", "garbage.tflite", "cut.tflite", "dangling.tflite"}
    assert by["good.tflite"]["error"] is None and by["good.tflite"]["fits"]
    for bad in ("garbage.tflite", "cut.tflite", "dangling.tflite"):
        err = by[bad]["error"]
        assert err and "\n" not in err and by[bad]["fits"] is None, (bad, err)
    assert "cannot read" in by["dangling.tflite"]["error"] and by["dangling.tflite"]["transient"]
    assert "TFL3" in by["garbage.tflite"]["error"] and not by["garbage.tflite"]["transient"]


def test_a_space_that_raises_midway_is_a_row_and_the_rest_is_swept(space_file, tmp_path):
    res = sweep(boards=["generic-m4"], space=f"{space_file}:breaks_midway", stage="plan", jobs=1)
    by = {r["model"]: r for r in res.rows}
    assert by["first"]["error"] is None and by["second"]["error"] is None
    (err,) = [r for r in res.rows if r["error"]]
    assert "raised after 2 candidates" in err["error"] and "ran out of ideas" in err["error"]


def test_space_items_that_are_not_models_are_rows(space_file):
    res = sweep(boards=["generic-m4"], space=f"{space_file}:not_models", stage="plan", jobs=1)
    errs = sorted(r["error"] for r in res.rows if r["error"])
    assert len(res.rows) == 3 and len(errs) == 2
    assert "is a int" in errs[0] and "is a tuple" in errs[1]


@pytest.mark.parametrize("args, message", [
    (["--space", "{space}:raises"], "cannot build the space"),
    (["--space", "{space}:nope"], "has no function 'nope'"),
    (["--space", "no_such_module_xyz:f"], "cannot import no_such_module_xyz"),
    (["--space", "missing.py:f"], "no such file"),
    (["{models}/m0.tflite", "--board", "NO-SUCH-BOARD"], "NO-SUCH-BOARD"),
    (["{tmp}/absent.tflite"], "no such model file"),
    (["{tmp}/*.nothing"], "no model matches"),
    (["{models}", "--patches", "3:x"], "--patches"),
    (["{models}", "--no-link", "--emulate"], "exclude each other"),
])
def test_bad_requests_are_one_line_errors_and_write_nothing(tmp_path, space_file, models_dir, args, message):
    out = tmp_path / "r.jsonl"
    fill = dict(space=space_file, models=models_dir, tmp=tmp_path)
    args = [a.format(**fill) for a in args]
    if "--board" not in args:
        args += ["--board", "generic-m4"]
    r = tinygen("sweep", *args, "-o", out, "--no-link" if "--no-link" not in args else "--jobs=1")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr + r.stdout
    assert len(lines) == 1 and lines[0].startswith("tinygen: error:") and message in lines[0], r.stderr
    assert not out.exists()


def test_no_ray_cluster_is_a_one_line_error(tmp_path, models_dir):
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'tinygen[ray]')")
    from tinygen.testing.ray_cluster import free_port

    out = tmp_path / "r.jsonl"
    r = tinygen("sweep", models_dir, "-b", "generic-m4", "-o", out, "--ray", f"127.0.0.1:{free_port()}")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "no Ray cluster answers" in lines[0], r.stderr
    assert not out.exists()


def test_a_foreign_output_file_is_refused_untouched(tmp_path, models_dir):
    out = tmp_path / "notes.txt"
    out.write_text("my notes\nnot results\n")
    r = tinygen("sweep", models_dir, "-b", "generic-m4", "--no-link", "-o", out)
    assert r.returncode == 2 and "not a sweep results file" in r.stderr
    assert out.read_text() == "my notes\nnot results\n"


def test_a_results_file_in_use_is_refused(tmp_path, models_dir):
    out = tmp_path / "r.jsonl"
    with ResultsFile(out):
        with pytest.raises(TinygenError, match="another sweep"):
            sweep([models_dir], ["generic-m4"], stage="plan", output=out, jobs=1)


# -- resume ----------------------------------------------------------------------------------------
def test_rerun_reuses_every_row_and_new_settings_are_new_keys(tmp_path, models_dir):
    out = tmp_path / "r.jsonl"
    first = sweep([models_dir], BOARDS, stage="plan", output=out, jobs=2)
    before = out.read_bytes()
    again = sweep([models_dir], BOARDS, stage="plan", output=out, jobs=2)
    assert (again.computed, again.reused) == (0, 6) and out.read_bytes() == before
    assert sorted(map(json.dumps, again.rows)) == sorted(map(json.dumps, first.rows))
    other = sweep([models_dir], BOARDS, stage="plan", output=out, jobs=2, options=CompileOptions(planner="greedy"))
    assert (other.computed, other.reused) == (6, 0)
    assert not {r["key"] for r in other.rows} & {r["key"] for r in first.rows}
    assert len(read_rows(out)) == 12


def test_keys_depend_on_bytes_board_and_settings_only():
    s = SweepSettings(stage="plan")
    k = row_key("ab" * 32, "a.tflite", "generic-m4", s)
    assert k == row_key("ab" * 32, "renamed.tflite", "generic-m4", SweepSettings(stage="plan"))
    assert k != row_key("cd" * 32, "a.tflite", "generic-m4", s)
    assert k != row_key("ab" * 32, "a.tflite", "NUCLEO-F411RE", s)
    assert k != row_key("ab" * 32, "a.tflite", "generic-m4", SweepSettings(stage="link"))
    assert k != row_key("ab" * 32, "a.tflite", "generic-m4",
                        SweepSettings(stage="plan", options=CompileOptions(patches="auto")))
    # settings that do not apply to a stage do not change its keys
    assert k == row_key("ab" * 32, "a.tflite", "generic-m4", SweepSettings(stage="plan", opt="Os", seed=5))


def test_a_partial_last_line_is_dropped_and_recomputed(tmp_path, models_dir):
    out = tmp_path / "r.jsonl"
    sweep([models_dir], BOARDS, stage="plan", output=out, jobs=2)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:3]) + lines[3][:40])  # killed in the middle of writing row 4
    res = sweep([models_dir], BOARDS, stage="plan", output=out, jobs=2)
    assert (res.computed, res.reused) == (3, 3)
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 6 and len({r["key"] for r in rows}) == 6
    assert out.read_bytes().startswith(b"".join(lines[:3]))


def test_an_interrupted_command_resumes_without_recomputing(tmp_path, space_file):
    """SIGINT in the middle of a sweep: complete rows stay; the rerun computes only the rest."""
    out = tmp_path / "r.jsonl"
    space = tmp_path / "space12.py"
    space.write_text("from tests.unit.test_sweep import tiny\n"
                     "def many():\n    return [(f'c{i}', tiny(i, size=8 + i)) for i in range(12)]\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cmd = [sys.executable, "-m", "tinygen.cli", "sweep", "--space", f"{space}:many", "-b", "generic-m4",
           "-b", "NUCLEO-F411RE", "--no-link", "-j", "2", "-o", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 4):
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C: the driver and its workers
    p.wait(timeout=120)
    first = read_rows(out)
    assert 4 <= len(first) < 24, "the sweep should have been interrupted midway"
    kept = out.read_bytes()
    r = tinygen("sweep", "--space", f"{space}:many", "-b", "generic-m4", "-b", "NUCLEO-F411RE", "--no-link",
                "-j", "2", "-o", out)
    assert r.returncode == 0, r.stderr
    assert f"{24 - len(first)} evaluated" in r.stdout and f"{len(first)} already in" in r.stdout
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 24 and len({r["key"] for r in rows}) == 24
    assert out.read_bytes().startswith(kept)


# -- outputs ---------------------------------------------------------------------------------------
def test_cli_writes_jsonl_csv_plot_and_front(tmp_path, space_file):
    import csv

    out, c, png = tmp_path / "r.jsonl", tmp_path / "r.csv", tmp_path / "p.png"
    r = tinygen("sweep", "--space", f"{space_file}:good", "-b", "generic-m4", "-b", "qemu-microbit", "--no-link",
                "-j", "2", "-o", out, "--csv", c, "--plot", png, "--pareto", "capacity")
    assert r.returncode == 0, r.stderr
    assert "Pareto front (capacity)" in r.stdout and "8 pairs: 8 evaluated" in r.stdout
    rows = list(csv.DictReader(c.open()))
    assert len(rows) == 8 and list(rows[0]) == list(FIELDS)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parquet_output(tmp_path, models_dir):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow not installed (pip install 'tinygen[parquet]')")
    res = sweep([models_dir], BOARDS, stage="plan", jobs=2, parquet=tmp_path / "r.parquet")
    t = pq.read_table(tmp_path / "r.parquet")
    assert t.num_rows == 6 and t.column_names == list(FIELDS)
    assert sorted(t.column("arena_bytes").to_pylist()) == sorted(r["arena_bytes"] for r in res.rows)


def test_pareto_front_against_brute_force():
    rnd = random.Random(3)
    for trial in range(30):
        rows = [dict(stage="plan", board="b", model=f"m{i}", error=None, fits=True,
                     arena_bytes=rnd.randint(1, 6), macs=rnd.randint(1, 6), const_bytes=rnd.randint(1, 6))
                for i in range(rnd.randint(1, 25))]
        pts = {r["model"]: (r["arena_bytes"], r["macs"], r["const_bytes"]) for r in rows}
        want = {m for m, p in pts.items() if not any(_dominates(q, p) for q in pts.values())}
        got = [r["model"] for r in pareto_front(rows)]
        assert set(got) == want and len(got) == len(want)
        assert [pts[m] for m in got] == sorted(pts[m] for m in got)
        cap = {m: (a, -b, c) for m, (a, b, c) in pts.items()}
        want = {m for m, p in cap.items() if not any(_dominates(q, p) for q in cap.values())}
        assert {r["model"] for r in pareto_front(rows, "capacity")} == want


def test_expand_models(tmp_path, models_dir):
    assert [p.name for p in expand_model_paths([models_dir])] == ["m0.tflite", "m1.tflite", "m2.tflite"]
    assert [p.name for p in expand_model_paths([f"{models_dir}/m[01].tflite", models_dir / "m1.tflite"])] == \
        ["m0.tflite", "m1.tflite"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(TinygenError, match="no .tflite file"):
        expand_model_paths([tmp_path / "empty"])


def test_rows_identical_across_worker_counts(tmp_path, space_file):
    a = sweep(boards=BOARDS, space=f"{space_file}:good", stage="plan", jobs=1)
    b = sweep(boards=BOARDS, space=f"{space_file}:good", stage="plan", jobs=2)
    canon = lambda rows: sorted(json.dumps(comparable(r), sort_keys=True) for r in rows)  # noqa: E731
    assert canon(a.rows) == canon(b.rows)



def test_a_killed_local_worker_loses_no_row(tmp_path, space_file):
    """SIGKILL a pool worker while pairs are in flight: the pool restarts, every pair has one row."""
    import multiprocessing
    import threading

    out = tmp_path / "r.jsonl"
    space = tmp_path / "space16.py"
    space.write_text("from tests.unit.test_sweep import tiny\n"
                     "def many():\n    return [(f'c{i}', tiny(i, size=10 + i)) for i in range(16)]\n")
    killed: list[int] = []

    def on_row(row, done, total, reused):
        if done == 3 and not killed:
            workers = [p for p in multiprocessing.active_children() if p.pid and "Process" in type(p).__name__]
            for p in workers[:1]:
                os.kill(p.pid, signal.SIGKILL)
                killed.append(p.pid)

    res = sweep(boards=BOARDS, space=f"{space}:many", stage="plan", jobs=2, output=out, on_row=on_row)
    assert killed, "no worker process was found to kill"
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 32 and len({r["key"] for r in rows}) == 32
    assert not res.errors, [r["error"] for r in res.errors]
    assert threading.active_count() >= 1
