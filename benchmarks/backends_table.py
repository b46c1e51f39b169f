"""Every board on every back end that can run it, written to benchmarks/backends_results.md (and .json).

    .venv/bin/python benchmarks/backends_table.py [--models DIR] [--out benchmarks/backends_results.md]

Per board and shared model that fits the board: Unicorn (where it has the core) and QEMU (where the
board names a QEMU machine) run the same ELF on the model's recorded sample input (else a random
one); both must be bit-identical to TFLM and the host build. Instruction counts of one inference
come from Unicorn's block hook and from tinygen's QEMU plugin. The GDB back end is run against
QEMU started with empty flash (load, verify, reset, run) for the boards with a QEMU machine. The
flash columns give the tools whose command lines tests/target/test_flash.py checks for the board.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.boards import list_boards  # noqa: E402
from tinygen.emulator import CPU_MODELS  # noqa: E402
from tinygen.target import TargetOptions, run_on_board  # noqa: E402


def sample(model: Path, models_dir: Path):
    import numpy as np

    from tinygen.check import random_inputs
    from tinygen.compiler import compile_model

    g = compile_model(model).graph
    golden = {"kws_ref_model": "mlperf_kws", "pretrainedResnet_quant": "mlperf_ic", "ad01_int8": "mlperf_ad",
              "micro_speech_quantized": "tflm_micro_speech"}.get(model.stem)
    if golden:
        files = sorted((models_dir / "golden").glob(f"{golden}*__input.npy"))
        if files:
            return [[np.load(files[0]).reshape(g.inputs[0].shape)]], files[0].name
    return random_inputs(g, 1, 0), "random (seed 0)"


def gdb_run(model: Path, board, sets) -> bool:
    from tinygen.emulator.qemu import QemuProcess

    with QemuProcess(board.qemu_machine) as q:
        q.gdb.close()
        q.gdb = None
        rep = run_on_board(model, board, inputs=sets, target=TargetOptions(on=f"gdb://127.0.0.1:{q.port}"))
    return bool(rep.outputs_match_tflm and rep.outputs_match_host)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=ROOT.parent / "shared" / "models")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "backends_results.md")
    args = ap.parse_args()
    models = sorted(args.models.rglob("*.tflite"))
    rows = []
    for b in list_boards():
        for m in models:
            sets, source = sample(m, args.models)
            row = dict(board=b.name, core=b.core, model=m.stem, input=source, qemu_machine=b.qemu_machine or None)
            if b.core in CPU_MODELS:
                ru = run_on_board(m, b, inputs=sets)
                if not ru.link_fits:
                    continue
                row.update(unicorn_identical=bool(ru.outputs_match_tflm and ru.outputs_match_host),
                           unicorn_instructions=ru.instructions)
            if b.qemu_machine:
                rq = run_on_board(m, b, inputs=sets, target=TargetOptions(on="qemu"))
                if not rq.link_fits:
                    continue
                row.update(qemu_identical=bool(rq.outputs_match_tflm and rq.outputs_match_host),
                           qemu_instructions=rq.instructions if rq.counter == "qemu-plugin" else None,
                           gdb_identical=gdb_run(m, b, sets))
            row.update(pyocd=b.pyocd_target or None, openocd=" + ".join(b.openocd_config) or None,
                       uf2=b.boot_kind == "rp2040-boot2")
            rows.append(row)
            print(row, flush=True)
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")

    def yn(v):
        return "-" if v is None else ("yes" if v else "**NO**")

    lines = ["| board | model | back ends | outputs identical (TFLM, host) | instructions Unicorn | "
             "instructions QEMU |", "|---|---|---|---|--:|--:|"]
    for r in rows:
        ends = [e for e, k in (("unicorn", "unicorn_identical"), ("qemu", "qemu_identical"), ("gdb", "gdb_identical"))
                if k in r]
        same = all(r[k] for k in ("unicorn_identical", "qemu_identical", "gdb_identical") if k in r)
        ui, qi = r.get("unicorn_instructions"), r.get("qemu_instructions")
        lines.append(f"| {r['board']} | {r['model']} | {', '.join(ends)} | {yn(same)} | "
                     f"{ui:,} |" if ui is not None else f"| {r['board']} | {r['model']} | {', '.join(ends)} | "
                     f"{yn(same)} | - |")
        lines[-1] += f" {qi:,} |" if qi is not None else " - |"
    boards = []
    seen = set()
    for r in rows:
        if r["board"] in seen:
            continue
        seen.add(r["board"])
        flash = [t for t, k in (("pyocd " + (r["pyocd"] or ""), "pyocd"), ("openocd " + (r["openocd"] or ""), "openocd"))
                 if r[k]] + (["uf2"] if r["uf2"] else [])
        boards.append(f"| {r['board']} | {r['qemu_machine'] or '-'} | {'; '.join(flash) or '-'} |")
    text = ["# Back ends", "", "Generated by `benchmarks/backends_table.py`: every shared model that fits each board, "
            "on its recorded sample input (else a random one). `gdb` = the GDB back end against QEMU started with "
            "empty flash (load, verify, reset, run).", "", *lines, "",
            "| board | QEMU machine | flash tools (argv checked by tests/target/test_flash.py) |", "|---|---|---|",
            *boards, ""]
    args.out.write_text("\n".join(text))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
