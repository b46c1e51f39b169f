"""Mixed-integer program solved by HiGHS (scipy.optimize.milp): the disjunctive formulation, an
integer offset per buffer and one binary per pair of buffers live at the same time."""

from __future__ import annotations

import heapq
import time
from typing import Sequence

from ..liveness import Buffer
from .base import DEFAULT_BUDGET, Overlap, Placement, PlannerBudget, planner
from .problem import Problem


def solve(self: Problem, units: list[int], deadline: float, node_limit: int | None) -> tuple[list[int], bool, str, int]:
    """Look for a placement strictly better than `units` with HiGHS, stopping at `deadline`
    (time.perf_counter() value) or after `node_limit` nodes. Returns the best placement,
    whether it is proven optimal, why the solver stopped and its node count."""
    n = self.n
    target = self.arena_units(units) - 1
    if target < self.lower_bound:
        return units, True, "bound", 0
    if time.perf_counter() >= deadline:
        return units, False, "time_limit", 0
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.optimize import milp as scipy_milp
    from scipy.sparse import coo_array

    pairs = [(i, j) for i in range(n) for j in self.conf[i] if i < j]
    nv = n + 1 + len(pairs)  # offsets, arena, one binary per pair (1: i below j)
    A = n
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def add(coefs, lbv: float, ubv: float) -> None:
        r = len(lo)
        for c, v in coefs:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lo.append(lbv)
        hi.append(ubv)

    for i in range(n):
        add([(A, 1.0), (i, -1.0)], self.u[i], np.inf)  # arena >= offset_i + size_i
    for k, (i, j) in enumerate(pairs):
        z = n + 1 + k
        # offsets lie in [0, target], so M = target + sep switches a constraint off
        m = target + self.sep[i][j]  # z = 1: offset_j - offset_i >= sep(i, j)
        add([(j, 1.0), (i, -1.0), (z, -m)], self.sep[i][j] - m, np.inf)
        m = target + self.sep[j][i]  # z = 0: offset_i - offset_j >= sep(j, i)
        add([(i, 1.0), (j, -1.0), (z, m)], self.sep[j][i], np.inf)
    cons = LinearConstraint(coo_array((vals, (rows, cols)), shape=(len(lo), nv)).tocsr(), lo, hi)
    c = np.zeros(nv)
    c[A] = 1.0
    lb_v = np.zeros(nv)
    ub_v = np.ones(nv)
    for i in range(n):
        ub_v[i] = max(target - self.u[i], 0)
    lb_v[A], ub_v[A] = self.lower_bound, target
    if pairs and not self.has_rules:
        lb_v[n + 1] = 1  # a placement turned upside down is as good: fix one pair's order
    remaining = deadline - time.perf_counter()  # after loading scipy and building the model
    if remaining <= 0:
        return units, False, "time_limit", 0
    opts: dict = {"disp": False, "mip_rel_gap": 0.0}
    if remaining != float("inf"):
        opts["time_limit"] = remaining
    if node_limit is not None:
        opts["node_limit"] = int(node_limit)
    res = scipy_milp(c, constraints=cons, integrality=np.ones(nv), bounds=Bounds(lb_v, ub_v), options=opts)
    nodes = int(getattr(res, "mip_node_count", 0) or 0)
    if res.status == 2:  # infeasible: nothing beats `units`
        return units, True, "exhausted", nodes
    best = units
    if res.x is not None:
        cand = _from_orders(self, pairs, res.x[n + 1:])
        if cand is not None and self.arena_units(cand) < self.arena_units(units):
            best = cand
    if res.status == 0:
        return best, True, "exhausted", nodes
    if res.status == 1:
        return best, False, "time_limit", nodes
    msg = str(getattr(res, "message", "")).lower()
    # HiGHS reports its node limit as "node limit" or "solution limit" depending on the version
    return best, False, "node_limit" if ("node" in msg or "solution limit" in msg) else f"solver: {msg}", nodes

def _from_orders(self: Problem, pairs: list[tuple[int, int]], z) -> list[int] | None:
    """The lowest offsets honouring the pair orders chosen by the solver (a longest path
    over "lies below" edges, immune to the solver's rounding)."""
    n = self.n
    below: list[list[int]] = [[] for _ in range(n)]
    above: list[list[int]] = [[] for _ in range(n)]
    for (i, j), zv in zip(pairs, z):
        lo_, hi_ = (i, j) if zv > 0.5 else (j, i)
        below[hi_].append(lo_)
        above[lo_].append(hi_)
    indeg = [len(b) for b in below]
    ready = [i for i in range(n) if indeg[i] == 0]
    heapq.heapify(ready)
    off = [0] * n
    seen = 0
    while ready:
        i = heapq.heappop(ready)
        seen += 1
        off[i] = max((off[j] + self.sep[j][i] for j in below[i]), default=0)
        for k in above[i]:
            indeg[k] -= 1
            if indeg[k] == 0:
                heapq.heappush(ready, k)
    return off if seen == n else None


@planner("milp")
def milp(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
         budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """Heuristics, then HiGHS alone."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    units = prob.best_heuristic()
    units, proven, stopped, nodes = solve(prob, units, budget.deadline(t0), budget.milp_nodes)
    return prob.placement(units, "milp", t0, proven=proven, nodes=nodes, stopped=stopped)
