"""Mixed precision on the emulated Cortex-M4: MLPerf Tiny's vww_96_int8 with its convolution and
fully connected weights re-quantized to packed int4, and a 16x8 (int16 activations, int8 weights)
version of kws_ref_model, each against its int8 original; written to
benchmarks/precision_results.md (and .json).

    .venv/bin/python benchmarks/precision.py [--models /work/shared/models] [--out benchmarks/precision_results.md]

The variants are made by tinygen's own converters (tinygen.testing.precision: to_int4_weights,
to_16x8) and written with tinygen's .tflite writer; TFLite Micro runs the written files as the
oracle. Figures: flash of the whole firmware, weight bytes (the CONV_2D / DEPTHWISE_CONV_2D /
FULLY_CONNECTED weight tensors at their stored width: int4 two per byte), the model constants
the compiler emitted (weights in the kernels' layouts with their padding, biases, requantization
words), tinygen's arena, and the instructions of one inference (generic-m4, -O2, the compiler's
own kernel choice). Every emulated output is compared with TFLM and the host build.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.compiler import compile_model  # noqa: E402
from tinygen.frontend import parse_tflite  # noqa: E402
from tinygen.options import CompileOptions  # noqa: E402
from tinygen.reference.tflm import allocation_report  # noqa: E402
from tinygen.target import run_on_board  # noqa: E402
from tinygen.testing.precision import WEIGHT_OPS, to_16x8, to_int4_weights  # noqa: E402
from tinygen.writer import write_tflite  # noqa: E402

BOARD = "generic-m4"
#: (int8 model, converter, precision label, targets: metric -> max ratio to the int8 model)
CASES = [
    ("vww_96_int8", to_int4_weights, "int8 act., int4 weights", {"weight_bytes": 0.52, "instructions": 1.15}),
    ("kws_ref_model", to_16x8, "16x8", {"arena": 2.05, "instructions": 1.5}),
]
_CSIZE = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8, "float": 4}


def weight_bytes(data: bytes) -> int:
    """Bytes of the weight tensors of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED as stored."""
    g = parse_tflite(data)
    return sum(op.inputs[1].nbytes for op in g.ops if op.kind in WEIGHT_OPS)


def emitted_weight_arrays(data: bytes) -> int:
    """Bytes of the weight arrays the generated code holds for the convolutions and fully connected
    layers in their kernels' layouts (the `weights` / `filter` constants; the depthwise DSP
    kernels interleave their channel words with the weights and are counted in model constants only)."""
    cm = compile_model(data, CompileOptions(name="w", cpu="cortex-m4"))
    src = "\n".join(cm.files.values())
    total = 0
    for ctype, name, n in re.findall(r"static const (\w+) (w_\w+)\[(\d+)\]", src):
        if re.search(r"_(weights|filter)$", name) and "depthwise" not in name:
            total += _CSIZE[ctype] * int(n)
    return total


def measure(name: str, data: bytes) -> dict:
    rep = run_on_board(data, BOARD, n_random=2)
    tflm = allocation_report(data)
    return dict(model=name, flash=rep.flash_bytes, weight_bytes=weight_bytes(data), constants=rep.const_bytes,
                conv_fc_weight_arrays=emitted_weight_arrays(data), arena=rep.arena_bytes, tflm_head=tflm["head"], tflm_total=tflm["total"],
                instructions=rep.instructions, bit_exact=bool(rep.outputs_match_reference),
                bit_exact_tflm=bool(rep.outputs_match_tflm))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=Path(os.environ.get("TINYGEN_SHARED", "/work/shared")) / "models")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "precision_results.md")
    args = ap.parse_args()
    src = args.models / "mlperf_tiny"
    if not src.is_dir():
        print(f"tinygen: error: {src} not found (the MLPerf Tiny models)", file=sys.stderr)
        return 2
    rows, checks = [], []
    for name, convert, label, targets in CASES:
        d8 = (src / f"{name}.tflite").read_bytes()
        dx = write_tflite(convert(parse_tflite(d8)))
        base = dict(measure(name, d8), precision="int8")
        var = dict(measure(name, dx), precision=label)
        for r in (base, var):
            rows.append(r)
            print(f"{r['model']} {r['precision']}: flash {r['flash']} B, weights {r['weight_bytes']} B, arena "
                  f"{r['arena']} B, {r['instructions']} instructions, bit-exact {r['bit_exact']}", flush=True)
        for metric, limit in targets.items():
            ratio = var[metric] / base[metric]
            checks.append(dict(model=name, precision=label, metric=metric, ratio=round(ratio, 4), target=limit,
                               met=ratio <= limit))
        for metric in ("flash", "constants", "conv_fc_weight_arrays", "arena", "instructions"):
            var[f"{metric}_ratio"] = round(var[metric] / base[metric], 4)
    lines = ["# Mixed precision: int4 weights and 16x8 on the Cortex-M4", "",
             f"`benchmarks/precision.py`; emulated {BOARD} (-O2), the compiler's own kernel choice; sizes in bytes. "
             "The variants are tinygen's conversions of the MLPerf Tiny int8 models (`to_int4_weights`, `to_16x8`), "
             "checked bit for bit against TFLite Micro on 2 random inputs.", "",
             "| model | precision | flash | weight bytes | model constants | arena | TFLM head | TFLM total | "
             "M4 instructions | bit-exact |", "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['precision']} | {r['flash']:,} | {r['weight_bytes']:,} | {r['constants']:,} | "
                     f"{r['arena']:,} | {r['tflm_head']:,} | {r['tflm_total']:,} | {r['instructions']:,} | "
                     f"{'yes' if r['bit_exact'] else 'NO'} |")
    lines += ["", "Ratios to the int8 model:", "",
              "| model | precision | flash | weight bytes | model constants | conv/FC weight arrays | arena | instructions |",
              "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        if r["precision"] == "int8":
            continue
        base = next(b for b in rows if b["model"] == r["model"] and b["precision"] == "int8")
        lines.append(f"| {r['model']} | {r['precision']} | {r['flash_ratio']:.3f}x | "
                     f"{r['weight_bytes'] / base['weight_bytes']:.3f}x | {r['constants_ratio']:.3f}x | "
                     f"{r['conv_fc_weight_arrays_ratio']:.3f}x | {r['arena_ratio']:.3f}x | {r['instructions_ratio']:.3f}x |")
    lines += ["", "Targets (issue 13):", "", "| model | precision | metric | ratio | target | met |", "|---|---|---|--:|--:|---|"]
    for c in checks:
        lines.append(f"| {c['model']} | {c['precision']} | {c['metric']} | {c['ratio']:.3f}x | <= {c['target']}x | "
                     f"{'yes' if c['met'] else 'NO'} |")
    lines += ["", "Weight bytes: the weight tensors at their stored width (int4: two per byte, as the portable kernels "
              "read them in place). Model constants: everything the compiler put in flash for the model (weights in the "
              "DSP kernels' word layouts with their row padding, biases, requantization words, tables). Conv/FC weight "
              "arrays: the emitted CONV_2D and FULLY_CONNECTED weight arrays alone (the DSP depthwise kernels interleave "
              "channel words with their weights). TFLM head / total: TFLite Micro's allocation report for the same file "
              "(head: activations and scratch buffers; total: its whole arena with its persistent allocations)."]
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(dict(rows=rows, targets=checks), indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
