"""The default planner: heuristics, a short branch and bound, then HiGHS, until proven optimal or
out of budget (then the best placement found, with proven_optimal=False)."""

from __future__ import annotations

import time
from typing import Sequence

from ..liveness import Buffer
from .base import DEFAULT_BUDGET, Overlap, Placement, PlannerBudget, planner
from .bnb import improve
from .milp import solve
from .problem import Problem

#: share of the time limit (when there is one) the branch and bound may use
EXACT_BNB_TIME_SHARE = 0.25


@planner("exact")
def exact(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
          budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """The smallest arena: heuristics, a short branch and bound, then HiGHS, until proven optimal
    or out of budget (then the best placement found, with proven_optimal=False)."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    units = prob.best_heuristic()
    # a short branch and bound settles small problems; HiGHS the rest
    units, stopped, nodes = improve(prob, units, budget.exact_bnb_nodes, budget.deadline(t0, EXACT_BNB_TIME_SHARE))
    if stopped in ("bound", "exhausted"):
        return prob.placement(units, "exact", t0, proven=True, nodes=nodes, stopped=stopped)
    units, proven, stopped, more = solve(prob, units, budget.deadline(t0), budget.milp_nodes)
    return prob.placement(units, "exact", t0, proven=proven, nodes=nodes + more, stopped=stopped)
