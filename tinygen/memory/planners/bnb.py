"""Branch and bound (pure Python): exact given enough nodes; fast on small problems."""

from __future__ import annotations

import sys
import time
from typing import Sequence

from ..liveness import Buffer
from .base import DEFAULT_BUDGET, Overlap, Placement, PlannerBudget, planner
from .problem import Problem


def improve(self: Problem, units: list[int], node_limit: int, deadline: float) -> tuple[list[int], str, int]:
    """Improve `units` until proven optimal or out of budget. Returns the best placement, why
    the search ended ("bound", "exhausted", "node_limit", "time_limit") and the nodes visited."""
    best = self.arena_units(units)
    if best <= self.lower_bound:
        return units, "bound", 0
    s = _Search(self, node_limit, deadline)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 4 * self.n + 500))
    try:
        # the lower bound is often reachable: ask for it first
        sol = s.solve(self.lower_bound)
        if sol is not None:
            return sol, "bound", s.nodes
        while best - 1 > self.lower_bound:  # then for anything better than the best so far
            sol = s.solve(best - 1)
            if sol is None:
                break
            units, best = sol, self.arena_units(sol)
        return units, "exhausted", s.nodes
    except _OutOfBudget as e:
        return units, e.reason, s.nodes
    finally:
        sys.setrecursionlimit(old_limit)


