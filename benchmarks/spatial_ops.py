"""Models built around the data-movement and spatial operators: tinygen's arena vs TFLite Micro's,
and flash and instructions on the emulated Cortex-M4; written to benchmarks/spatial_ops_results.md
(and .json).

    .venv/bin/python benchmarks/spatial_ops.py [--out benchmarks/spatial_ops_results.md]

The models are built with tinygen's own graph builder (fixed seeds) or come from
models/converted (the real TFLite converter). TFLM's figures are its own allocation report
(RecordingMicroAllocator: "head" holds the activations and scratch buffers, "total" adds its
persistent bookkeeping). Every emulated output is compared with TFLM and the host build.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.compiler import compile_model  # noqa: E402
from tinygen.frontend import parse_tflite  # noqa: E402
from tinygen.options import CompileOptions  # noqa: E402
from tinygen.reference.tflm import allocation_report  # noqa: E402
from tinygen.target import run_on_board  # noqa: E402
from tinygen.testing import GraphBuilder  # noqa: E402

BOARD = "generic-m4"


def upsampler() -> bytes:
    """A stride-2 transposed convolution, 32x32x16 -> 64x64x16 (TFLM adds an int32 scratch copy
    of the output: 256 KB)."""
    b = GraphBuilder("tconv_upsampler", seed=1)
    x = b.input((1, 32, 32, 16))
    return b.tflite([b.transpose_conv(x, 16, kernel=(3, 3), stride=(2, 2), padding="SAME", activation="RELU")])


def fpn() -> bytes:
    """An FPN top-down step: 2x nearest upsampling of the coarse map, added to the lateral one."""
    b = GraphBuilder("fpn_step", seed=2)
    coarse = b.input((1, 20, 20, 32))
    lateral = b.conv2d(b.input((1, 40, 40, 16)), 32, kernel=(1, 1))
    up = b.resize_nearest_neighbor(coarse, (40, 40))
    return b.tflite([b.conv2d(b.add(up, lateral), 32, activation="RELU")])


def bilinear() -> bytes:
    """A segmentation head's 4x bilinear upsampling (half-pixel centers), 24x24x8 -> 96x96x8."""
    b = GraphBuilder("bilinear_x4", seed=3)
    x = b.conv2d(b.input((1, 24, 24, 8)), 8, kernel=(1, 1))
    return b.tflite([b.resize_bilinear(x, (96, 96), half_pixel_centers=True)])


def focus() -> bytes:
    """A YOLO-style stem: space-to-depth of a 96x96 image, then a 3x3 convolution."""
    b = GraphBuilder("s2d_stem", seed=4)
    x = b.input((1, 96, 96, 3))
    return b.tflite([b.conv2d(b.space_to_depth(x, 2), 16, activation="RELU")])


def channel_split() -> bytes:
    """A ShuffleNet-style block: split the channels, convolve one half, concatenate."""
    b = GraphBuilder("channel_split", seed=5)
    x = b.conv2d(b.input((1, 28, 28, 8)), 32, kernel=(1, 1))
    left, right = b.split(x, 2, 3)
    y = b.depthwise_conv2d(b.conv2d(right, 16, kernel=(1, 1), activation="RELU"), activation="NONE")
    return b.tflite([b.concatenation([left, b.conv2d(y, 16, kernel=(1, 1), out_quant=left.quant)], 3)])


def models() -> list[tuple[str, bytes]]:
    built = [("tconv_upsampler", upsampler()), ("fpn_step", fpn()), ("bilinear_x4", bilinear()),
             ("s2d_stem", focus()), ("channel_split", channel_split())]
    conv = [(p.stem, p.read_bytes()) for p in sorted((ROOT / "models" / "converted").glob("*.tflite"))]
    return built + conv


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "spatial_ops_results.md")
    args = ap.parse_args()
    rows = []
    for name, data in models():
        g = parse_tflite(data)
        ops = Counter(op.kind for op in g.ops)
        cm = compile_model(data, CompileOptions(name=name))
        tflm = allocation_report(data)
        rep = run_on_board(data, BOARD, n_random=2)
        rows.append(dict(model=name, operators=", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(ops.items())),
                         arena=cm.arena_bytes, tflm_head=tflm["head"], tflm_total=tflm["total"],
                         flash=rep.flash_bytes, instructions=rep.instructions,
                         bit_exact=bool(rep.outputs_match_reference)))
        print(f"{name}: arena {cm.arena_bytes} B (TFLM head {tflm['head']} B), {rep.instructions} instructions, "
              f"bit-exact {rep.outputs_match_reference}", flush=True)
    lines = ["# Data-movement and spatial operators: arena vs TFLM, Cortex-M4", "",
             f"`benchmarks/spatial_ops.py`; emulated {BOARD} (-O2); arena and TFLM figures in bytes.", "",
             "| model | operators | tinygen arena | TFLM head | TFLM total | flash B | M4 instructions | bit-exact |",
             "|---|---|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['operators']} | {r['arena']:,} | {r['tflm_head']:,} | {r['tflm_total']:,} | "
                     f"{r['flash']:,} | {r['instructions']:,} | {'yes' if r['bit_exact'] else 'NO'} |")
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
