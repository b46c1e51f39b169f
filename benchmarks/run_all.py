"""Run every benchmark script in benchmarks/ and rewrite its committed results (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--models DIR] [--only NAME ...]

Each script is run in its own process, in the order below, with the shared models folder; the
first one to fail stops the run (exit code 1) with its name. Results are the scripts' own
*_results.md / *_results.json files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (name, script, takes --models): every benchmark, cheapest first. Not here, for its length
#: (about 50 minutes on 2 cores): sweep_throughput.py (`--only` cannot select it; run it directly).
BENCHMARKS = [
    ("memory", "memory_vs_tflm.py", True),
    ("patches", "patches.py", True),
    ("target", "target_table.py", True),
    ("backends", "backends_table.py", True),
    ("cmsisnn", "cmsisnn_compare.py", True),
    ("speedup", "speedup_all.py", True),
    ("kernels_conv", "kernels_conv.py", True),
    ("kernels_depthwise", "kernels_depthwise.py", True),
    ("spatial_ops", "spatial_ops.py", False),
    ("sequence_ops", "sequence_ops.py", False),
    ("pytorch_mobilenet", "pytorch_mobilenet.py", False),
    ("zoo", "zoo.py", False),
    ("fuzz", "fuzz_long.py", True),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    ap.add_argument("--only", nargs="*", choices=[b[0] for b in BENCHMARKS], help="Run only these.")
    args = ap.parse_args()
    if not args.models.is_dir():
        print(f"run_all: the shared models are not at {args.models} (use --models DIR)", file=sys.stderr)
        return 2
    for name, script, takes_models in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        cmd = [sys.executable, str(ROOT / "benchmarks" / script)] + (["--models", str(args.models)] if takes_models else [])
        print(f"run_all: {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT)
        if r.returncode != 0:
            print(f"run_all: {name} failed (exit code {r.returncode})", file=sys.stderr)
            return 1
        print(f"run_all: {name} done in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
