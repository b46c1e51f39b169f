"""The compiler, pass by pass. Every pass takes and returns the Graph (and may annotate it)."""

from __future__ import annotations

from typing import Callable

from ..ir import Graph
from ..options import CompileOptions
from . import check, plan_memory, prepare, schedule, validate

Pass = Callable[[Graph, CompileOptions], Graph]

PIPELINE: list[tuple[str, Pass]] = [
    ("check", check.run),              # refuse unsupported ops/types/shapes, before any C is written
    ("validate", validate.run),        # IR invariants (topological order, single writer)
    ("prepare", prepare.run),          # quantization math -> op.params
    ("schedule", schedule.run),        # execution order
    ("plan_memory", plan_memory.run),  # lifetimes, scratch sizes, arena offsets
]


def run_pipeline(graph: Graph, options: CompileOptions) -> Graph:
    for _name, fn in PIPELINE:
        graph = fn(graph, options)
    return graph
