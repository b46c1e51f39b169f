"""Pass `schedule`: operator execution order. Keeps the model's (already topological) order."""

from __future__ import annotations

from ..ir import Graph


def run(graph: Graph, options) -> Graph:
    return graph
