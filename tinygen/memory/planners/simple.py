"""Planners without search: naive (no reuse), greedy (TFLM's order) and the best of several
greedy orders."""

from __future__ import annotations

import time
from typing import Sequence

from ..liveness import Buffer
from .base import DEFAULT_BUDGET, Overlap, Placement, PlannerBudget, planner
from .problem import Problem


@planner("naive")
def naive(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
          budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """Every buffer gets its own bytes (no reuse). For debugging."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    units, off = [], 0
    for i in range(prob.n):
        units.append(off)
        off += prob.u[i]
    return prob.placement(units, "naive", t0)


@planner("greedy")
def greedy_by_size(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
          budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """TFLM's GreedyMemoryPlanner: largest buffers first, each at the lowest offset where it fits
    beside the already placed buffers whose lifetimes intersect its own (overlap rules honoured)."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    return prob.placement(prob.lowest_fit(prob.heuristic_orders()[0][1]), "greedy", t0)


@planner("heuristic")
def best_heuristic(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
          budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """The best of several greedy orders (size, first use, lifetime, size x lifetime, ...)."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    return prob.placement(prob.best_heuristic(), "heuristic", t0)
