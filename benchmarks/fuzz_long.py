"""The long fuzzing run: mutated models through `tinygen compile` and TFLM, and a coverage-guided
atheris run of parse + compile (+ check of every new compiled structure). Expected: zero findings.

    .venv/bin/python benchmarks/fuzz_long.py [--models DIR] [--mutants N] [--atheris-runs N]
                                             [--out benchmarks/fuzz_results.md]

1. Mutation campaign (tinygen.testing.fuzz.run_campaign), derandomized (seed 12): N mutants round
   robin over the bundled demo model and every model in DIR, each through `tinygen compile` in
   process. Findings: internal errors or tracebacks, errors longer than one line, runs over 20 s
   (hangs), files left behind after an error (output folder, temporary folders), a generated C
   file the host compiler rejects, an output that differs from TFLM. Every distinct compiled
   program (up to --check-limit) is built for the host and compared with TFLM on 2 random inputs.
2. atheris (scripts/fuzz_atheris.py), in a second process while the campaign runs, with -seed=1, -runs=N and -timeout=20, seeded with the models
   of at most 100 KB (parse + compile of the larger ones is slow under coverage instrumentation;
   the mutation campaign covers them). Findings: crash-*, timeout-* and oom-* files (every
   non-TinygenError exception, mismatch with TFLM or host-build failure raises, so it is a crash).
   slow-unit-* files (an input over 10 s; not a hang) are counted apart.

Writes fuzz_results.json and fuzz_results.md beside --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _git_commit() -> str:
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def mutation_campaign(models: Path, n: int, check_limit: int) -> dict:
    from tinygen.paths import DEFAULT_MODEL
    from tinygen.testing.fuzz import run_campaign

    seeds = [(DEFAULT_MODEL.name, DEFAULT_MODEL.read_bytes())]
    seeds += [(p.name, p.read_bytes()) for p in sorted(models.rglob("*.tflite"))]

    def progress(i, res):
        if i % 500 == 0:
            print(f"fuzz_long: {i}/{n} mutants, {res.finding_count} findings, {res.outcomes}", flush=True)

    res = run_campaign(seeds, n=n, seed=12, check=True, check_limit=check_limit, progress=progress)
    d = res.to_dict()
    d["seeds"] = [label for label, _ in seeds]
    return d


class AtherisRun:
    """scripts/fuzz_atheris.py in its own session, started now, collected by result()."""

    def __init__(self, models: Path, runs: int) -> None:
        from tinygen.paths import DEFAULT_MODEL

        self.runs = runs
        self.work = Path(tempfile.mkdtemp(prefix="tinygen-atheris-"))
        corpus = self.work / "corpus"
        corpus.mkdir()
        self.seeds = [DEFAULT_MODEL] + [p for p in sorted(models.rglob("*.tflite")) if p.stat().st_size <= 100_000]
        for p in self.seeds:
            (corpus / p.name).write_bytes(p.read_bytes())
        self.stats = self.work / "stats.json"
        self.t0 = time.perf_counter()
        cmd = [sys.executable, str(ROOT / "scripts" / "fuzz_atheris.py"), "--stats", str(self.stats), f"-runs={runs}",
               "-seed=1", "-timeout=20", "-rss_limit_mb=6144", "-max_len=120000", str(corpus)]
        env = dict(os.environ, PYTHONPATH=str(ROOT), TINYGEN_SHARED=str(models.parent))
        # output to a file, not a pipe, and in its own session: libFuzzer exits from C, so the TFLM
        # worker it started may outlive it; the session is killed afterwards
        self.log = self.work / "atheris.log"
        self._f = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.work, stdout=self._f, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def result(self) -> dict:
        code = self.proc.wait()
        self._f.close()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        seconds = time.perf_counter() - self.t0
        text = self.log.read_text(errors="replace")
        files = sorted(p.name for p in self.work.iterdir())
        done = next((ln for ln in text.splitlines() if ln.startswith("Done ")), "")
        cov = next((ln for ln in reversed(text.splitlines()) if " cov: " in ln), "")
        out = dict(runs_requested=self.runs, exit_code=code, seconds=round(seconds, 1), done=done,
                   last_status=cov.strip(), seeds=[p.name for p in self.seeds],
                   crashes=len([f for f in files if f.startswith("crash-")]),
                   hangs=len([f for f in files if f.startswith("timeout-")]),
                   ooms=len([f for f in files if f.startswith("oom-")]),
                   slow_units=len([f for f in files if f.startswith("slow-unit-")]))
        if self.stats.exists():
            out.update(json.loads(self.stats.read_text()))
        if code != 0:
            out["log_tail"] = text[-3000:]
        shutil.rmtree(self.work, ignore_errors=True)
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    ap.add_argument("--mutants", type=int, default=6000)
    ap.add_argument("--check-limit", type=int, default=400)
    ap.add_argument("--atheris-runs", type=int, default=10000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "fuzz_results.md")
    args = ap.parse_args()
    if not args.models.is_dir():
        print(f"fuzz_long: the shared models are not at {args.models} (use --models DIR)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    commit = _git_commit()  # the code that runs (recorded before anything else)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    run = AtherisRun(args.models, args.atheris_runs) if args.atheris_runs > 0 else None  # runs meanwhile
    camp = mutation_campaign(args.models, args.mutants, args.check_limit)
    print(f"fuzz_long: mutation campaign done: {camp['finding_count']} findings", flush=True)
    ath = run.result() if run is not None else None
    findings = camp["finding_count"] + (ath["crashes"] + ath["hangs"] + ath["ooms"] + (ath["exit_code"] != 0)
                                         if ath else 0)
    result = dict(commit=commit + ("+uncommitted changes" if dirty else ""), python=platform.python_version(), machine=f"{os.cpu_count()} cores",
                  seconds=round(time.perf_counter() - t0, 1), total_findings=findings, mutation=camp, atheris=ath)
    js = args.out.with_suffix(".json")
    js.write_text(json.dumps(result, indent=1) + "\n")
    o = camp["outcomes"]
    lines = [
        "# Long fuzzing run (`benchmarks/fuzz_long.py`)",
        "",
        f"Commit {result['commit']}, Python {result['python']}, {result['machine']}, {result['seconds']:.0f} s in all "
        "(the machine was shared with other jobs).",
        "",
        "## Mutated models through `tinygen compile` and TFLM",
        "",
        f"Seeds: {', '.join(camp['seeds'])}.",
        "",
        "| mutants | compiled | refused (one-line error) | distinct programs | checked vs TFLM | bit-exact | "
        "TFLM cannot load | findings |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {camp['mutants']:,} | {o.get('compiled', 0):,} | {o.get('refused', 0):,} | {camp['distinct_compiled']:,} | "
        f"{camp['checked_vs_tflm']:,} | {camp['bit_exact']:,} | {camp['oracle_refused']:,} | {camp['finding_count']} |",
        "",
        "Mutators: " + ", ".join(f"{k} {v:,}" for k, v in sorted(camp["by_mutator"].items())) + ".",
        f"Slowest mutant: {camp['slowest_seconds']:.1f} s (hang limit 20 s).",
        "",
        "Findings by kind (crash = internal error or traceback, not one line, hang, leftover, build failure, "
        "mismatch): " + (", ".join(f"{f['kind']}" for f in camp["findings"]) or "none") + ".",
        "",
    ]
    if ath:
        lines += [
            "## atheris (coverage-guided, `scripts/fuzz_atheris.py`)",
            "",
            f"Seeds: {', '.join(ath['seeds'])}. `-seed=1 -runs={ath['runs_requested']} -timeout=20`.",
            "",
            "| runs | compiled | refused | structures checked vs TFLM | bit-exact | TFLM cannot load | crashes | "
            "hangs | out of memory | slow inputs (> 10 s) |",
            "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
            f"| {ath.get('runs', 0):,} | {ath.get('compiled', 0):,} | {ath.get('refused', 0):,} | "
            f"{ath.get('checked_vs_tflm', 0):,} | {ath.get('bit_exact', 0):,} | {ath.get('oracle_refused', 0):,} | "
            f"{ath['crashes']} | {ath['hangs']} | {ath['ooms']} | {ath['slow_units']} |",
            "",
            f"libFuzzer: `{ath['done']}`; last status `{ath['last_status']}`.",
            "",
        ]
    lines.append(f"**Total findings: {findings}.**")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"fuzz_long: {findings} findings; results in {args.out} and {js}", flush=True)
    return 0 if findings == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
