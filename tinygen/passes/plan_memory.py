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
    info = graph.meta.get("patch_stage")
    if info and info.get("applied"):
        plan = graph.meta["memory_plan"]
        info["peak_with_patches_bytes"] = plan.arena_bytes
        info["stage_peak_bytes"] = span_at(plan, 0)
        info["rest_peak_bytes"] = max((span_at(plan, p) for p in range(1, len(graph.ops))), default=0)
    return graph


def span_at(plan, pos: int) -> int:
    """Arena bytes in use at an operator: the end of the highest buffer live there."""
    return max((plan.offsets[b.id] + b.size for b in plan.buffers if b.first <= pos <= b.last), default=0)
