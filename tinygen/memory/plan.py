"""The memory plan consumed by code generation: where every tensor and scratch buffer lives."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..ir import Graph, Op, Tensor
from .liveness import Buffer, alias_root_map, compute_buffers, live_buffers_per_op, live_bytes_per_op
from .planners import DEFAULT_TIME_LIMIT, Overlap, check_plan, get_planner

#: Op.notes key through which a pass allows an operator to write its output over its input:
#: a list of (input index, output index, gap bytes) — see `planners.Overlap`.
IO_OVERLAP_NOTE = "io_overlap"


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    #: buffer id -> byte offset in the arena
    offsets: dict[str, int]
    #: arena size: max(offset + size), rounded up to the alignment
    arena_bytes: int
    planner: str
    #: layer-wise lower bound: the most bytes live at one operator (max of live_per_op)
    lower_bound_bytes: int
    #: bytes live at each operator position
    live_per_op: list[int]
    #: the arena is minimal for these buffers, alignment and overlap rules
    proven_optimal: bool = False
    #: the bound the planner compared against: sizes rounded up to the alignment, overlap rules
    #: applied (>= lower_bound_bytes without overlap rules; it can be lower with them)
    planner_bound_bytes: int = 0
    #: planner running time, seconds, and why it stopped (see planners.Placement.stopped)
    seconds: float = 0.0
    stopped: str = ""
    alignment: int = 1
    #: overlap rules the planner honoured
    overlaps: list[Overlap] = field(default_factory=list)
    #: the scheduled operators (position -> op), for reports
    ops: list[Op] = field(default_factory=list)
    _tensor_buf: dict[int, Buffer] = field(default_factory=dict, repr=False)
    _scratch_buf: dict[int, Buffer] = field(default_factory=dict, repr=False)

    # -- what code generation asks -----------------------------------------------------------------
    def tensor_offset(self, t: Tensor) -> int | None:
        b = self._tensor_buf.get(id(t))
        return None if b is None else self.offsets[b.id]

    def scratch(self, op: Op) -> tuple[int, int] | None:
        b = self._scratch_buf.get(id(op))
        return None if b is None else (self.offsets[b.id], b.size)

    # -- what reports ask --------------------------------------------------------------------------
    def buffer_of(self, t: Tensor) -> Buffer | None:
        return self._tensor_buf.get(id(t))

    @property
    def live_buffers(self) -> list[list[Buffer]]:
        """Buffers live at each operator position."""
        return live_buffers_per_op(self.buffers, len(self.ops))

    @property
    def peak_op(self) -> int:
        """Position of the first operator where the most bytes are live."""
        return max(range(len(self.live_per_op)), key=lambda p: (self.live_per_op[p], -p)) if self.live_per_op else 0

    def summary(self) -> dict:
        return dict(arena_bytes=self.arena_bytes, lower_bound_bytes=self.lower_bound_bytes, planner=self.planner,
                    proven_optimal=self.proven_optimal, planner_bound_bytes=self.planner_bound_bytes,
                    seconds=round(self.seconds, 4), stopped=self.stopped)


def overlaps_from_notes(graph: Graph, buffers: list[Buffer]) -> list[Overlap]:
    """Overlap rules requested by passes through op.notes[IO_OVERLAP_NOTE]. A request applies
    only where it is meaningful in the current schedule: the input's buffer dies at that operator,
    is not a graph output, and is not the output's own buffer; others are ignored."""
    by_tensor: dict[int, Buffer] = {}
    for b in buffers:
        for t in b.tensors:
            by_tensor[id(t)] = b
    roots = alias_root_map(graph)
    outputs = {id(roots.get(id(t), t)) for t in graph.outputs}
    rules = []
    for pos, op in enumerate(graph.ops):
        for in_idx, out_idx, gap in op.notes.get(IO_OVERLAP_NOTE, ()):
            x, y = op.inputs[in_idx], op.outputs[out_idx]
            if x is None or x.is_const:
                continue
            rx, ry = roots.get(id(x), x), roots.get(id(y), y)
            bx, by = by_tensor.get(id(rx)), by_tensor.get(id(ry))
            if bx is None or by is None or bx is by or id(rx) in outputs:
                continue
            if bx.last != pos or by.first != pos:
                continue
            rules.append(Overlap(below=by.id, above=bx.id, gap=int(gap)))
    return rules


def make_plan(graph: Graph, scratch: dict[int, int], planner: str = "exact", alignment: int = 16,
              io_in_arena: bool = True, overlaps: list[Overlap] | None = None,
              time_limit: float | None = None, check: bool = True) -> MemoryPlan:
    """Plan the arena of a scheduled graph. `scratch` maps op position -> scratch bytes;
    `overlaps` defaults to the rules requested in op.notes (see overlaps_from_notes)."""
    bufs = compute_buffers(graph, scratch, io_in_arena=io_in_arena)
    rules = overlaps_from_notes(graph, bufs) if overlaps is None else list(overlaps)
    fn = get_planner(planner)
    kw = {}
    if "time_limit" in inspect.signature(fn).parameters:
        kw["time_limit"] = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    placement = fn(bufs, alignment, rules, **kw)
    if check:
        check_plan(bufs, placement, rules, alignment)
    live = live_bytes_per_op(bufs, len(graph.ops))
    plan = MemoryPlan(buffers=bufs, offsets=dict(placement), arena_bytes=placement.arena_bytes, planner=planner,
                      lower_bound_bytes=max(live, default=0), live_per_op=live,
                      proven_optimal=placement.proven_optimal, planner_bound_bytes=placement.lower_bound_bytes,
                      seconds=placement.seconds, stopped=placement.stopped, alignment=alignment, overlaps=rules,
                      ops=list(graph.ops))
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
