"""Sweep: evaluate many (model, board) pairs, locally or on a Ray cluster.

    from tinygen.sweep import sweep
    res = sweep(["models/"], ["NUCLEO-F411RE", "NUCLEO-H743ZI"], output="results.jsonl")
    res = sweep(space="tinygen.testing.spaces:mobilenet_v2_500", boards=[...], stage="plan", ray="auto")
    res.rows            # one dict per pair (tinygen.sweep.evaluate.FIELDS), this sweep's pairs only
    res.computed        # pairs evaluated by this call; res.reused: taken from the results file

For every pair: compile and plan memory (with the board's core, alignment and, with
patches="auto", its SRAM as the budget), then, unless stage="plan", link the firmware for the board
(flash, static SRAM; a model that does not fit is measured with enlarged memories), and with
stage="emulate" run one inference under the emulator (bit-exact check against TFLM, instructions,
cycle estimate): tinygen.target does each step. A failing pair is a row with its one-line error.
Rows are appended to the results file as they finish; a rerun with the same file skips the pairs
already there (tinygen.sweep.results).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TinygenError
from ..options import PATCH_MODES, CompileOptions
from .candidates import Candidate, CandidateSource, chain_sources, file_candidates, space_candidates
from .evaluate import FIELDS, STAGES, SweepSettings, empty_row
from .executors import LocalExecutor, RayExecutor, Task
from .pareto import fronts_by_board, front_tables, pareto_front, plot_sweep
from .results import ResultsFile, comparable, read_rows, row_key, write_csv, write_parquet

#: called after every pair: (row, pairs done, total pairs or None, the row was reused)
OnRow = Callable[[dict, int, "int | None", bool], None]


@dataclass
class SweepResult:
    rows: list[dict] = field(default_factory=list)
    #: pairs evaluated by this call, and pairs whose rows came from the results file
    computed: int = 0
    reused: int = 0
    seconds: float = 0.0
    executor: str = ""

    @property
    def errors(self) -> list[dict]:
        return [r for r in self.rows if r.get("error")]

    def fronts(self) -> dict[str, list[dict]]:
        return fronts_by_board(self.rows)


def validate_settings(settings: SweepSettings) -> None:
    p = (settings.options.patches or "off").strip().lower()
    if p not in PATCH_MODES:
        from ..patching.search import parse_spec

        try:
            parse_spec(p)
        except ValueError as e:
            raise TinygenError(str(e)) from None


def make_executor(jobs: int | None = None, ray: str | None = None):
    return RayExecutor(ray) if ray else LocalExecutor(jobs)


def sweep(models: Iterable[str | Path] = (), boards: Iterable[str] = (), *, space: str | Iterable | None = None,
          stage: str = "link", options: CompileOptions | None = None, opt: str = "O2", inputs: int = 1,
          seed: int = 0, output: str | Path | None = None, csv: str | Path | None = None,
          parquet: str | Path | None = None, plot: str | Path | None = None, jobs: int | None = None,
          ray: str | None = None, executor=None, on_row: OnRow | None = None, objective: str = "cost",
          on_start: Callable[[str, "int | None"], None] | None = None) -> SweepResult:
    """Evaluate every (model, board) pair; see the module's documentation.

    models: .tflite files, folders, globs. space: "module:function" (or an iterable of bytes /
    (name, bytes) / Candidate). stage: "plan", "link" or "emulate". output: the JSONL results file
    (appended; resumed). jobs: local worker processes (default: the number of cores); ray: a Ray
    address ("auto", "HOST:PORT") instead. Raises TinygenError for a bad request (unknown board,
    missing file, bad space) before anything is written; problems with single pairs are rows.
    """
    from ..boards import load_board

    t0 = time.perf_counter()
    if stage not in STAGES:
        raise TinygenError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
    settings = SweepSettings(options=options or CompileOptions(), stage=stage, opt=opt, inputs=inputs, seed=seed)
    validate_settings(settings)
    board_names = list(dict.fromkeys(load_board(b).name for b in boards))  # unknown board: one-line error
    if not board_names:
        raise TinygenError("no board given (--board NAME, repeatable; see `tinygen boards`)")
    models = list(models)
    sources: list[CandidateSource] = []
    if models:
        sources.append(file_candidates(models))
    if isinstance(space, str):
        sources.append(space_candidates(space))
    elif space is not None:
        items = space
        sources.append(CandidateSource(lambda: (_as_candidate(i, c) for i, c in enumerate(items)),
                                       len(items) if hasattr(items, "__len__") else None))
    if not sources:
        raise TinygenError("no models: give .tflite files, folders or globs, or --space module:function")
    if parquet is not None:
        from .results import parquet_missing

        if (why := parquet_missing()):
            raise TinygenError(why)
    source = chain_sources(sources)
    total = source.count * len(board_names) if source.count is not None else None

    import contextlib
    import tempfile

    with contextlib.ExitStack() as stack:
        if output is None:  # the API without a file: a private one, so resuming logic is the same
            tmpdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="tinygen-sweep-"))
            output = Path(tmpdir) / "results.jsonl"
        results_file = ResultsFile(output)  # checks the path before connecting anywhere
        ex = executor or make_executor(jobs, ray)
        stack.callback(ex.close)
        results = stack.enter_context(results_file)
        if on_start:
            on_start(ex.description, total)
        res = SweepResult(executor=ex.description)
        keys: list[str] = []
        done = 0

        def emit(row: dict, reused: bool) -> None:
            nonlocal done
            done += 1
            if not reused:
                results.append(row)
            if on_row:
                on_row(row, done, total, reused)

        def tasks() -> Iterator[Task]:
            """Pairs still to compute; reused rows and rows of unreadable candidates are emitted here."""
            for c in source:
                for b in board_names:
                    key = row_key(c.sha256, c.name, b, settings)
                    keys.append(key)
                    prev = results.done(key)
                    if prev is not None:
                        res.reused += 1
                        emit(prev, True)
                    elif c.error is not None:
                        row = empty_row(c.name, None, b, settings, key)
                        row.update(error=c.error, transient=c.transient, seconds=0.0)
                        res.computed += 1
                        emit(row, False)
                    else:
                        yield Task(c, b, key)

        for row in ex.run(tasks(), settings):
            res.computed += 1
            emit(row, False)
        mine = dict.fromkeys(keys)
        res.rows = [results.rows[k] for k in mine if k in results.rows]
    if csv is not None:
        write_csv(csv, res.rows)
    if parquet is not None:
        write_parquet(parquet, res.rows)
    if plot is not None:
        plot_sweep(res.rows, plot, objective)
    res.seconds = time.perf_counter() - t0
    return res


def _as_candidate(i: int, item) -> Candidate:
    from .candidates import _item

    return _item("candidate", i, item)


__all__ = ["FIELDS", "STAGES", "Candidate", "LocalExecutor", "RayExecutor", "SweepResult", "SweepSettings", "comparable",
           "front_tables", "fronts_by_board", "make_executor", "pareto_front", "plot_sweep", "read_rows", "sweep"]
