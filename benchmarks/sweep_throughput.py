"""Sweep throughput: the 500-candidate MobileNetV2 space (tinygen.testing.spaces.mobilenet_v2_500) x 3
boards, compile and plan only, on the local process pool and on a Ray cluster of this machine
(a head node on 127.0.0.1 with as many CPUs as the pool has workers), same settings, same rows.

    PYTHONPATH=$PWD python benchmarks/sweep_throughput.py            # -> benchmarks/sweep_results.{json,md}
    PYTHONPATH=$PWD python benchmarks/sweep_throughput.py --candidates 30 --out /tmp/quick   # a quick look

Measured: wall time of each sweep (from submitting the first pair to the last row written, the
executor's start-up included: process pool spawn, or connecting the driver to the running cluster;
the cluster's own start is not, as on a real cluster it is already up), pairs per second, and the
seconds each pair spent inside its task (the work: the same on both). Ray's overhead per pair is
(Ray's wall time - the pool's) / pairs, against the pool's wall time per pair. Both runs start
with the same warm build cache and write to fresh results files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tinygen.options import CompileOptions  # noqa: E402
from tinygen.paths import cache_dir  # noqa: E402
from tinygen.sweep import comparable, sweep  # noqa: E402
from tinygen.sweep.pareto import front_markdown, fronts_by_board  # noqa: E402
from tinygen.testing.spaces import MBV2_RESOLUTIONS, MBV2_WIDTHS, LazySpace, mobilenet_v2_500  # noqa: E402
from tinygen.testing.ray_cluster import LocalRayCluster  # noqa: E402

BOARDS = ["NUCLEO-F411RE", "STM32F746G-DISCO", "Raspberry-Pi-Pico"]


def subset(n: int) -> LazySpace:
    """n candidates spread evenly over the 500 (all of them for n >= 500)."""
    full = mobilenet_v2_500()
    items = full._items
    if n >= len(items):
        return full
    step = len(items) / n
    return LazySpace([items[int(i * step)] for i in range(n)])


def run(label: str, space, boards, options, out: Path, **kw) -> dict:
    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = sweep(space=space, boards=boards, stage="plan", options=options, output=out, **kw)
    wall = time.perf_counter() - t0
    load_end = os.getloadavg()[0]
    task_s = [r["seconds"] for r in res.rows]
    print(f"{label}: {len(res.rows)} pairs in {wall:.1f} s ({len(res.rows) / wall:.3f} pairs/s; "
          f"{len(res.errors)} errors) on {res.executor}", flush=True)
    return dict(label=label, executor=res.executor, pairs=len(res.rows), computed=res.computed, wall_s=round(wall, 2),
                pairs_per_s=round(len(res.rows) / wall, 4), wall_s_per_pair=round(wall / len(res.rows), 4),
                task_s_total=round(sum(task_s), 1), task_s_mean=round(statistics.mean(task_s), 3),
                task_s_median=round(statistics.median(task_s), 3), task_s_max=round(max(task_s), 3),
                errors=len(res.errors), load_1min_start_end=[round(load_start, 1), round(load_end, 1)],
                rows=res.rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="pool workers = Ray CPUs")
    ap.add_argument("--planner", default="heuristic")
    ap.add_argument("--patches", default="auto")
    ap.add_argument("--out", type=Path, default=HERE / "sweep_results")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--extra-local", action="store_true",
                    help="run the local pool once more and add it to the results in --out (ABA: local runs before "
                         "and after Ray; the overhead is then taken against their mean)")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite --out's .md from its .json and .jsonl")
    args = ap.parse_args()
    if args.extra_local:
        return extra_local(args)
    if args.markdown_only:
        summary = json.loads(Path(f"{args.out}.json").read_text())
        rows = [json.loads(x) for x in Path(f"{args.out}.jsonl").read_text().splitlines()]
        overhead(summary)
        Path(f"{args.out}.md").write_text(markdown(summary, rows))
        return
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    options = CompileOptions(planner=args.planner, patches=args.patches)
    n = min(args.candidates, 500)
    work = Path(tempfile.mkdtemp(prefix="tg-sweep-bench-"))
    print(f"{n} candidates x {len(BOARDS)} boards, planner={args.planner}, patches={args.patches}, "
          f"{args.workers} workers; scratch {work}", flush=True)

    # warm the build cache (kernel-library queries) and the import caches once, outside the timings
    sweep(space=subset(2), boards=BOARDS, stage="plan", options=options, output=work / "warm.jsonl", jobs=1)

    local = run("local pool", subset(n), BOARDS, options, work / "local.jsonl", jobs=args.workers)
    ray = None
    if not args.skip_ray:
        with LocalRayCluster(nodes=1, cpus_per_node=args.workers, root=work / "ray", cache=cache_dir()) as cluster:
            # the node's cache: a copy of the warm-up (same as the pool's)
            sweep(space=subset(2), boards=BOARDS, stage="plan", options=options, output=work / "warm-ray.jsonl",
                  ray=cluster.address)
            ray = run("Ray", subset(n), BOARDS, options, work / "ray.jsonl", ray=cluster.address)

    summary = dict(
        machine=dict(cores=os.cpu_count(), python=platform.python_version(), load_average_at_end=os.getloadavg()),
        space=dict(candidates=n, widths=list(MBV2_WIDTHS), resolutions=list(MBV2_RESOLUTIONS)),
        boards=BOARDS, stage="plan", options=dict(planner=args.planner, patches=args.patches),
        workers=args.workers,
        runs=[{k: v for k, v in r.items() if k != "rows"} for r in (local, ray) if r is not None],
    )
    if ray is not None:
        same = sorted(map(lambda r: json.dumps(comparable(r), sort_keys=True), local["rows"])) == \
            sorted(map(lambda r: json.dumps(comparable(r), sort_keys=True), ray["rows"]))
        summary["ray_rows_identical_to_local"] = same
        overhead(summary)
    fronts = fronts_by_board(local["rows"])
    summary["pareto_front_sizes"] = {b: len(f) for b, f in fronts.items()}
    summary["fits"] = {b: sum(1 for r in local["rows"] if r["board"] == b and r["fits"]) for b in BOARDS}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(summary, indent=1) + "\n")
    Path(f"{args.out}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sorted(
        local["rows"], key=lambda r: (r["board"], r["model"]))))
    Path(f"{args.out}.md").write_text(markdown(summary, local["rows"]))
    print(Path(f"{args.out}.md").read_text())


def overhead(summary: dict) -> None:
    """Ray's overhead per pair against the mean of the local runs."""
    local = [r for r in summary["runs"] if r["executor"].startswith("local")]
    ray = [r for r in summary["runs"] if r["executor"].startswith("Ray")]
    if not (local and ray):
        return
    local_per_pair = statistics.mean(r["wall_s_per_pair"] for r in local)
    over = ray[0]["wall_s_per_pair"] - local_per_pair
    summary["local_wall_s_per_pair_mean"] = round(local_per_pair, 4)
    summary["ray_overhead_s_per_pair"] = round(over, 4)
    summary["ray_overhead_percent_of_local_per_pair"] = round(100 * over / local_per_pair, 2)