class _OutOfBudget(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Search:
    """Decision search: is there a placement with arena <= T (alignment units)?

    Buffers are placed in canonical order: offsets never decrease, equal offsets in increasing
    index (except buffers allowed to overlap in place, gap 0); each buffer goes at its "gravity",
    the lowest offset above the placed buffers it conflicts with. When the unplaced buffers fall
    apart into groups with no conflict between them (a moment fully placed separates them), each
    group is solved on its own; results are memoized on the group's state relative to the current
    level, so a sub-problem that recurs (common along the chain of a network) is solved once.
    """

    CHECK_EVERY = 512

    def __init__(self, prob: Problem, node_limit: int, deadline: float) -> None:
        self.p = prob
        n = prob.n
        self.placed = [False] * n
        self.grav = [0] * n
        self.conf_set = [set(c) for c in prob.conf]
        self.secs_of: list[list[int]] = [[] for _ in range(n)]
        for k, sec in enumerate(prob.sections):
            for i in sec:
                self.secs_of[i].append(k)
        # zero separations (in-place overlap rules) allow equal offsets among conflicting buffers
        self.zero_sep = any(v == 0 for row in prob.sep for v in row.values())
        rank = sorted(range(n), key=lambda i: (-prob.u[i], -(prob.last[i] - prob.first[i]), i))
        self.rank = [0] * n
        for r, i in enumerate(rank):
            self.rank[i] = r
        self.sweep_key = lambda i: (prob.first[i], i)
        self.node_limit = node_limit
        self.deadline = deadline
        self.nodes = 0
        #: state key -> [largest T (relative) known infeasible, solution (value, offsets) or None]
        self.memo: dict[tuple, list] = {}

    def solve(self, T: int) -> list[int] | None:
        p = self.p
        units = [0] * p.n
        for comp in self.components(set(range(p.n))):
            sol = self.feasible(comp, 0, -1, T)
            if sol is None:
                return None
            for i, o in sol.items():
                units[i] = o
        return units

    def components(self, C: set[int] | frozenset[int]) -> list[frozenset[int]]:
        """C split into groups with no conflict between groups (lifetimes are intervals: sweep
        in order of first use and cut where no lifetime reaches across)."""
        first, last = self.p.first, self.p.last
        out: list[frozenset[int]] = []
        cur: list[int] = []
        reach = -1
        for i in sorted(C, key=self.sweep_key):
            if cur and first[i] > reach:
                out.append(frozenset(cur))
                cur = []
            cur.append(i)
            reach = max(reach, last[i]) if len(cur) > 1 else last[i]
        if cur:
            out.append(frozenset(cur))
        return out

    def feasible(self, C: frozenset[int], L: int, last: int, T: int) -> dict[int, int] | None:
        """Offsets for the buffers of C (a connected group of unplaced buffers) with every buffer at
        offset >= L and ending at or below T, or None when impossible."""
        p, grav, placed = self.p, self.grav, self.placed
        u, conf, sep = p.u, p.conf, p.sep
        self.nodes += 1
        if self.nodes % self.CHECK_EVERY == 0:
            if self.nodes >= self.node_limit:
                raise _OutOfBudget("node_limit")
            if time.perf_counter() > self.deadline:
                raise _OutOfBudget("time_limit")
        members = sorted(C)
        if last >= 0 and not any(i < last and grav[i] == L for i in members):
            last = -1
        key = (C, last, tuple(grav[i] - L if grav[i] >= L else -1 for i in members))
        rel_T = T - L
        entry = self.memo.get(key)
        if entry is not None:
            if entry[0] >= rel_T:
                return None
            if entry[1] is not None and entry[1][0] <= rel_T:
                return {i: o + L for i, o in entry[1][1].items()}
        else:
            entry = self.memo[key] = [-1, None]

        # lowest possible offsets ("releases"); a buffer that can no longer be placed ends the node
        rel = {}
        for i in members:
            g = grav[i]
            if g < L:
                r = -1
                for j in conf[i]:
                    if j in C:
                        c = max(L, grav[j]) + sep[j][i]
                        if r < 0 or c < r:
                            r = c
                if r < 0:
                    entry[0] = max(entry[0], rel_T)
                    return None
                g = max(r, L)
            if g + u[i] > T:
                entry[0] = max(entry[0], rel_T)
                return None
            rel[i] = g
        # buffers live at one moment stack above their releases (one-machine bound)
        seen_secs = set()
        for i in members:
            for k in self.secs_of[i]:
                if k in seen_secs:
                    continue
                seen_secs.add(k)
                pk = p.sec_p[k]
                items = sorted((rel[j], pk[j]) for j in p.sections[k] if j in C)
                acc = span = 0
                for r, w in reversed(items):
                    acc += w
                    if r + acc > span:
                        span = r + acc
                if span + p.sec_extra[k] > T:
                    entry[0] = max(entry[0], rel_T)
                    return None

        cands = []
        for i in members:
            g = grav[i]
            if g < L:
                continue
            if g == L and last >= 0 and i < last and not (self.zero_sep and i in self.conf_set[last]):
                continue
            cands.append((g, self.rank[i], i))
        cands.sort()
        for g, _, i in cands:
            if g + u[i] > T:
                continue
            placed[i] = True
            saved = []
            for j in conf[i]:
                if not placed[j]:
                    v = g + sep[i][j]
                    if v > grav[j]:
                        saved.append((j, grav[j]))
                        grav[j] = v
            sol: dict[int, int] | None = {i: g}
            rest = C - {i}
            if rest:
                # each group continues the canonical order after i: its first buffer at offset g
                # must come after i in index order unless it rests on i in place
                for comp in self.components(rest):
                    r = self.feasible(comp, g, i, T)
                    if r is None:
                        sol = None
                        break
                    sol.update(r)
            for j, v in saved:
                grav[j] = v
            placed[i] = False
            if sol is not None:
                value = max(o + u[j] for j, o in sol.items())
                if entry[1] is None or value - L < entry[1][0]:
                    entry[1] = (value - L, {j: o - L for j, o in sol.items()})
                return sol
        entry[0] = max(entry[0], rel_T)
        return None


@planner("bnb")
def branch_and_bound(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (),
                     budget: PlannerBudget = DEFAULT_BUDGET) -> Placement:
    """Heuristics, then the pure-Python branch and bound alone."""
    t0 = time.perf_counter()
    prob = Problem(buffers, alignment, overlaps)
    units, stopped, nodes = improve(prob, prob.best_heuristic(), budget.bnb_nodes, budget.deadline(t0))
    return prob.placement(units, "bnb", t0, proven=stopped in ("bound", "exhausted"), nodes=nodes, stopped=stopped)
