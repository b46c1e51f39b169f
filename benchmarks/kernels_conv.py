"""Per-layer benchmark of the fast CONV_2D / FULLY_CONNECTED kernels on the shared models, written
to benchmarks/kernels_conv_results.md.

    .venv/bin/python benchmarks/kernels_conv.py [--models DIR] [--out benchmarks/kernels_conv_results.md]

(the shared models and CMSIS-NN reference are looked up in $TINYGEN_SHARED, default ../shared)

Every CONV_2D and FULLY_CONNECTED layer of vww_96_int8, kws_ref_model, pretrainedResnet_quant,
ad01_int8 and str_ww_ref_model is set up with its real weights and quantization (the operator
definitions' prepare()), run on a random input under the emulated cores (-O2) and checked
element for element against the portable kernel on the same input:
- generic-m4: portable kernel, fast DSP kernel; CMSIS-NN's count for the same layer from
  ../shared/perf/cmsisnn_per_layer.md (same emulator and compiler);
- generic-m7, generic-m33: the same DSP kernels;
- generic-m0plus: portable kernel, scalar kernel.
Instruction counts exclude the harness. tg_conv_dsp_s8 gets the largest scratch tier that keeps
the model's arena (tinygen's memory plan) unchanged: each layer's buffer is planned alone (a
layer's scratch lives only during that layer), then all together to confirm the arena.
Code size: bytes each kernel object occupies in the linked firmware (linker map).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.fast.conv import ConvLayer, conv_dsp_unsupported, fc_dsp_unsupported, lower_conv_dsp  # noqa: E402
from tinygen.testing.fast_kernels import ArmBatch, SCRATCH_TIERS, _struct, model_layers  # noqa: E402
from tinygen.testing.kernels import host_kernels  # noqa: E402
from tinygen.toolchain.elfinfo import flash_by_object  # noqa: E402

MODELS = [("vww_96_int8", "VWW"), ("kws_ref_model", "KWS"), ("pretrainedResnet_quant", "IC"), ("ad01_int8", "AD"),
          ("str_ww_ref_model", None)]
SHARED = Path(os.environ.get("TINYGEN_SHARED", ROOT.parent / "shared"))
CMSIS = SHARED / "perf" / "cmsisnn_per_layer.md"


def cmsis_counts(path: Path) -> dict[str, dict[int, int]]:
    """{section tag: {layer index: M4 instructions}} from cmsisnn_per_layer.md."""
    out: dict[str, dict[int, int]] = {}
    if not path.exists():
        return out
    tag = None
    for line in path.read_text().splitlines():
        m = re.match(r"^### (\w+) \(", line)
        if m:
            tag = m.group(1)
            out[tag] = {}
            continue
        cells = [c.strip() for c in line.split("|")]
        if tag and len(cells) > 7 and cells[1].isdigit():
            out[tag][int(cells[1])] = int(cells[6])
    return out


def buffer_sizes(layer: ConvLayer) -> dict[str, int]:
    ffi, lib = host_kernels()
    low = lower_conv_dsp(layer)
    p = _struct(ffi, "tg_conv_fast_params", low.params)
    return {tier: (getattr(lib, fn)(p) if fn else 0) for tier, fn in SCRATCH_TIERS.items()}


def choose_tiers(path: Path, layers) -> tuple[dict[int, str], dict[int, int], int, int]:
    """Per conv layer the scratch tier the compiler chooses for the M4 (the fastest that keeps the
    arena, tinygen.memory.variants); (tiers, bytes, arena with portable kernels, arena with the fast
    kernels)."""
    from tinygen.compiler import compile_model
    from tinygen.options import CompileOptions

    base = compile_model(path).arena_bytes
    cm = compile_model(path, CompileOptions(cpu="cortex-m4"))
    names = {"dsp": "full", "dsp-mid": "mid", "dsp-min": "min", "dsp-single": "none"}
    by_index = {op.source_index: op.kernel for op in cm.graph.ops}
    tiers, sizes = {}, {}
    for i, op, layer in layers:
        k = by_index.get(op.source_index)
        if isinstance(layer, ConvLayer) and k is not None and k.variant in names:
            tiers[i], sizes[i] = names[k.variant], k.scratch_bytes
    return tiers, sizes, base, cm.arena_bytes


def run_model(path: Path, tiers: dict[int, str], layers, seed: int = 0):
    """{(layer, board, variant): (instructions, exact)} and the code size of each kernel object."""
    from tinygen.ops import get_op_def

    rng = np.random.default_rng(seed)
    inputs = {}
    for i, op, layer in layers:
        n = int(np.prod(layer.input_dims)) if isinstance(layer, ConvLayer) else layer.batches * layer.weights.shape[1]
        inputs[i] = rng.integers(-128, 128, n).astype(np.int8)
    plan = {"generic-m4": ["portable", "dsp"], "generic-m7": ["portable", "dsp"], "generic-m33": ["portable", "dsp"],
            "generic-m0plus": ["portable", "scalar"]}
    results, sizes, macs = {}, {}, {}
    for i, op, _ in layers:
        macs[i] = get_op_def(op.kind).macs(op)
    for board, variants in plan.items():
        batch, meta = ArmBatch(), []
        for i, op, layer in layers:
            for v in variants:
                if isinstance(layer, ConvLayer):
                    out = batch.add_conv(layer, inputs[i], v, scratch=tiers.get(i, "full"))
                else:
                    out = batch.add_fc(layer, inputs[i], v)
                meta.append((i, v, out))
        outs, counts, elf = batch.run(board, with_elf=True)
        ref = {i: outs[o] for i, v, o in meta if v == "portable"}
        for (i, v, o), c in zip(meta, counts):
            results[(i, board, v)] = (c, bool(np.array_equal(outs[o], ref[i])))
        mapf = elf.with_suffix(".map")
        sizes[board] = {k: v for k, v in flash_by_object(mapf, 0, 1 << 30).items() if "libtgnn" in k}
    return results, sizes, macs


def kernel_name(layer) -> str:
    return "tg_conv_dsp_s8" if isinstance(layer, ConvLayer) else "tg_fully_connected_dsp_s8"


def shape_of(op, layer) -> str:
    if isinstance(layer, ConvLayer):
        n, h, w, c = layer.input_dims
        k = layer.filter.shape
        return (f"{h}x{w}x{c} k{k[1]}x{k[2]} s{layer.stride[0]} p{layer.padding[0]},{layer.padding[1]} "
                f"-> {layer.output_dims[1]}x{layer.output_dims[2]}x{layer.output_dims[3]}")
    return f"{layer.batches}x{layer.weights.shape[1]} -> {layer.weights.shape[0]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=str(SHARED / "models" / "mlperf_tiny"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "kernels_conv_results.md"))
    ap.add_argument("--only", default="", help="comma-separated model names (default: all)")
    args = ap.parse_args()
    models_dir = Path(args.models)
    cmsis = cmsis_counts(CMSIS)
    t0 = time.time()
    lines = ["# Fast CONV_2D / FULLY_CONNECTED kernels, per layer (generated by benchmarks/kernels_conv.py)", "",
             "Instructions per layer call on the emulated cores (-O2, exact counts without the harness), real weights and",
             "quantization, random input; every fast-kernel output compared with the portable kernel's on the same input",
             "(exact = all equal). CMSIS-NN: ../shared/perf/cmsisnn_per_layer.md (same emulator, compiler and flags;",
             "its count includes CMSIS-NN's wrapper). Scratch: the tg_conv_dsp_s8 buffer tier given to the layer",
             "(full = both pixels widened, mid = one widened and the other's int8 values interleaved, min = one",
             "widened, none = single-pixel mode), the largest that leaves tinygen's arena for the model unchanged.",
             "M7/M33 run the same DSP kernels; M0+ runs the scalar kernels.", ""]
    summary, all_exact, code = [], True, {}
    worst_cmsis, worst_m0 = (0.0, ""), (1e9, "")
    only = set(filter(None, args.only.split(",")))
    for model, tag in MODELS:
        if only and model not in only:
            continue
        path = models_dir / f"{model}.tflite"
        if not path.exists():
            lines.append(f"*{model}: not found at {path}, skipped*\n")
            continue
        layers = model_layers(path)
        for i, op, layer in layers:
            why = conv_dsp_unsupported(layer) if isinstance(layer, ConvLayer) else fc_dsp_unsupported(layer)
            if why:
                raise SystemExit(f"{model} layer {i}: the fast kernel does not apply ({why})")
        tiers, scratch, arena0, arena1 = choose_tiers(path, layers)
        res, sizes, macs = run_model(path, tiers, layers)
        for board, s in sizes.items():
            for k, v in s.items():
                code[(board, k)] = v
        ref = cmsis.get(tag, {}) if tag else {}
        lines += [f"## {model}", "",
                  f"Arena: {arena0:,} B before, {arena1:,} B with the chosen scratch buffers.", "",
                  "| # | op | shape | MACs | portable M4 | fast M4 | CMSIS-NN M4 | fast / CMSIS-NN | fast / portable | "
                  "instr/MAC | scratch (tier) | exact M4/M7/M33/M0+ |",
                  "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
        tot = dict(port=0, fast=0, cmsis=0, macs=0, m7=0, m33=0, m0p=0, m0f=0)
        for i, op, layer in layers:
            p4, _ = res[(i, "generic-m4", "portable")]
            f4, e4 = res[(i, "generic-m4", "dsp")]
            _, e7 = res[(i, "generic-m7", "dsp")]
            _, e33 = res[(i, "generic-m33", "dsp")]
            _, e0 = res[(i, "generic-m0plus", "scalar")]
            exact = all((e4, e7, e33, e0))
            all_exact &= exact
            c = ref.get(i)
            tot["port"] += p4
            tot["fast"] += f4
            tot["macs"] += macs[i]
            tot["cmsis"] += c or 0
            tot["m7"] += res[(i, "generic-m7", "dsp")][0]
            tot["m33"] += res[(i, "generic-m33", "dsp")][0]
            tot["m0p"] += res[(i, "generic-m0plus", "portable")][0]
            tot["m0f"] += res[(i, "generic-m0plus", "scalar")][0]
            sc = f"{scratch[i]} ({tiers[i]})" if i in tiers else "0"
            if c:
                worst_cmsis = max(worst_cmsis, (f4 / c, f"{model} #{i}"))
            m0 = res[(i, "generic-m0plus", "portable")][0] / res[(i, "generic-m0plus", "scalar")][0]
            worst_m0 = min(worst_m0, (m0, f"{model} #{i}"))
            lines.append(f"| {i} | {op.kind} | {shape_of(op, layer)} | {macs[i]:,} | {p4:,} | {f4:,} | "
                         f"{c:,} | {f4 / c:.2f} | {f4 / p4:.2f} | {f4 / macs[i]:.2f} | {sc} | "
                         f"{'/'.join('yes' if e else 'NO' for e in (e4, e7, e33, e0))} |"
                         if c else
                         f"| {i} | {op.kind} | {shape_of(op, layer)} | {macs[i]:,} | {p4:,} | {f4:,} | - | - | "
                         f"{f4 / p4:.2f} | {f4 / macs[i]:.2f} | {sc} | "
                         f"{'/'.join('yes' if e else 'NO' for e in (e4, e7, e33, e0))} |")
        lines.append("")
        lines += ["| # | M7 portable | M7 fast | M33 portable | M33 fast | M0+ portable | M0+ scalar | M0+ portable / scalar |",
                  "|---|--:|--:|--:|--:|--:|--:|--:|"]
        for i, op, layer in layers:
            g = lambda b, v: res[(i, b, v)][0]  # noqa: E731
            lines.append(f"| {i} | {g('generic-m7', 'portable'):,} | {g('generic-m7', 'dsp'):,} | "
                         f"{g('generic-m33', 'portable'):,} | {g('generic-m33', 'dsp'):,} | "
                         f"{g('generic-m0plus', 'portable'):,} | {g('generic-m0plus', 'scalar'):,} | "
                         f"{g('generic-m0plus', 'portable') / g('generic-m0plus', 'scalar'):.2f} |")
        lines.append("")
        summary.append((model, tot, bool(ref)))
    lines += ["## Summary (CONV_2D + FULLY_CONNECTED layers only)", "",
              "| model | MACs | portable M4 | fast M4 | CMSIS-NN M4 | fast / CMSIS-NN | fast M7 | fast M33 | "
              "M0+ portable | M0+ scalar | M0+ portable / scalar |",
              "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for model, t, has in summary:
        lines.append(f"| {model} | {t['macs']:,} | {t['port']:,} | {t['fast']:,} | "
                     f"{t['cmsis']:,} | {t['fast'] / t['cmsis']:.2f} | " if has else
                     f"| {model} | {t['macs']:,} | {t['port']:,} | {t['fast']:,} | - | - | ")
        lines[-1] += f"{t['m7']:,} | {t['m33']:,} | {t['m0p']:,} | {t['m0f']:,} | {t['m0p'] / t['m0f']:.2f} |"
    lines += ["", f"Highest fast / CMSIS-NN ratio of any layer (M4): {worst_cmsis[0]:.2f} ({worst_cmsis[1]}). "
              f"Lowest M0+ portable / scalar ratio of any layer: {worst_m0[0]:.2f} ({worst_m0[1]}).",
              "", "## Code size (bytes in the linked firmware, per kernel object)", "",
              "| object | M4 | M7 | M33 | M0+ |", "|---|--:|--:|--:|--:|"]
    objs = sorted({k for (_, k) in code})
    for o in objs:
        lines.append(f"| {o.split('(')[-1].rstrip(')')} | " + " | ".join(
            str(code.get((b, o), "-")) for b in ("generic-m4", "generic-m7", "generic-m33", "generic-m0plus")) + " |")
    lines += ["", f"All outputs exact: {'yes' if all_exact else 'NO'}. Run time {time.time() - t0:.0f} s.", ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    if not all_exact:
        raise SystemExit("some fast-kernel outputs differ from the portable kernel")


if __name__ == "__main__":
    main()
