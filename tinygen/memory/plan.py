"""The memory plan consumed by code generation: where every tensor and scratch buffer lives."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Op, Tensor
from .liveness import Buffer, alias_root_map, compute_buffers, live_bytes_per_op
from .planners import arena_size, get_planner


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    offsets: dict[str, int]
    arena_bytes: int
    planner: str
    lower_bound_bytes: int
    live_per_op: list[int]
    _tensor_buf: dict[int, Buffer] = field(default_factory=dict)
    _scratch_buf: dict[int, Buffer] = field(default_factory=dict)

    def tensor_offset(self, t: Tensor) -> int | None:
        b = self._tensor_buf.get(id(t))
        return None if b is None else self.offsets[b.id]

    def scratch(self, op: Op) -> tuple[int, int] | None:
        b = self._scratch_buf.get(id(op))
        return None if b is None else (self.offsets[b.id], b.size)


def make_plan(graph: Graph, scratch: dict[int, int], planner: str = "greedy", alignment: int = 16,
              io_in_arena: bool = True) -> MemoryPlan:
    bufs = compute_buffers(graph, scratch, io_in_arena=io_in_arena)
    offsets = get_planner(planner)(bufs, alignment)
    live = live_bytes_per_op(bufs, len(graph.ops))
    plan = MemoryPlan(buffers=bufs, offsets=offsets, arena_bytes=arena_size(bufs, offsets, alignment),
                      planner=planner, lower_bound_bytes=max(live, default=0), live_per_op=live)
    roots = alias_root_map(graph)
    for b in bufs:
        if b.kind == "scratch" and b.op is not None:
            plan._scratch_buf[id(b.op)] = b
        for t in b.tensors:
            plan._tensor_buf[id(t)] = b
    for t in graph.activations():
        r = roots.get(id(t))
        if r is not None and id(r) in plan._tensor_buf:
            plan._tensor_buf[id(t)] = plan._tensor_buf[id(r)]
    return plan
