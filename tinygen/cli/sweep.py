"""`tinygen sweep`: many (model, board) pairs on a local process pool or a Ray cluster."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli, compile_options, console, err_console, options_from


@cli.command("sweep")
@click.argument("models", nargs=-1)
@click.option("--board", "-b", "boards", multiple=True, required=True,
              help="A board (see `tinygen boards`) or board .toml file; repeatable: every model on every board.")
@click.option("--space", metavar="MODULE:FUNCTION",
              help="A Python function returning the candidate models (bytes or (name, bytes)) instead of, or "
                   "besides, MODELS; MODULE may be a path to a .py file. E.g. tinygen.testing.spaces:mobilenet_v2_500.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results, one JSON row per pair (JSONL), appended as pairs finish; rerunning the same "
                   "command skips the pairs already there.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write this sweep's rows as CSV at the end.")
@click.option("--parquet", "parquet_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write this sweep's rows as Parquet at the end (needs pyarrow).")
@click.option("--no-link", is_flag=True, help="Compile and plan memory only (no firmware: fits is judged on the "
                                               "arena and the constants).")
@click.option("--emulate", is_flag=True, help="Also run one inference under the emulator: bit-exact check "
                                               "against TFLM, instructions, cycle and latency estimates.")
@click.option("--opt", type=click.Choice(["O2", "Os", "O3", "O1", "O0"]), default="O2", show_default=True,
              help="Optimization level of the firmware builds.")
@click.option("--inputs", "n_inputs", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="Random inputs compared with TFLM per pair (--emulate).")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--jobs", "-j", type=click.IntRange(1, 1024),
              help="Local worker processes (default: the number of cores).")
@click.option("--ray", "ray_address", metavar="auto|ADDRESS",
              help="Run the pairs on a Ray cluster instead: auto (this machine's cluster or RAY_ADDRESS) or "
                   "HOST:PORT. Needs `pip install 'tinygen[ray]'` here and tinygen on every node.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Scatter plot of every candidate (SRAM vs latency, coloured by fit), one panel per board.")
@click.option("--front", "front_rows", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="Rows of each board's Pareto front shown.")
@click.option("--pareto", "objective", type=click.Choice(["cost", "capacity"]), default="cost", show_default=True,
              help="The front shown and circled in the plot: cost (the least SRAM, latency, flash) or capacity "
                   "(the most MACs for the least SRAM and flash: the largest networks each board admits).")
@compile_options
def sweep_cmd(models, boards, space, output, csv_path, parquet_path, no_link, emulate, opt, n_inputs, seed,
              jobs, ray_address, plot_path, front_rows, objective, **kw) -> None:
    """Evaluate every MODEL (.tflite files, folders, globs) or --space candidate on every --board:
    compile, plan memory (with --patches as asked), link the firmware, and with --emulate run it
    under the emulator. One row per pair is appended to --output as it finishes (a failing pair is
    a row with its error); at the end, each board's Pareto front of the fitting candidates (SRAM,
    latency, flash)."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from ..errors import TinygenError
    from ..sweep import sweep
    from ..sweep.pareto import front_tables

    if no_link and emulate:
        raise TinygenError("--no-link and --emulate exclude each other")
    if jobs and ray_address:
        raise TinygenError("--jobs is for the local pool; with --ray the cluster's CPUs set the parallelism")
    stage = "plan" if no_link else "emulate" if emulate else "link"
    options = options_from(kw)

    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                        TextColumn("ETA"), TimeRemainingColumn(), TextColumn("{task.fields[errors]}"),
                        console=console, transient=False)
    state = dict(task=None, errors=0, computed=0, t0=0.0)

    def on_start(description: str, total: int | None) -> None:
        import time

        console.print(f"sweep: {description}; results in {output}")
        progress.start()
        state["task"] = progress.add_task("pairs", total=total, rate="", errors="")
        state["t0"] = time.perf_counter()

    def on_row(row: dict, done: int, total: int | None, reused: bool) -> None:
        import time

        state["computed"] += not reused
        state["errors"] += bool(row.get("error"))
        dt = time.perf_counter() - state["t0"]
        rate = f"{state['computed'] / dt:.2f} pairs/s" if state["computed"] and dt > 0 else ""
        errs = f"[red]{state['errors']} failed[/red]" if state["errors"] else ""
        progress.update(state["task"], completed=done, total=total if total is not None else None, rate=rate,
                        errors=errs)

    try:
        res = sweep(models, boards, space=space, stage=stage, options=options, opt=opt, inputs=n_inputs, seed=seed,
                    output=output, csv=csv_path, parquet=parquet_path, plot=plot_path, jobs=jobs, ray=ray_address,
                    on_row=on_row, on_start=on_start, objective=objective)
    finally:
        progress.stop()
    for t in front_tables(res.rows, limit=front_rows, objective=objective):
        console.print(t)
    rate = res.computed / res.seconds if res.seconds > 0 else 0.0
    console.print(f"{len(res.rows)} pairs: {res.computed} evaluated ({rate:.2f} pairs/s), {res.reused} already in "
                  f"{output}; {sum(1 for r in res.rows if r.get('fits'))} fit, {len(res.errors)} failed; "
                  f"{res.seconds:.1f} s")
    for r in res.errors[:5]:
        err_console.print(f"failed: {r['model']} on {r['board']}: {r['error']}", markup=False, highlight=False)
    if len(res.errors) > 5:
        err_console.print(f"... and {len(res.errors) - 5} more (the error column of {output})")
    for label, p in (("csv", csv_path), ("parquet", parquet_path), ("plot", plot_path)):
        if p is not None:
            console.print(f"{label}: {p}")
