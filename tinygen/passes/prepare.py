"""Pass `prepare`: quantization math and kernel parameters for every operator (op.params)."""

from __future__ import annotations

from ..ir import Graph
from ..ops import get_op_def


def run(graph: Graph, options) -> Graph:
    for op in graph.ops:
        op.params = get_op_def(op.kind).prepare(op)
    return graph
