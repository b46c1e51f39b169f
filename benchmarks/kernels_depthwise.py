"""Per-layer benchmark of the fast depthwise, elementwise (ADD) and pooling kernels.

Every DEPTHWISE_CONV_2D, ADD, AVERAGE_POOL_2D and MEAN layer of the shared models is set up with its
real weights and quantization (tinygen's own prepare()), run on random inputs through the portable
kernel and through the fast kernel on the emulated Cortex-M4, M7, M33 and M0+ (exact instruction
counts, -O2), outputs compared element for element, and tabulated next to Arm CMSIS-NN's count for
the same layer (../shared/perf/cmsisnn_per_layer.md).

A depthwise layer runs in the placement tinygen's memory planner gives it today: in place
(tg_depthwise_conv_inplace_s8 -> tg_depthwise_conv_inplace_fast_s8) or with its output apart from or
partly overlapping its input (tg_depthwise_conv_s8 -> tg_depthwise_conv_fast_s8).

    PYTHONPATH=. python benchmarks/kernels_depthwise.py [--quick] [--out benchmarks/kernels_depthwise_results.md]

Needs arm-none-eabi-gcc, Unicorn and the shared models (TINYGEN_SHARED, default ../shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.fast import depthwise as fdw  # noqa: E402
from tinygen.fast import elementwise as few  # noqa: E402
from tinygen.fast import pooling as fpool  # noqa: E402
from tinygen.testing import fast_layers as fl  # noqa: E402

SHARED = Path(os.environ.get("TINYGEN_SHARED", ROOT.parent / "shared"))
MODELS = [("vww_96_int8", "VWW"), ("kws_ref_model", "KWS"), ("pretrainedResnet_quant", "IC"), ("ad01_int8", "AD"),
          ("str_ww_ref_model", None)]
BOARDS = ["generic-m4", "generic-m7", "generic-m33", "generic-m0plus"]
KINDS = ("DEPTHWISE_CONV_2D", "ADD", "AVERAGE_POOL_2D", "MEAN")

#: kernel functions whose code is counted for each fast kernel (FUNC symbols starting with these)
CODE = {
    "tg_depthwise_conv_fast_s8": ["tg_depthwise_conv_fast_s8", "tg_dwf_"],
    "tg_depthwise_conv_inplace_fast_s8": ["tg_depthwise_conv_inplace_fast_s8", "tg_dwf_"],
    "tg_add_fast_s8": ["tg_add_fast_s8", "tg_addf_"],
    "tg_avgpool_fast_s8": ["tg_avgpool_fast_s8", "tg_avgf_", "tg_poolf_"],
    "tg_mean_hw_fast_s8": ["tg_mean_hw_fast_s8", "tg_meanf_", "tg_poolf_"],
    "tg_depthwise_conv_s8": ["tg_depthwise_conv_s8"],
    "tg_depthwise_conv_inplace_s8": ["tg_depthwise_conv_inplace_s8"],
    "tg_add_s8": ["tg_add_s8"],
    "tg_avgpool_s8": ["tg_avgpool_s8"],
}


def cmsis_counts() -> dict[tuple[str, int], tuple[int, int]]:
    """(model tag, layer index) -> (CMSIS-NN M4 instructions, M7 instructions)."""
    path = SHARED / "perf" / "cmsisnn_per_layer.md"
    out: dict[tuple[str, int], tuple[int, int]] = {}
    if not path.exists():
        return out
    tag = None
    for line in path.read_text().splitlines():
        m = re.match(r"### (\w+) \(", line)
        if m:
            tag = m.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if tag and len(cells) >= 10 and cells[0].isdigit():
            out[(tag, int(cells[0]))] = (int(cells[5]), int(cells[9]))
    return out


@dataclass
class Layer:
    model: str
    index: int
    kind: str
    shape: str
    macs: int
    portable: object        # KernelCall
    fast: object            # KernelCall
    fast_name: str
    portable_name: str
    scratch_fast: int = 0
    scratch_portable: int = 0
    counts: dict = field(default_factory=dict)   # board -> (portable, fast)
    exact: dict = field(default_factory=dict)    # board -> bool
    stack: dict = field(default_factory=dict)    # board -> (portable, fast) stack high-water marks


def layers_of(model: str, rng: np.random.Generator) -> list[Layer]:
    from tinygen.compiler import compile_model
    from tinygen.frontend import load_tflite
    from tinygen.fast.elementwise import binary_view
    from tinygen.ops import get_op_def
    from tinygen.ops.depthwise_conv2d import dw_layer

    path = SHARED / "models" / "mlperf_tiny" / f"{model}.tflite"
    g = load_tflite(path)
    # today's placement of each depthwise layer (in place or not), from tinygen's planner
    planned = compile_model(path).graph.ops
    inplace = {op.source_index: op.kernel.inplace for op in planned}
    out = []
    for i, op in enumerate(g.ops):
        if op.kind not in KINDS:
            continue
        p = get_op_def(op.kind).prepare(op)
        x = rng.integers(-128, 128, op.inputs[0].size).astype(np.int8)
        ins, outs = tuple(op.inputs[0].shape), tuple(op.outputs[0].shape)
        if op.kind == "DEPTHWISE_CONV_2D":
            layer = dw_layer(op, p)
            why = fdw.dw_fast_check(layer)
            if why:
                raise SystemExit(f"{model} layer {i}: fast depthwise not applicable: {why}")
            ip = inplace.get(op.source_index, False)
            port = fl.dw_portable_call(layer, x, inplace=ip)
            fast = fl.dw_fast_call(layer, x, "inplace_fast" if ip else "fast")
            kh, kw = layer.filter_hw
            shape = (f"{ins[1]}x{ins[2]}x{ins[3]} k{kh}x{kw} s{layer.stride[0]} -> {outs[1]}x{outs[2]}x{outs[3]}"
                     + (" (in place)" if ip else ""))
            lay = Layer(model, i, op.kind, shape, int(np.prod(outs)) * kh * kw, port, fast, fast.function,
                        port.function)
            if ip:
                lay.scratch_fast = fl.scratch_bytes(fast)
                lay.scratch_portable = fl.scratch_bytes(port)
            out.append(lay)
        elif op.kind == "ADD":
            p = binary_view(p.params)
            same = tuple(op.inputs[0].shape) == tuple(op.inputs[1].shape) == outs
            why = few.add_fast_check(p, same_shape=same)
            if why:
                raise SystemExit(f"{model} layer {i}: fast ADD not applicable: {why}")
            x2 = rng.integers(-128, 128, op.inputs[1].size).astype(np.int8)
            out.append(Layer(model, i, op.kind, f"{'x'.join(map(str, outs[1:]))} ({op.outputs[0].size} elements)", 0,
                             fl.add_portable_call(p, x, x2), fl.add_fast_call(p, x, x2), "tg_add_fast_s8", "tg_add_s8"))
        elif op.kind == "AVERAGE_POOL_2D":
            params = p.params
            shape = f"{ins[1]}x{ins[2]}x{ins[3]} f{params.filter.h}x{params.filter.w} -> {outs[1]}x{outs[2]}x{outs[3]}"
            out.append(Layer(model, i, op.kind, shape, 0, fl.avgpool_call(params, ins, outs, x, False),
                             fl.avgpool_call(params, ins, outs, x, True), "tg_avgpool_fast_s8", "tg_avgpool_s8"))
        elif op.kind == "MEAN":
            axes = [int(a) % len(ins) for a in np.asarray(op.inputs[1].data).reshape(-1)]
            p = p.params
            if not fpool.mean_hw_fast_applicable(ins, axes, p):
                continue
            out.append(Layer(model, i, op.kind, f"{ins} -> {outs}", 0, fl.mean_portable_call(p, x),
                             fl.mean_fast_call(fpool.lower_mean_hw_fast(p), ins, x), "tg_mean_hw_fast_s8",
                             "tg_mean_s8"))
    return out


def code_bytes(elf_path, kernel: str) -> int:
    from tinygen.toolchain.elfinfo import ElfInfo

    elf = ElfInfo(elf_path)
    prefixes = CODE.get(kernel, [kernel])
    return sum(s.size for s in elf.symbols.values()
               if s.kind == "FUNC" and any(s.name == p or (p.endswith("_") and s.name.startswith(p)) for p in prefixes))


def measure(layers: list[Layer], boards: list[str]) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = {}
    for lay in layers:
        for b in boards:
            rp = fl.target_calls(b, [lay.portable])
            rf = fl.target_calls(b, [lay.fast])
            lay.counts[b] = (rp.instructions, rf.instructions)
            lay.stack[b] = (rp.stack_peak_bytes, rf.stack_peak_bytes)
            lay.exact[b] = bool(np.array_equal(rp.outputs[0], rf.outputs[0]))
            sizes.setdefault((b, lay.fast_name), code_bytes(rf.elf, lay.fast_name))
            sizes.setdefault((b, lay.portable_name), code_bytes(rp.elf, lay.portable_name))
        print(f"  {lay.model} #{lay.index} {lay.kind} {lay.shape}: " +
              ", ".join(f"{b[8:]} {lay.counts[b][0]}->{lay.counts[b][1]}" for b in boards) +
              ("" if all(lay.exact.values()) else "  NOT EXACT"), flush=True)
    return sizes


def arenas() -> list[tuple[str, int, int, list[int]]]:
    """Arena of each model as the compiler plans it for a Cortex-M4 (the fast kernels where they
    apply, the in-place fast kernel with its own scratch), next to the portable plan (cpu generic);
    and the depthwise layers planned in place on the M4."""
    from tinygen.compiler import compile_model
    from tinygen.options import CompileOptions

    rows = []
    for model, _ in MODELS:
        path = SHARED / "models" / "mlperf_tiny" / f"{model}.tflite"
        today = compile_model(path, CompileOptions(cpu="generic")).plan.arena_bytes
        cm = compile_model(path, CompileOptions(cpu="cortex-m4"))
        ip = [op.source_index for op in cm.graph.ops if op.kind == "DEPTHWISE_CONV_2D" and op.kernel.inplace]
        rows.append((model, today, cm.plan.arena_bytes, ip))
    return rows


def fmt(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def write_report(layers: list[Layer], sizes, boards, arena_rows, seconds: float, out: Path) -> None:
    cms = cmsis_counts()
    tags = dict(MODELS)
    lines = ["# Fast depthwise, ADD and pooling kernels: instructions per layer",
             "",
             "Generated by `benchmarks/kernels_depthwise.py`. Every layer of the family in the shared models, "
             "with its real weights and quantization, on random inputs; instructions counted exactly in Unicorn "
             "(arm-none-eabi-gcc 12.2, -O2, one kernel call per program, harness overhead subtracted); the fast "
             "kernel's output compared with the portable kernel's element for element on every core. CMSIS-NN: "
             "`../shared/perf/cmsisnn_per_layer.md` (its wrappers, M4). Depthwise layers run in today's placement "
             "(in place or not, as tinygen's planner chooses).",
             "",
             f"Machine: {platform.machine()}, Python {platform.python_version()}; run time {seconds:.0f} s.",
             ""]
    # M4 table
    lines += ["## Cortex-M4", "",
              "| model | # | op | layer | portable | fast | CMSIS-NN | fast / CMSIS-NN | fast / portable | fast instr/MAC | "
              "CMSIS instr/MAC | scratch B (fast / portable) | exact |",
              "|---|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    totals: dict[str, list[int]] = {}
    for lay in layers:
        port, fast = lay.counts["generic-m4"]
        tag = tags.get(lay.model)
        cm = cms.get((tag, lay.index), (None, None))[0] if tag else None
        ratio = f"{fast / cm:.3f}" if cm else "-"
        per_mac = f"{fast / lay.macs:.2f}" if lay.macs else "-"
        cms_mac = f"{cm / lay.macs:.2f}" if (lay.macs and cm) else "-"
        scratch = f"{lay.scratch_fast} / {lay.scratch_portable}" if (lay.scratch_fast or lay.scratch_portable) else "0"
        lines.append(f"| {lay.model} | {lay.index} | {lay.kind} | {lay.shape} | {fmt(port)} | {fmt(fast)} | "
                     f"{fmt(cm) if cm else '-'} | {ratio} | {fast / port:.3f} | {per_mac} | {cms_mac} | {scratch} | "
                     f"{'yes' if all(lay.exact.values()) else 'NO'} |")
        t = totals.setdefault(f"{lay.model} {lay.kind}", [0, 0, 0, 0])
        t[0] += port
        t[1] += fast
        t[2] += cm or 0
        t[3] += 1 if cm else 0
    lines += ["", "Totals per model and operator (M4):", "",
              "| model, op | layers | portable | fast | CMSIS-NN | fast / CMSIS-NN | fast / portable |",
              "|---|--:|--:|--:|--:|--:|--:|"]
    for k, (p, f, c, n) in totals.items():
        lines.append(f"| {k} | {sum(1 for l in layers if f'{l.model} {l.kind}' == k)} | {fmt(p)} | {fmt(f)} | "
                     f"{fmt(c) if c else '-'} | {f'{f / c:.3f}' if c else '-'} | {f / p:.3f} |")
    # other cores
    others = [b for b in boards if b != "generic-m4"]
    if others:
        lines += ["", "## Cortex-M7, M33 and M0+", "",
                  "Instructions, portable -> fast (ratio fast / portable); M7 also against CMSIS-NN's M7 count.", "",
                  "| model | # | op | " + " | ".join(b.replace("generic-", "").upper() for b in others) +
                  " | CMSIS-NN M7 | fast M7 / CMSIS-NN M7 |",
                  "|---|--:|---|" + "---|" * len(others) + "--:|--:|"]
        for lay in layers:
            cells = []
            for b in others:
                p, f = lay.counts[b]
                cells.append(f"{fmt(p)} -> {fmt(f)} ({f / p:.3f})")
            tag = tags.get(lay.model)
            c7 = cms.get((tag, lay.index), (None, None))[1] if tag else None
            f7 = lay.counts.get("generic-m7", (0, 0))[1]
            lines.append(f"| {lay.model} | {lay.index} | {lay.kind} | " + " | ".join(cells) +
                         f" | {fmt(c7) if c7 else '-'} | {f'{f7 / c7:.3f}' if c7 and f7 else '-'} |")
        worst = {b: max(lay.counts[b][1] / lay.counts[b][0] for lay in layers) for b in others}
        lines += ["", "Largest fast / portable ratio per core: " +
                  ", ".join(f"{b.replace('generic-', '').upper()} {w:.3f} ({1 / w:.1f}x fewer)" for b, w in worst.items())]
    # code size
    lines += ["", "## Code size", "",
              "Bytes of .text of each kernel (the public function and its non-inlined helpers) in the program that "
              "ran it, -O2.", "",
              "| kernel | " + " | ".join(b.replace("generic-", "").upper() for b in boards) + " |",
              "|---|" + "--:|" * len(boards)]
    names = sorted({k for _, k in sizes})
    for k in names:
        lines.append(f"| {k} | " + " | ".join(fmt(sizes.get((b, k), 0)) for b in boards) + " |")
    # stack
    lines += ["", "## Stack", "",
              "Stack high-water mark of the one-call program (harness included, so only the difference between "
              "the two kernels matters), largest over the layers of each kernel pair.", "",
              "| kernels (portable -> fast) | " + " | ".join(b.replace("generic-", "").upper() for b in boards) + " |",
              "|---|" + "--:|" * len(boards)]
    pairs: dict[str, dict] = {}
    for lay in layers:
        d = pairs.setdefault(f"{lay.portable_name} -> {lay.fast_name}", {})
        for b in boards:
            p0, f0 = d.get(b, (0, 0))
            d[b] = (max(p0, lay.stack[b][0]), max(f0, lay.stack[b][1]))
    for k, d in pairs.items():
        lines.append(f"| {k} | " + " | ".join(f"{d[b][0]} -> {d[b][1]}" for b in boards) + " |")
    # arenas
    if arena_rows:
        lines += ["", "## Arenas", "",
                  "Arena bytes planned by tinygen for a Cortex-M4 (the fast kernels, the in-place fast kernel with "
                  "its tg_depthwise_conv_inplace_fast_s8_get_buffer_size() scratch; the normal fast kernel needs none), "
                  "next to the portable plan (`--cpu generic`).", "",
                  "| model | portable | M4 (fast kernels) | depthwise layers in place on the M4 (TFLite operator index) |",
                  "|---|--:|--:|---|"]
        for model, today, fast, ip in arena_rows:
            lines.append(f"| {model} | {fmt(today)} | {fmt(fast)} | {', '.join(map(str, ip)) or '-'} |")
    out.write_text("\n".join(lines) + "\n")
    (out.with_suffix(".json")).write_text(json.dumps([
        dict(model=l.model, index=l.index, kind=l.kind, shape=l.shape, macs=l.macs, portable=l.portable_name,
             fast=l.fast_name, counts={b: list(v) for b, v in l.counts.items()}, exact=l.exact,
             scratch_fast=l.scratch_fast, scratch_portable=l.scratch_portable,
             stack={b: list(v) for b, v in l.stack.items()}) for l in layers], indent=1) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="M4 only")
    ap.add_argument("--models", nargs="*", help="subset of the models")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "kernels_depthwise_results.md")
    args = ap.parse_args()
    if not (SHARED / "models").is_dir():
        raise SystemExit(f"shared models not found at {SHARED} (set TINYGEN_SHARED)")
    t0 = time.time()
    boards = ["generic-m4"] if args.quick else BOARDS
    rng = np.random.default_rng(2026)
    layers = []
    for model, _ in MODELS:
        if args.models and model not in args.models:
            continue
        layers += layers_of(model, rng)
    print(f"{len(layers)} layers", flush=True)
    sizes = measure(layers, boards)
    arena_rows = [] if args.quick else arenas()
    write_report(layers, sizes, boards, arena_rows, time.time() - t0, args.out)
    bad = [l for l in layers if not all(l.exact.values())]
    print(f"wrote {args.out}; {len(bad)} layers not exact")
    if bad:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
