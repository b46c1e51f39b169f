"""Pass `memory_opt`: per operator, the kernel variant that lets outputs reuse the memory of inputs
dying at the same operator (in place, or partial overlap), chosen for the smallest arena (see
tinygen.memory.variants)."""

from __future__ import annotations

from ..ir import Graph, Target
from ..memory import memory_options
from ..memory.variants import VariantChoice, choose_variants
from ..options import CompileOptions


def run(graph: Graph, options: CompileOptions, target: Target) -> VariantChoice:
    choice = choose_variants(graph.ops, graph.inputs, graph.outputs, target, memory_options(options),
                             inplace=options.inplace, overlap=options.overlap)
    for op in graph.ops:
        op.kernel = choice.kernels[id(op)]
    return choice