def extra_local(args) -> None:
    summary = json.loads(Path(f"{args.out}.json").read_text())
    rows = [json.loads(x) for x in Path(f"{args.out}.jsonl").read_text().splitlines()]
    opts = summary["options"]
    n = summary["space"]["candidates"]
    work = Path(tempfile.mkdtemp(prefix="tg-sweep-bench-"))
    r = run("local pool (again, after Ray)", subset(n), summary["boards"], CompileOptions(**opts),
            work / "local.jsonl", jobs=summary["workers"])
    canon = lambda rs: sorted(json.dumps(comparable(x), sort_keys=True) for x in rs)  # noqa: E731
    summary["runs"].append({k: v for k, v in r.items() if k != "rows"} | {"executor": "local pool, 2 workers (rerun)"})
    summary["rerun_rows_identical"] = canon(r["rows"]) == canon(rows)
    summary["machine"]["load_average_at_end"] = os.getloadavg()
    overhead(summary)
    Path(f"{args.out}.json").write_text(json.dumps(summary, indent=1) + "\n")
    Path(f"{args.out}.md").write_text(markdown(summary, rows))
    print(Path(f"{args.out}.md").read_text())


def markdown(s: dict, rows: list[dict]) -> str:
    lines = [f"# Sweep throughput (`benchmarks/sweep_throughput.py`)", "",
             f"{s['space']['candidates']} MobileNetV2 candidates (widths {s['space']['widths'][0]}-"
             f"{s['space']['widths'][-1]}, resolutions {s['space']['resolutions'][0]}-{s['space']['resolutions'][-1]}) "
             f"x {len(s['boards'])} boards ({', '.join(s['boards'])}), compile and plan only "
             f"(`--no-link`), planner `{s['options']['planner']}`, `--patches {s['options']['patches']}`; "
             f"{s['machine']['cores']}-core machine, {s['workers']} workers (pool processes = Ray CPUs).", "",
             "| executor | pairs | wall s | pairs/s | wall s per pair | task s per pair (mean / median / max) | errors |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for r in s["runs"]:
        lines.append(f"| {r['executor']} | {r['pairs']} | {r['wall_s']:,.1f} | {r['pairs_per_s']:.3f} | "
                     f"{r['wall_s_per_pair']:.3f} | {r['task_s_mean']:.2f} / {r['task_s_median']:.2f} / "
                     f"{r['task_s_max']:.2f} | {r['errors']} |")
    lines.append("")
    if "ray_overhead_s_per_pair" in s:
        lines.append(f"- Ray's overhead per pair: {s['ray_overhead_s_per_pair'] * 1000:+.1f} ms, "
                     f"{s['ray_overhead_percent_of_local_per_pair']:+.2f} % of the local pool's wall time per pair "
                     f"({s['local_wall_s_per_pair_mean']:.3f} s, the mean of the local runs); rows identical to the "
                     f"local run (timings aside): {s['ray_rows_identical_to_local']}"
                     + (f"; the local rerun's rows too: {s['rerun_rows_identical']}" if "rerun_rows_identical" in s
                        else "") + ".")
    lines.append(f"- Candidates that fit (arena within the board's SRAM less stack, constants within its flash): "
                 + ", ".join(f"{b} {n}" for b, n in s["fits"].items()) + ".")
    lines.append(f"- Load average at the end: {', '.join(f'{x:.1f}' for x in s['machine']['load_average_at_end'])} "
                 f"(the machine is shared).")
    lines += ["", "## Pareto fronts: cost (the least arena, MACs and constants among the fitting candidates)", "",
              "In this grid every cost grows with width and resolution, so the smallest network that fits is the "
              "whole cost front.", "", front_markdown(rows, "cost"),
              "## Pareto fronts: capacity (the most MACs for the least arena and constants)", "",
              "The largest networks each board admits: what a search keeps to train and compare.", "",
              front_markdown(rows, "capacity")]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
