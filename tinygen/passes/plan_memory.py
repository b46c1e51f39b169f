"""Pass `plan_memory`: scratch sizes from the kernels, buffer lifetimes, arena offsets."""

from __future__ import annotations

from ..ir import Graph
from ..memory import make_plan
from ..ops import get_op_def


def run(graph: Graph, options) -> Graph:
    scratch = {pos: get_op_def(op.kind).scratch_bytes(op) for pos, op in enumerate(graph.ops)}
    graph.meta["memory_plan"] = make_plan(graph, scratch, planner=options.planner,
                                          alignment=options.alignment, io_in_arena=options.io_in_arena,
                                          time_limit=options.planner_time_limit)
    return graph
