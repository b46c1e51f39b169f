"""tinygen vs Arm CMSIS-NN, instructions per inference on the same emulator, model by model and
layer by layer; the cycle estimate next to the MLPerf Tiny measurements; written to
benchmarks/cmsisnn_results.md (and .json).

    .venv/bin/python benchmarks/cmsisnn_compare.py [--models DIR] [--perf DIR] [--out benchmarks/cmsisnn_results.md]

CMSIS-NN's numbers come from ../shared/perf/ (cmsisnn_reference.json per model,
cmsisnn_per_layer.md per layer: CMSIS-NN's wrappers called layer by layer with the model's real
weights, counted in Unicorn like `tinygen run` counts). tinygen's: `run_on_board` on the generic
boards (-O2) with the kernels picked for the board's core ("fast": DSP and specialized kernels
where they apply), and with portable C only ("portable", `--cpu generic`), every output compared
bit for bit with TFLM and the host build; per layer from the profiling build (markers between
operators, their own instructions taken off).

Cycle estimates (`cycles_estimate`, tinygen.emulator.costmodel) are for NUCLEO-L4R5ZI
(Cortex-M4 @ 120 MHz, 5 flash wait states behind the ART accelerator): the board of the MLPerf
Tiny results quoted in ../shared/perf/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.options import CompileOptions  # noqa: E402
from tinygen.target import TargetOptions, run_on_board  # noqa: E402

MODELS = {"vww_96_int8": "VWW", "kws_ref_model": "KWS", "pretrainedResnet_quant": "IC", "ad01_int8": "AD"}
#: the other shared models: flash and SRAM only (no CMSIS-NN reference), on these cores
EXTRA_MODELS = ["str_ww_ref_model", "hello_world_int8", "micro_speech_quantized"]
EXTRA_CORES = ["m4", "m0plus"]
CORES = {"m4": "generic-m4", "m7": "generic-m7", "m33": "generic-m33", "m0plus": "generic-m0plus"}
#: MLPerf Tiny latencies on NUCLEO-L4R5ZI (Cortex-M4 @ 120 MHz), ms (../shared/perf/README.md)
MLPERF_L4R5 = {
    "TFLM 2.3.1 reference (v0.5)": {"VWW": 600.6, "KWS": 181.9, "IC": 704.2, "AD": 10.05},
    "microTVM + CMSIS-NN (v1.0/v1.1)": {"VWW": 301.0, "KWS": 99.8, "IC": 389.6, "AD": 8.61},
    "Plumerai (v1.1)": {"VWW": 98.8, "KWS": 47.8, "IC": 167.8, "AD": 4.05},
    "ST X-CUBE-AI 9.0 (v1.2)": {"VWW": 88.9, "KWS": 43.2, "IC": 165.1, "AD": 5.26},
}
#: the static estimate of ../shared/perf for CMSIS-NN at 120 MHz, zero wait states, ms
CMSISNN_EST_MS = {"VWW": 244.2, "KWS": 77.1, "IC": 306.9, "AD": 6.0}


def cmsis_layers(perf: Path) -> dict[str, dict[int, dict]]:
    """Per model, per TFLite operator index: op, MACs, M4 instructions, M7 instructions."""
    out: dict[str, dict[int, dict]] = {}
    model = None
    for line in (perf / "cmsisnn_per_layer.md").read_text().splitlines():
        m = re.match(r"^### \w+ \((\w+)\)", line)
        if m:
            model = m.group(1)
            out[model] = {}
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if model and len(cells) >= 10 and cells[0].isdigit():
            out[model][int(cells[0])] = dict(op=cells[1], shape=cells[2], kernels=cells[3], macs=int(cells[4]),
                                             m4=int(cells[5]), m7=int(cells[9]))
    return out


def run(path: Path, board: str, fast: bool, profile: bool) -> dict:
    opts = None if fast else CompileOptions(cpu="generic")
    rep = run_on_board(path, board, options=opts, target=TargetOptions(profile=profile), n_random=2)
    if not rep.outputs_match_reference:
        raise SystemExit(f"{path.name} on {board}: outputs differ from TFLM/host: {rep.mismatches}")
    return dict(instructions=rep.instructions, cycles_estimate=rep.cycles_estimate,
                latency_ms_estimate=rep.latency_ms_estimate, flash_bytes=rep.flash_bytes,
                code_bytes=rep.code_bytes, const_bytes=rep.const_bytes, sram_peak_bytes=rep.sram_peak_bytes,
                arena_bytes=rep.arena_bytes, stack_peak_bytes=rep.stack_peak_bytes,
                per_op=rep.per_op, bit_exact=rep.outputs_match_reference)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("TINYGEN_SHARED", ROOT.parent / "shared"))
    ap.add_argument("--models", type=Path, default=shared / "models")
    ap.add_argument("--perf", type=Path, default=shared / "perf")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "cmsisnn_results.md")
    args = ap.parse_args()
    ref = json.loads((args.perf / "cmsisnn_reference.json").read_text())
    layers = cmsis_layers(args.perf)
    results: dict = {}
    t0 = time.perf_counter()
    for stem, short in MODELS.items():
        path = next(args.models.rglob(f"{stem}.tflite"))
        r: dict = {"short": short}
        for core, board in CORES.items():
            r[core] = run(path, board, fast=True, profile=core == "m4")
            r[f"{core}_portable"] = run(path, board, fast=False, profile=core == "m4")
        r["l4r5"] = run(path, "NUCLEO-L4R5ZI", fast=True, profile=False)
        results[stem] = r
        print(f"{stem}: M4 {r['m4']['instructions']:,} (portable {r['m4_portable']['instructions']:,}; "
              f"CMSIS-NN {ref[stem]['m4_instructions']:,})", flush=True)
    extra: dict = {}
    for stem in EXTRA_MODELS:
        path = next(args.models.rglob(f"{stem}.tflite"), None)
        if path is None:
            continue
        r = {}
        for core in EXTRA_CORES:
            r[core] = run(path, CORES[core], fast=True, profile=False)
            r[f"{core}_portable"] = run(path, CORES[core], fast=False, profile=False)
        extra[stem] = r
        print(f"{stem}: flash M4 {r['m4']['flash_bytes']:,} (portable {r['m4_portable']['flash_bytes']:,})", flush=True)
    seconds = time.perf_counter() - t0

    L = ["# tinygen vs Arm CMSIS-NN (generated by benchmarks/cmsisnn_compare.py)", "",
         "Instructions per inference, counted in Unicorn the same way for both (every executed instruction between "
         "the first layer and the end of the last). CMSIS-NN: ../shared/perf/ (its wrappers, layer by layer, -O2). "
         "tinygen: the generated firmware, -O2, with the kernels chosen for the core (`fast`) and with portable C "
         "only (`portable`); every output bit-identical to TFLM and the host build.", "",
         "| model | MACs | CMSIS-NN M4 | tinygen M4 | ratio | portable M4 | CMSIS-NN M7 | tinygen M7 | ratio | "
         "tinygen M33 | tinygen M0+ | portable M0+ | M0+ speed-up |",
         "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for stem, r in results.items():
        c = ref[stem]
        L.append(f"| {stem} | {c['macs']:,} | {c['m4_instructions']:,} | {r['m4']['instructions']:,} | "
                 f"{r['m4']['instructions'] / c['m4_instructions']:.2f} | {r['m4_portable']['instructions']:,} | "
                 f"{c['m7_instructions']:,} | {r['m7']['instructions']:,} | "
                 f"{r['m7']['instructions'] / c['m7_instructions']:.2f} | {r['m33']['instructions']:,} | "
                 f"{r['m0plus']['instructions']:,} | {r['m0plus_portable']['instructions']:,} | "
                 f"{r['m0plus_portable']['instructions'] / r['m0plus']['instructions']:.2f}x |")
    L += ["", "## Flash and SRAM, fast vs portable", "",
          "Flash = code (flash minus the model's constants) + constants; peak SRAM = static SRAM (the arena and "
          "the firmware's data) + the measured stack peak. `portable`: the same model with `--cpu generic`.", "",
          "| model | core | flash B | portable flash B | flash ratio | code B | portable code B | constants B | "
          "portable constants B | arena B | stack B | portable stack B | peak SRAM B | portable peak SRAM B |",
          "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for stem, r in list(results.items()) + list(extra.items()):
        for core in CORES:
            if core not in r:
                continue
            f, p = r[core], r[f"{core}_portable"]
            L.append(f"| {stem} | {core} | {f['flash_bytes']:,} | {p['flash_bytes']:,} | "
                     f"{f['flash_bytes'] / p['flash_bytes']:.3f} | {f['code_bytes']:,} | {p['code_bytes']:,} | "
                     f"{f['const_bytes']:,} | {p['const_bytes']:,} | {f['arena_bytes']:,} | "
                     f"{f['stack_peak_bytes']:,} | {p['stack_peak_bytes']:,} | {f['sram_peak_bytes']:,} | "
                     f"{p['sram_peak_bytes']:,} |")
    L += ["", "## Estimated latency on NUCLEO-L4R5ZI (Cortex-M4 @ 120 MHz) next to MLPerf Tiny measurements", "",
          "tinygen's estimate: `cycles_estimate` / 120 MHz from the cost model (tinygen/emulator/costmodel.py: "
          "the Cortex-M4 TRM's cycles per instruction class over the executed blocks, taken branches pay the "
          "refill, the ART accelerator assumed to hide the 5 flash wait states). The MLPerf Tiny figures are "
          "measurements of other systems on the real board (../shared/perf/README.md); CMSIS-NN est. is the same "
          "kind of static estimate for CMSIS-NN's kernels.", "",
          "| system | " + " | ".join(MODELS.values()) + " |", "|---|" + "--:|" * len(MODELS)]
    L.append("| tinygen (estimate) | " + " | ".join(f"{results[s]['l4r5']['latency_ms_estimate']:.1f}"
                                                    for s in MODELS) + " |")
    L.append("| CMSIS-NN kernels (static estimate, ../shared/perf) | " +
             " | ".join(f"{CMSISNN_EST_MS[v]:.1f}" for v in MODELS.values()) + " |")
    for name, ms in MLPERF_L4R5.items():
        L.append(f"| {name} (measured) | " + " | ".join(f"{ms[v]:.1f}" for v in MODELS.values()) + " |")
    L.append("")
    L.append("How far off the estimate can be: the same kind of static estimate gives CMSIS-NN's kernels "
             + ", ".join(f"{v} {CMSISNN_EST_MS[v] / MLPERF_L4R5['microTVM + CMSIS-NN (v1.0/v1.1)'][v]:.2f}x"
                         for v in MODELS.values())
             + " of what microTVM + CMSIS-NN measured on the board (which adds microTVM's own runtime, "
               "flash wait states the accelerator does not hide and data-dependent stalls): expect the "
               "estimate to be optimistic by 20-30 %.")
    for stem, r in results.items():
        rows = r["m4"]["per_op"]
        L += ["", f"## Per layer: {stem} (M4)", "",
              "| # | op | tinygen kernel (variant) | MACs | CMSIS-NN instr | tinygen instr | ratio | tinygen instr/MAC | "
              "portable instr |", "|--:|---|---|--:|--:|--:|--:|--:|--:|"]
        port = {row["op"]: row for row in r["m4_portable"]["per_op"]}
        cm = layers.get(stem, {})
        for row in rows:
            idx = int(row["label"].split("#")[-1]) if "#" in row["label"] else None
            c = cm.get(idx) if idx is not None else None
            kernel = "-" if row["kernel"] is None else f"{row['kernel']} ({row['variant']})"
            cis = f"{c['m4']:,}" if c else "-"
            ratio = f"{row['instructions'] / c['m4']:.2f}" if c and c["m4"] else "-"
            ipm = f"{row['instructions_per_mac']:.2f}" if row["instructions_per_mac"] is not None else "-"
            L.append(f"| {idx if idx is not None else row['op']} | {row['kind']} | {kernel} | {row['macs']:,} | {cis} | "
                     f"{row['instructions']:,} | {ratio} | {ipm} | {port[row['op']]['instructions']:,} |")
    L += ["", f"Run time of this script: {seconds:.0f} s."]
    args.out.write_text("\n".join(L) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(dict(results, **{f"extra:{k}": v for k, v in extra.items()}),
                                                        indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
