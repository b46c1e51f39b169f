#!/usr/bin/env python3
"""Coverage-guided fuzzing of tinygen's parser and compiler with atheris (libFuzzer for Python).

    python scripts/fuzz_atheris.py -runs=2000 -seed=1 [libFuzzer options] [CORPUS_DIR...]
    python scripts/fuzz_atheris.py --stats out.json -runs=100000 -seed=1 -timeout=20

Every input goes through parse + compile (tinygen.compiler.compile_model). A one-line
TinygenError is the right answer to a broken file; any other exception is a crash (libFuzzer
stops and saves the input as crash-*), and an input that takes longer than -timeout seconds is a
hang. Each compiled program with a new structure (its generated C without the constants' values)
is checked against TensorFlow Lite Micro in batches (host build; TFLM in a worker process, since
it may abort on a model tinygen accepts): a mismatch or a host-build failure is a crash too.

The custom mutator alternates libFuzzer's byte mutations with tinygen.testing.fuzz's structural
ones (flatbuffer offsets, vector lengths, vtable fields set to extreme values, truncation,
duplicated chunks). Without a corpus folder the seeds are the bundled demo model and the models
in ../shared/models (TINYGEN_SHARED), copied into a temporary folder (removed at the end of a
-runs=N session; kept after a crash).

--stats FILE: write the counts (runs, compiled, refused, checked vs TFLM, bit-exact, TFLM
refusals) as JSON when the -runs=N budget is reached (libFuzzer exits from C, without running
Python's exit handlers, so the file is written from the last run).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import atheris
import numpy as np

with atheris.instrument_imports(include=["tinygen"]):
    from tinygen.compiler import compile_model
    from tinygen.errors import TinygenError
    from tinygen.options import CompileOptions
    from tinygen.paths import DEFAULT_MODEL
    from tinygen.testing.fuzz import _structure_key, mutate

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TINYGEN_SHARED", ROOT.parent / "shared")) / "models"
CHECK_BATCH = 12
#: compiled programs with a new structure checked against TFLM, at most
CHECK_LIMIT = int(os.environ.get("TINYGEN_FUZZ_CHECK_LIMIT", "400"))


class State:
    runs = 0
    target_runs = 0
    stats_path: Path | None = None
    counts = dict(compiled=0, refused=0, checked_vs_tflm=0, bit_exact=0, oracle_refused=0, structures=0)
    seen: set[str] = set()
    pending: list[tuple[str, bytes]] = []
    pool = None
    seed_dir: Path | None = None


def _flush_checks() -> None:
    """Check the pending compiled programs against TFLM (raises on a mismatch or a build failure)."""
    if not State.pending:
        return
    from tinygen.check import check_compiled
    from tinygen.reference.tflm import OraclePool

    if State.pool is None:
        State.pool = OraclePool()
    items = [(compile_model(data, CompileOptions(name=f"a{k}")), data) for k, (_, data) in enumerate(State.pending)]
    labels = [label for label, _ in State.pending]
    State.pending = []
    reports = check_compiled(items, n_random=2, isolate=True, diagnose=False, labels=labels, oracle_pool=State.pool,
                             oracle_errors="report")
    for r, (_, data) in zip(reports, items):
        if r.error:
            State.counts["oracle_refused"] += 1
            continue
        State.counts["checked_vs_tflm"] += 1
        if not r.bit_exact:
            name = f"mismatch-{hashlib.sha256(data).hexdigest()[:16]}.tflite"
            Path(name).write_bytes(data)
            raise AssertionError(f"{r.model}: output differs from TFLM (saved as {name}): {r.mismatches[:2]}")
        State.counts["bit_exact"] += 1


def _write_stats() -> None:
    if State.stats_path is not None:
        State.stats_path.write_text(json.dumps(dict(runs=State.runs, **State.counts), indent=1) + "\n")


def test_one_input(data: bytes) -> None:
    State.runs += 1
    try:
        cm = compile_model(data, CompileOptions(name="fuzz"))
    except TinygenError as e:
        msg = str(e)
        if not msg.strip():
            raise AssertionError("TinygenError without a message") from None
        State.counts["refused"] += 1
    else:
        State.counts["compiled"] += 1
        key = _structure_key(cm.files)
        if key not in State.seen and len(State.seen) < CHECK_LIMIT:
            State.seen.add(key)
            State.counts["structures"] += 1
            State.pending.append((f"input {State.runs}", data))
            if len(State.pending) >= CHECK_BATCH:
                _flush_checks()
    if State.target_runs and State.runs >= State.target_runs:
        _flush_checks()
        _write_stats()
        if State.pool is not None:  # libFuzzer exits from C next: stop the TFLM worker now
            State.pool.close()
            State.pool = None
        if State.seed_dir is not None:  # the temporary corpus (libFuzzer adds its finds there)
            shutil.rmtree(State.seed_dir, ignore_errors=True)
    elif State.runs % 1000 == 0:
        _write_stats()


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    if len(data) < 8 or rng.random() < 0.5:
        out = atheris.Mutate(data, max_size)
    else:
        _, out = mutate(data, rng)
    return out[:max_size]


def _seed_corpus() -> Path:
    d = Path(tempfile.mkdtemp(prefix="tinygen-atheris-corpus-"))
    paths = [DEFAULT_MODEL] + (sorted(SHARED.rglob("*.tflite")) if SHARED.is_dir() else [])
    for p in paths:
        shutil.copy(p, d / p.name)
    return d


def main(argv: list[str]) -> None:
    args = list(argv)
    if "--stats" in args:
        i = args.index("--stats")
        State.stats_path = Path(args[i + 1])
        del args[i:i + 2]
    for a in args:
        if a.startswith("-runs="):
            State.target_runs = int(a.split("=", 1)[1])
    if not any(not a.startswith("-") for a in args[1:]):
        State.seed_dir = _seed_corpus()
        args.append(str(State.seed_dir))
    if not any(a.startswith("-max_len=") for a in args):
        args.append("-max_len=400000")
    atheris.Setup(args, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
