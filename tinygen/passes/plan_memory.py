"""Pass `plan_memory`: buffer lifetimes, scratch buffers and arena offsets of the scheduled graph
with its chosen kernels (the memory planning service, tinygen.memory.plan)."""

from __future__ import annotations

from ..ir import Graph
from ..memory import MemoryPlan, MemoryProblem, memory_options, plan_memory
from ..options import CompileOptions


def run(graph: Graph, options: CompileOptions) -> MemoryPlan:
    return plan_memory(MemoryProblem.of_graph(graph), memory_options(options))
