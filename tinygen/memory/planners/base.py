"""The planner interface: buffers in, offsets out (see tinygen.memory.planners)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..liveness import Buffer


@dataclass(frozen=True)
class PlannerBudget:
    """How much a search planner may search. Node limits are deterministic; `time_limit`
    (seconds, None: none) is an optional safety net that makes results depend on machine speed."""

    #: branch-and-bound nodes of the stand-alone "bnb" planner
    bnb_nodes: int = 20_000
    #: branch-and-bound nodes of the first, cheap try of the "exact" planner
    exact_bnb_nodes: int = 1_000
    #: HiGHS branch-and-bound nodes ("milp" and "exact"; about 2 s on hard 100-buffer instances)
    milp_nodes: int = 400
    #: wall-clock limit in seconds, or None (the default: deterministic)
    time_limit: float | None = None

    def deadline(self, t0: float, share: float = 1.0) -> float:
        """time.perf_counter() value at which to stop (infinity without a time limit)."""
        return float("inf") if self.time_limit is None else t0 + self.time_limit * share


DEFAULT_BUDGET = PlannerBudget()


@dataclass(frozen=True)
class Overlap:
    """Buffer `below` (an operator's output) may share bytes with buffer `above` (that operator's
    input, dying at that operator) when offset(above) - offset(below) >= gap."""

    below: str
    above: str
    gap: int


class PlanError(AssertionError):
    """A placement breaks the planning rules (a planner bug, or invalid planner input)."""


class Placement(dict):
    """Offsets by buffer id, plus how they were found."""

    def __init__(self, offsets: dict[str, int], *, planner: str, arena_bytes: int, lower_bound_bytes: int,
                 proven_optimal: bool, seconds: float, nodes: int = 0, stopped: str = "") -> None:
        super().__init__(offsets)
        self.planner = planner
        #: aligned arena size: max(offset + size) rounded up to the alignment
        self.arena_bytes = arena_bytes
        #: the bound the planner compared against (aligned sizes, overlap rules applied)
        self.lower_bound_bytes = lower_bound_bytes
        #: the arena is minimal for these buffers, alignment and overlap rules
        self.proven_optimal = proven_optimal
        self.seconds = seconds
        #: search nodes visited (exact planner)
        self.nodes = nodes
        #: why the planner stopped: "bound" (met the lower bound), "exhausted" (search complete:
        #: optimal), "node_limit" or "time_limit" (gave up: not proven), "" (no search done)
        self.stopped = stopped

    def summary(self) -> dict:
        return dict(planner=self.planner, arena_bytes=self.arena_bytes, lower_bound_bytes=self.lower_bound_bytes,
                    proven_optimal=self.proven_optimal, seconds=round(self.seconds, 4), nodes=self.nodes,
                    stopped=self.stopped)


PlannerFn = Callable[..., "Placement"]
_PLANNERS: dict[str, PlannerFn] = {}


def planner(name: str):
    def deco(fn: PlannerFn) -> PlannerFn:
        _PLANNERS[name] = fn
        return fn
    return deco


def get_planner(name: str) -> PlannerFn:
    try:
        return _PLANNERS[name]
    except KeyError:
        raise ValueError(f"unknown planner {name!r}; available: {', '.join(sorted(_PLANNERS))}") from None


def planner_names() -> list[str]:
    return sorted(_PLANNERS)


def align_up(x: int, a: int) -> int:
    return (x + a - 1) // a * a


def arena_size(buffers: list[Buffer], offsets: dict[str, int], alignment: int = 1) -> int:
    end = max((offsets[b.id] + b.size for b in buffers), default=0)
    return align_up(end, alignment)


# -- rules -----------------------------------------------------------------------------------------

def _rule_gaps(buffers: Sequence[Buffer], overlaps: Iterable[Overlap]) -> dict[tuple[str, str], int]:
    """Validated overlap rules as {(below id, above id): smallest gap}."""
    by_id = {b.id: b for b in buffers}
    gaps: dict[tuple[str, str], int] = {}
    for r in overlaps:
        lo, hi = by_id.get(r.below), by_id.get(r.above)
        if lo is None or hi is None:
            missing = r.below if lo is None else r.above
            raise PlanError(f"overlap rule {r}: no buffer {missing!r}")
        if lo is hi:
            raise PlanError(f"overlap rule {r}: a buffer cannot overlap itself")
        if not 0 <= r.gap <= lo.size:
            raise PlanError(f"overlap rule {r}: gap must be within 0..size({r.below}) = 0..{lo.size}")
        if hi.last != lo.first:
            raise PlanError(f"overlap rule {r}: buffer {r.above!r} (live {hi.first}..{hi.last}) must die at the "
                            f"operator that creates {r.below!r} (live {lo.first}..{lo.last})")
        key = (r.below, r.above)
        gaps[key] = min(gaps.get(key, r.gap), r.gap)
    return gaps


def check_plan(buffers: Sequence[Buffer], offsets: dict[str, int], overlaps: Iterable[Overlap] = (),
               alignment: int = 1) -> None:
    """Raise PlanError naming the first broken rule: a missing, negative or misaligned offset, or
    two buffers live at the same time sharing bytes without an overlap rule allowing it."""
    gaps = _rule_gaps(buffers, overlaps)
    for b in buffers:
        if b.id not in offsets:
            raise PlanError(f"buffer {b.id} ({_describe(b)}) has no offset")
        o = offsets[b.id]
        if o < 0:
            raise PlanError(f"buffer {b.id} ({_describe(b)}) has negative offset {o}")
        if alignment > 1 and o % alignment:
            raise PlanError(f"buffer {b.id} ({_describe(b)}) offset {o} is not a multiple of {alignment}")
    live = sorted((b for b in buffers if b.size > 0), key=lambda b: (b.first, b.last, b.id))
    for i, a in enumerate(live):
        for b in live[i + 1:]:
            if b.first > a.last:
                break
            oa, ob = offsets[a.id], offsets[b.id]
            if oa + a.size <= ob or ob + b.size <= oa:
                continue
            g = gaps.get((a.id, b.id))
            if g is not None and ob - oa >= g:
                continue
            g = gaps.get((b.id, a.id))
            if g is not None and oa - ob >= g:
                continue
            raise PlanError(f"buffers {a.id} ({_describe(a)}) at [{oa}, {oa + a.size}) and {b.id} ({_describe(b)}) "
                            f"at [{ob}, {ob + b.size}) are live at the same time and overlap")


def _describe(b: Buffer) -> str:
    names = ", ".join(t.name for t in b.tensors[:2]) or b.kind
    return f"{names}; {b.size} bytes, ops {b.first}..{b.last}"
