"""The compiler, pass by pass. Every pass takes and returns the Graph (and may annotate it)."""

from __future__ import annotations

from typing import Callable

from ..ir import Graph
from ..options import CompileOptions
from . import check, memory_opt, patch, plan_memory, prepare, schedule, validate

Pass = Callable[[Graph, CompileOptions], Graph]

PIPELINE: list[tuple[str, Pass]] = [
    ("check", check.run),              # refuse unsupported ops/types/shapes, before any C is written
    ("validate", validate.run),        # IR invariants (topological order, single writer)
    ("schedule", schedule.run),        # execution order with the least peak memory
    ("patch", patch.run),              # patch-based first stage (MCUNetV2), when asked
    ("memory_opt", memory_opt.run),    # in-place depthwise, partial input/output overlap
    ("prepare", prepare.run),          # quantization math -> op.params (kernel variants)
    ("plan_memory", plan_memory.run),  # lifetimes, scratch sizes, arena offsets
]


def run_pipeline(graph: Graph, options: CompileOptions) -> Graph:
    for _name, fn in PIPELINE:
        graph = fn(graph, options)
    return graph
