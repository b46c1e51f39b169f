"""Arena placement algorithms behind one interface.

A planner receives buffers (size, first use, last use) and returns an offset for each such that
buffers live at the same time never share bytes. Planners are deterministic and selected by name.
"""

from __future__ import annotations

from typing import Callable

from .liveness import Buffer

PlannerFn = Callable[[list[Buffer], int], dict[str, int]]
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


@planner("naive")
def naive(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    """Every buffer gets its own bytes (no reuse). For debugging."""
    offsets, off = {}, 0
    for b in buffers:
        offsets[b.id] = off
        off = align_up(off + b.size, alignment)
    return offsets


@planner("greedy")
def greedy_by_size(buffers: list[Buffer], alignment: int) -> dict[str, int]:
    """TFLM's GreedyMemoryPlanner: largest buffers first, each at the lowest offset where it fits
    beside the already-placed buffers whose lifetimes intersect its own."""
    order = sorted(buffers, key=lambda b: (-b.size, b.first, b.id))
    placed: list[tuple[int, Buffer]] = []
    offsets: dict[str, int] = {}
    for b in order:
        conflicts = sorted((o, p) for o, p in placed if p.overlaps_in_time(b))
        cand = 0
        for o, p in conflicts:
            if cand + b.size <= o:
                break
            cand = max(cand, align_up(o + p.size, alignment))
        offsets[b.id] = cand
        placed.append((cand, b))
    return offsets
