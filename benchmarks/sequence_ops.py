"""Models built on the operators of issue 10's math/sequence part: memory against TensorFlow Lite
Micro, flash and instructions on the emulated Cortex-M4, bit-exactness over consecutive inferences.

    .venv/bin/python benchmarks/sequence_ops.py [--out benchmarks/sequence_ops_results.md]

The models are written by tinygen's own GraphBuilder (random weights, calibrated int8
quantizations), so the script needs no model files:
- lstm_kws: an LSTM keyword spotter, 49 frames of 40 features -> UNIDIRECTIONAL_SEQUENCE_LSTM
  (64 units) -> FULLY_CONNECTED 12 per frame -> SOFTMAX;
- svdf_kws: a streaming SVDF keyword spotter, one 40-feature frame per inference -> SVDF 64 units
  (rank 1, memory 8) -> SVDF 32 (rank 2, memory 4) -> FULLY_CONNECTED 12 -> ARG_MAX;
- attention: a self-attention block on 16 tokens of 32 features -> BATCH_MATMUL (Q K^T) -> SOFTMAX
  -> BATCH_MATMUL (x V) -> L2_NORMALIZATION, with REDUCE_MAX, SQUARED_DIFFERENCE, RSQRT, MAXIMUM
  and PRELU in side branches.

Columns (bytes unless noted):
- tinygen arena: the generated code's one arena (activations and scratch);
- state: the variable tensors (SVDF/LSTM state), in static buffers outside the arena;
- TFLM head / total: tflite-micro's RecordingMicroAllocator report (head = non-persistent arena;
  total adds the persistent tail, which holds TFLM's copies of the variable tensors, its scratch
  copies of transposed operands, and interpreter bookkeeping);
- flash / instructions: `tinygen run --board generic-m4` (-O2), one inference from reset;
- bit-exact: the host build against TFLM over 8 consecutive inferences (state carried over), and
  the emulated M4 against TFLM and the host build.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tinygen.check import check_model  # noqa: E402
from tinygen.compiler import compile_model  # noqa: E402
from tinygen.ir import Quant  # noqa: E402
from tinygen.reference.tflm import allocation_report  # noqa: E402
from tinygen.target import run_on_board  # noqa: E402
from tinygen.testing import GraphBuilder  # noqa: E402


def lstm_kws() -> bytes:
    b = GraphBuilder("lstm_kws", seed=1)
    b.normalize_weights = True
    x = b.input((1, 49, 40), scale=0.05, zero_point=-10)
    h = b.lstm(x, 64)
    y = b.fully_connected(b.reshape(h, (49, 64)), 12)  # a score per frame
    return b.tflite([b.softmax(y)])


def svdf_kws() -> bytes:
    b = GraphBuilder("svdf_kws", seed=2)
    x = b.input((1, 40), scale=0.04, zero_point=0)
    h = b.svdf(x, 64, rank=1, memory=8)
    h = b.svdf(h, 32, rank=2, memory=4, time_dtype="int16")
    y = b.fully_connected(h, 12)
    return b.tflite([y, b.arg_max(y, 1)])


def attention() -> bytes:
    b = GraphBuilder("attention", seed=3)
    x = b.input((1, 16, 32), scale=0.03, zero_point=4)
    wk = b.const_int8((1, 32, 32), scale=0.02, zero_point=0)
    k = b.batch_matmul(x, wk)
    scores = b.batch_matmul(x, k, adj_y=True)
    probs = b.softmax(scores)
    ctx = b.batch_matmul(probs, x)
    y = b.l2_normalization(ctx)
    peak = b.reduce_max(x, [2], keep_dims=True)
    var = b.reduce_sum(b.squared_difference(x, peak), [2], keep_dims=True)
    inv = b.rsqrt(var)  # a sum of squares: never below its zero point
    alpha = b.const(np.full((32,), 16, np.int8), "int8", Quant(scale=[0.01], zero_point=[0]))
    z = b.prelu(b.maximum(x, ctx), alpha)
    return b.tflite([y, inv, z])


MODELS = {"lstm_kws": lstm_kws, "svdf_kws": svdf_kws, "attention": attention}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "sequence_ops_results.md")
    args = ap.parse_args()
    rows = []
    for name, make in MODELS.items():
        model = make()
        cm = compile_model(model)
        host = check_model(model, n_random=8)
        tflm = allocation_report(model)
        run = run_on_board(model, "generic-m4", n_random=1)
        ops = sorted({op.kind for op in cm.graph.ops})
        rows.append(dict(model=name, operators=ops, arena=cm.arena_bytes, state=cm.state_bytes,
                         tflm_head=tflm["head"], tflm_total=tflm["total"], flash=run.flash_bytes,
                         instructions=run.instructions, macs=cm.macs,
                         host_bit_exact=host.bit_exact, host_inputs=host.inputs_checked,
                         m4_bit_exact=run.outputs_match_reference))
        print(f"{name}: arena {cm.arena_bytes} B + state {cm.state_bytes} B; TFLM head {tflm['head']} B, total "
              f"{tflm['total']} B; flash {run.flash_bytes} B; {run.instructions:,} instructions; bit-exact "
              f"host {host.bit_exact} ({host.inputs_checked} consecutive inputs), M4 {run.outputs_match_reference}")
    lines = ["# Models on the new math and sequence operators (`benchmarks/sequence_ops.py`)", "",
             "Emulated Cortex-M4 (generic-m4, -O2); bytes; every model bit-exact with TFLM on the host (8 consecutive "
             "inferences) and on the M4.", "",
             "| model | operators | tinygen arena | state | TFLM head | TFLM total | flash | M4 instructions | MACs | bit-exact |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {', '.join(r['operators'])} | {r['arena']:,} | {r['state']:,} | "
                     f"{r['tflm_head']:,} | {r['tflm_total']:,} | {r['flash']:,} | {r['instructions']:,} | "
                     f"{r['macs']:,} | {'yes' if r['host_bit_exact'] and r['m4_bit_exact'] else 'NO'} |")
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"wrote {args.out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
