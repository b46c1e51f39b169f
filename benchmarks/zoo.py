"""The model zoo (models/zoo, real converter output) through tinygen: operators, bit-exactness
with TFLite Micro (host build and emulated Cortex-M4), arena against TFLM's, flash, and M4
instructions; plus the smallest board of boards/ that holds each model.

    .venv/bin/python benchmarks/zoo.py [--zoo models/zoo] [--out benchmarks/zoo_results.md]

Columns:
- operators: the distinct TFLite operators of the model as converted;
- host / M4: every output bit-identical to TFLM on 3 random inputs (host build via cffi; the
  firmware for generic-m4 emulated by Unicorn, also compared with the host build);
- arena: tinygen's arena (default options: graph optimizations, in-place, overlap; no patches)
  against TFLM's non-persistent arena ("head") and its whole arena ("total") from tflite-micro's
  allocation report;
- without graph opt.: the arena with fold_pad, remove_noops and place_float_io off;
- `--patches min`: the arena with the patch stage of least peak (20 % MAC limit, image in the
  arena; host build checked bit-exact too), "no gain" when no stage lowers the peak;
- flash: .text + .rodata + .data of the M4 firmware (weights included); instructions: one
  inference on the emulated M4 (-O2);
- smallest board: the board with the least flash among those where the firmware fits (flash and
  SRAM, measured by `tinygen run` on that board).
A model needing an operator tinygen does not have yet is listed with those operators.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.boards import list_boards  # noqa: E402
from tinygen.check import check_compiled  # noqa: E402
from tinygen.compiler import compile_model  # noqa: E402
from tinygen.errors import UnsupportedError  # noqa: E402
from tinygen.frontend import parse_tflite  # noqa: E402
from tinygen.options import CompileOptions  # noqa: E402
from tinygen.reference.tflm import allocation_report  # noqa: E402
from tinygen.emulator.runner import CPU_MODELS  # noqa: E402
from tinygen.target import run_on_board  # noqa: E402
from tinygen.testing.zoo import missing_operators  # noqa: E402


def measure(path: Path) -> dict:
    data = path.read_bytes()
    g = parse_tflite(data)
    row: dict = dict(model=path.stem, bytes=len(data), operators=sorted({op.kind for op in g.ops}),
                     n_ops=len(g.ops))
    t0 = time.perf_counter()
    missing = missing_operators(data)
    if missing:
        row["waits_for"] = missing
        return row
    try:
        cm = compile_model(data, CompileOptions(name="m"))
    except UnsupportedError as e:
        row["refused"] = str(e)
        return row
    row["arena_bytes"] = cm.arena_bytes
    row["optimizations"] = dict(pads_folded=len(cm.pads.folded) if cm.pads else 0,
                                noops_removed=len(cm.noops.removed) if cm.noops else 0,
                                float_io_moved=len(cm.float_io.moved) if cm.float_io else 0)
    pm = compile_model(data, CompileOptions(name="p", patches="min"))
    row["patched_min_bytes"] = pm.arena_bytes if pm.patches.applied else None
    row["patched_min"] = f"{pm.patches.k}:{pm.patches.grid[0]}x{pm.patches.grid[1]}" if pm.patches.applied else None
    row["no_graph_opt_bytes"] = compile_model(data, CompileOptions(name="o", fold_pad=False, remove_noops=False,
                                                                   place_float_io=False)).arena_bytes
    items = [(cm, data)] + ([(pm, data)] if pm.patches.applied else [])
    reps = check_compiled(items, n_random=3)
    row["host_bit_exact"] = all(r.bit_exact for r in reps)
    tflm = allocation_report(data)
    row["tflm_head_bytes"], row["tflm_total_bytes"] = tflm["head"], tflm["total"]
    m4 = run_on_board(data, "generic-m4", options=CompileOptions(name="m"), n_random=3)
    row["m4"] = dict(bit_exact=m4.outputs_match_reference, flash_bytes=m4.flash_bytes, sram_peak_bytes=m4.sram_peak_bytes,
                     instructions=m4.instructions)
    # the smallest board (least flash) where the firmware fits
    row["smallest_board"] = None
    for b in sorted(list_boards(), key=lambda b: (b.flash.size, b.name)):
        if b.name.startswith("generic") or b.flash.size < m4.flash_bytes or b.core not in CPU_MODELS:
            continue  # (cores Unicorn does not model, e.g. the M55 QEMU machine, are left out)
        r = run_on_board(data, b.name, options=CompileOptions(name="m"), n_random=1)
        if r.fits and r.outputs_match_reference:
            row["smallest_board"] = dict(board=b.name, flash_bytes=r.flash_bytes, sram_peak_bytes=r.sram_peak_bytes)
            break
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def table(rows: list[dict]) -> list[str]:
    lines = ["| model | operators | host | M4 | arena B | TFLM head B | TFLM total B | arena / TFLM head | "
             "without graph opt. B | `--patches min` B | flash B | M4 instructions | smallest board |",
             "|---|---|:-:|:-:|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        ops = ", ".join(r["operators"])
        if "waits_for" in r:
            lines.append(f"| {r['model']} | {ops} | - | - | needs {', '.join(r['waits_for'])} (not implemented yet) "
                         "| | | | | | | | |")
            continue
        if "refused" in r:
            lines.append(f"| {r['model']} | {ops} | - | - | refused: {r['refused'][:140]} | | | | | | | | |")
            continue
        m4, sb = r["m4"], r["smallest_board"]
        board = f"{sb['board']} ({sb['sram_peak_bytes']:,} B SRAM)" if sb else "none"
        lines.append(f"| {r['model']} | {ops} | {'yes' if r['host_bit_exact'] else 'NO'} | "
                     f"{'yes' if m4['bit_exact'] else 'NO'} | {r['arena_bytes']:,} | {r['tflm_head_bytes']:,} | "
                     f"{r['tflm_total_bytes']:,} | {r['arena_bytes'] / r['tflm_head_bytes']:.2f} | "
                     f"{r['no_graph_opt_bytes']:,} | "
                     + (f"{r['patched_min_bytes']:,} ({r['patched_min']})" if r["patched_min"] else "no gain") + " | "
                     f"{m4['flash_bytes']:,} | "
                     f"{m4['instructions']:,} | {board} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", type=Path, default=ROOT / "models" / "zoo")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "zoo_results.md")
    args = ap.parse_args()
    rows = []
    for p in sorted(args.zoo.glob("*.tflite")):
        rows.append(measure(p))
        print(json.dumps(rows[-1]), flush=True)
    lines = ["# Model zoo results (generated by benchmarks/zoo.py)", "",
             "Real converter output (models/zoo, made by scripts/make_zoo.py). Bit-exact: every output identical to "
             "TFLite Micro on 3 random inputs, host build and emulated Cortex-M4 (generic-m4, -O2). Arena: default "
             "options, no patches; TFLM head = its non-persistent arena, total = everything it allocates. Flash and "
             "instructions: the M4 firmware. Smallest board: the least flash among boards/ where the firmware fits.",
             ""] + table(rows)
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
