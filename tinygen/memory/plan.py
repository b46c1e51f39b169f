"""The memory planning service: a MemoryProblem in, a checked MemoryPlan out.

    plan = plan_memory(MemoryProblem.of_graph(graph), MemoryOptions(alignment=16))
    plan.arena_bytes, plan.tensor_offset(t), plan.scratch(op)

One function for every (sub)graph the compiler plans: the whole model (the `plan_memory` pass),
the alternatives the `memory_opt` pass compares (in place or partial overlap), the candidates of
the patch search, and the per-patch operator sequence of a patch stage (tinygen.patching). It
computes the buffers and their lifetimes (tinygen.memory.liveness), turns the kernels' allowed
overlaps into planner rules, runs the named planner within its budget, and checks the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..ir import Op, Tensor
from ..options import CompileOptions
from .liveness import (
    Buffer,
    MemoryProblem,
    alias_root_map,
    compute_buffers,
    live_buffers_per_op,
    live_bytes_per_op,
)
from .planners import DEFAULT_BUDGET, Overlap, PlannerBudget, align_up, check_plan, get_planner


@dataclass(frozen=True)
class MemoryOptions:
    #: byte alignment of every buffer
    alignment: int = 16
    #: the problem's inputs and outputs get buffers (False: they live elsewhere, e.g. the caller's)
    io_in_arena: bool = True
    #: placement algorithm (tinygen.memory.planners)
    planner: str = "exact"
    budget: PlannerBudget = DEFAULT_BUDGET
    #: verify the placement (check_plan); trials that only compare arena sizes may skip it
    check: bool = True
    #: arena guard: bytes of canary planned below and above every buffer (0: none). The planner
    #: places buffers enlarged by them (overlap rules still apply to the data), so a kernel that
    #: writes past its buffer hits a canary before a neighbour (tinygen.guard checks them).
    guard: int = 0


def memory_options(options: CompileOptions, **overrides) -> MemoryOptions:
    """The memory planning options of a compilation (overrides: MemoryOptions fields)."""
    kw = dict(alignment=options.alignment, io_in_arena=options.io_in_arena, planner=options.planner,
              budget=PlannerBudget(time_limit=options.planner_time_limit), guard=options.guard)
    kw.update(overrides)
    return MemoryOptions(**kw)


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
    #: canary bytes planned below and above every buffer (arena guard builds; 0 otherwise)
    guard: int = 0
    _tensor_buf: dict[int, Buffer] = field(default_factory=dict, repr=False)
    _scratch_buf: dict[int, Buffer] = field(default_factory=dict, repr=False)
    _roots: dict[int, Tensor] = field(default_factory=dict, repr=False)

    # -- what code generation asks -----------------------------------------------------------------
    def tensor_offset(self, t: Tensor) -> int | None:
        b = self._tensor_buf.get(id(t))
        return None if b is None else self.offsets[b.id]

    def scratch(self, op: Op) -> tuple[int, int] | None:
        b = self._scratch_buf.get(id(op))
        return None if b is None else (self.offsets[b.id], b.size)

    def memory_of(self, t: Tensor) -> Tensor:
        """The tensor whose memory t uses (t itself unless t aliases another or was written over it)."""
        return self._roots.get(id(t), t)

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

    def span_at(self, pos: int) -> int:
        """Arena bytes in use at an operator: the end of the highest buffer live there."""
        return max((self.offsets[b.id] + b.size for b in self.buffers if b.first <= pos <= b.last), default=0)

    def summary(self) -> dict:
        return dict(arena_bytes=self.arena_bytes, lower_bound_bytes=self.lower_bound_bytes, planner=self.planner,
                    proven_optimal=self.proven_optimal, planner_bound_bytes=self.planner_bound_bytes,
                    seconds=round(self.seconds, 4), stopped=self.stopped)


def overlap_rules(problem: MemoryProblem, buffers: list[Buffer]) -> list[Overlap]:
    """Planner rules from the overlaps the kernels allow (StepMemory.overlap). One applies only
    where it is meaningful in this schedule: the input's buffer dies at that operator, is not an
    output of the problem, and is not the output's own buffer; others are ignored."""
    by_tensor: dict[int, Buffer] = {}
    for b in buffers:
        for t in b.tensors:
            by_tensor[id(t)] = b
    roots = alias_root_map(problem)
    outputs = {id(roots.get(id(t), t)) for t in problem.outputs}
    rules = []
    for pos, (op, step) in enumerate(zip(problem.ops, problem.steps)):
        for in_idx, out_idx, gap in step.overlap:
            x, y = op.inputs[in_idx], op.outputs[out_idx]
            if x is None or x.is_static:
                continue
            rx, ry = roots.get(id(x), x), roots.get(id(y), y)
            bx, by = by_tensor.get(id(rx)), by_tensor.get(id(ry))
            if bx is None or by is None or bx is by or id(rx) in outputs:
                continue
            if bx.last != pos or by.first != pos or gap > by.size:
                continue
            rules.append(Overlap(below=by.id, above=bx.id, gap=int(gap)))
    return rules


def plan_memory(problem: MemoryProblem, options: MemoryOptions = MemoryOptions()) -> MemoryPlan:
    """Place every buffer of `problem` in one arena."""
    bufs = compute_buffers(problem, io_in_arena=options.io_in_arena)
    rules = overlap_rules(problem, bufs)
    guard = align_up(options.guard, options.alignment) if options.guard > 0 else 0
    planned = [replace(b, size=b.size + 2 * guard) for b in bufs] if guard else bufs
    placement = get_planner(options.planner)(planned, options.alignment, rules, options.budget)
    if options.check:
        check_plan(planned, placement, rules, options.alignment)
    if guard:  # the data starts above its lower canary; the overlap rules' gaps are unchanged
        for b in bufs:
            placement[b.id] += guard
    live = live_bytes_per_op(bufs, len(problem.ops))
    roots = alias_root_map(problem)
    plan = MemoryPlan(buffers=bufs, offsets=dict(placement), arena_bytes=placement.arena_bytes,
                      planner=options.planner, lower_bound_bytes=max(live, default=0), live_per_op=live,
                      proven_optimal=placement.proven_optimal, planner_bound_bytes=placement.lower_bound_bytes,
                      seconds=placement.seconds, stopped=placement.stopped, alignment=options.alignment,
                      overlaps=rules, ops=list(problem.ops), guard=guard, _roots=roots)
    for b in bufs:
        if b.kind == "scratch" and b.op is not None:
            plan._scratch_buf[id(b.op)] = b
        for t in b.tensors:
            plan._tensor_buf[id(t)] = b
    for op in problem.ops:
        for t in list(op.inputs) + list(op.outputs):
            if t is None or t.is_static:
                continue
            r = roots.get(id(t))
            if r is not None and id(r) in plan._tensor_buf:
                plan._tensor_buf[id(t)] = plan._tensor_buf[id(r)]
    return plan


__all__ = ["MemoryOptions", "MemoryPlan", "memory_options", "overlap_rules", "plan_memory"]
