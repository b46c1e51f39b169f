"""Arena placement algorithms behind one interface.

A planner receives buffers (size, first use, last use), an alignment and optional overlap rules,
and returns an offset for each buffer:

    planner(buffers, alignment, overlaps=()) -> Placement   (a dict: buffer id -> offset)

Rules every planner honours (`check_plan` verifies them):
  * every offset is a multiple of `alignment`;
  * two buffers live at the same time never share a byte, except where an `Overlap(below, above,
    gap)` rule allows it: `below` (an operator's output) may overlap `above` (that operator's input,
    which dies at that operator) when offset(above) - offset(below) >= gap, i.e. the output starts
    at least `gap` bytes before the input. `0 <= gap <= size(below)`; gap = 0 is a fully in-place
    operator, gap = size(below) the usual "below, touching" placement.

Planners are deterministic and selected by name (`get_planner`). The returned `Placement` also
records the arena size, the lower bound, whether the arena is proven optimal, the planner's name,
its running time and why its search stopped.

Planners:
  naive      no reuse at all (debugging)
  greedy     TFLM's greedy by size: largest first, each at the lowest offset that fits
  heuristic  the best of several greedy orders (size, first use, lifetime, size x lifetime, ...)
  bnb        branch and bound (pure Python), exact given enough nodes; fast on small problems
  milp       mixed-integer program solved by HiGHS (scipy.optimize.milp)
  exact      heuristic, then a short bnb, then milp: the default

How "exact" proves optimality. Offsets and sizes are expressed in units of the alignment (a
buffer of s bytes occupies ceil(s / alignment) units), which makes the aligned problem an integer
one without loss. The lower bound is the largest total size of the buffers live at one moment (the
layer-wise bound, in aligned units; with overlap rules the smallest stack those buffers can form).
When a heuristic reaches it, the placement is optimal and nothing else runs: the usual case for
real models. Otherwise the branch and bound runs with a small budget (it settles small problems in
milliseconds, without loading scipy), then HiGHS on the disjunctive formulation: an integer offset
per buffer, one binary per pair of buffers live at the same time choosing which lies below,
minimizing the arena with the lower bound and "strictly better than the heuristic" as bounds.
Measured on random instances where every moment is full (the hardest kind; 5 s each): on ~25
buffers both prove nearly everything; on ~50 buffers HiGHS proved 84/84, the branch and bound
39/84; on ~100 buffers HiGHS 28/40, the branch and bound 6/40. Integer offsets matter: with
continuous offsets HiGHS proved 30/40 instead of 40/40 on ~50 buffers, 2/20 instead of 15/20 on
~100.

Budgets: `time_limit` (seconds, default 2) and node limits. Node limits are deterministic (same
input, same plan on every machine); the time limit is a safety net which, when it ends the search,
makes the result depend on the machine's speed. `Placement.stopped` says which one ended it.
"""

from __future__ import annotations

import heapq
import sys
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from .liveness import Buffer

#: default wall-clock limit of the exact planner, seconds
DEFAULT_TIME_LIMIT = 2.0
#: node budget of the branch and bound inside "exact" (its first, cheap try)
EXACT_BNB_NODES = 1_000
#: share of the time limit the branch and bound may use inside "exact"
EXACT_BNB_TIME_SHARE = 0.25
#: node budget of HiGHS inside "exact" (about 2 s on hard random 100-buffer instances)
EXACT_MILP_NODES = 400
#: node budget of the stand-alone "bnb" planner
BNB_NODES = 20_000


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


PlannerFn = Callable[..., Placement]
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


# -- the problem in alignment units ---------------------------------------------------------------

class _Problem:
    """Buffers with size > 0 in alignment units, their conflicts and separations.

    conf[i]: buffers live at some moment together with i. sep[i][j]: the smallest
    offset(j) - offset(i) allowed when i lies below j (size(i), or the gap of an overlap rule
    letting i overlap j). sections: the maximal sets of buffers live at one moment.
    """

    def __init__(self, buffers: Sequence[Buffer], alignment: int, overlaps: Iterable[Overlap]) -> None:
        if alignment < 1:
            raise PlanError(f"alignment must be >= 1, got {alignment}")
        ids = [b.id for b in buffers]
        if len(set(ids)) != len(ids):
            raise PlanError("buffer ids are not unique")
        self.alignment = a = alignment
        gaps = _rule_gaps(buffers, overlaps)
        self.has_rules = bool(gaps)
        self.all = list(buffers)
        self.bufs = [b for b in buffers if b.size > 0]
        n = self.n = len(self.bufs)
        self.u = [-(-b.size // a) for b in self.bufs]
        self.first = [b.first for b in self.bufs]
        self.last = [b.last for b in self.bufs]
        self.conf: list[list[int]] = [[] for _ in range(n)]
        self.sep: list[dict[int, int]] = [{} for _ in range(n)]
        order = sorted(range(n), key=lambda i: (self.first[i], i))
        for x, i in enumerate(order):
            for j in order[x + 1:]:
                if self.first[j] > self.last[i]:
                    break
                self.conf[i].append(j)
                self.conf[j].append(i)
        for i in range(n):
            self.conf[i].sort()
            for j in self.conf[i]:
                g = gaps.get((self.bufs[i].id, self.bufs[j].id))
                self.sep[i][j] = self.u[i] if g is None else min(self.u[i], -(-g // a))
        # maximal cliques of an interval graph: the live set at a first use, unless every buffer
        # in it is still live at the next first use (then it is contained in that one)
        starts = sorted({self.first[i] for i in range(n)})
        self.sections: list[list[int]] = []
        for k, t in enumerate(starts):
            live = [i for i in order if self.first[i] <= t <= self.last[i]]
            nxt = starts[k + 1] if k + 1 < len(starts) else None
            if nxt is None or any(self.last[i] < nxt for i in live):
                self.sections.append(sorted(live))
        # per section: the least each member adds to a stack when it is not the topmost (its
        # smallest separation to another member), and the least the topmost adds on top of that
        self.sec_p: list[dict[int, int]] = []
        self.sec_extra: list[int] = []
        for sec in self.sections:
            p = {i: min([self.sep[i][j] for j in sec if j != i] + [self.u[i]]) for i in sec}
            self.sec_p.append(p)
            self.sec_extra.append(min(self.u[i] - p[i] for i in sec))
        self.lower_bound = max((sum(p.values()) + e for p, e in zip(self.sec_p, self.sec_extra)), default=0)

    def placement(self, units: list[int], name: str, t0: float, proven: bool = False, nodes: int = 0,
                  stopped: str = "") -> Placement:
        a = self.alignment
        offsets = {b.id: 0 for b in self.all}
        for i, b in enumerate(self.bufs):
            offsets[b.id] = units[i] * a
        arena = self.arena_units(units)
        proven = proven or arena <= self.lower_bound
        if arena <= self.lower_bound and not stopped:
            stopped = "bound"
        return Placement(offsets, planner=name, arena_bytes=arena * a, lower_bound_bytes=self.lower_bound * a,
                         proven_optimal=proven, seconds=time.perf_counter() - t0, nodes=nodes, stopped=stopped)

    def arena_units(self, units: list[int]) -> int:
        return max((units[i] + self.u[i] for i in range(self.n)), default=0)

    # -- greedy: each buffer at the lowest offset where it fits beside those already placed --------
    def lowest_fit(self, order: Sequence[int]) -> list[int]:
        off = [-1] * self.n
        for b in order:
            forbidden = []
            for j in self.conf[b]:
                if off[j] >= 0:
                    # b may not start strictly inside (off_j - sep(b, j), off_j + sep(j, b))
                    forbidden.append((off[j] - self.sep[b][j], off[j] + self.sep[j][b]))
            forbidden.sort()
            x = 0
            for lo, hi in forbidden:
                if lo >= x:
                    break
                if hi > x:
                    x = hi
            off[b] = x
        return off

    def heuristic_orders(self) -> list[tuple[str, list[int]]]:
        u, f, l, conf = self.u, self.first, self.last, self.conf
        idx = range(self.n)
        return [
            ("size", sorted(idx, key=lambda i: (-u[i], f[i], i))),  # TFLM's order
            ("first_use", sorted(idx, key=lambda i: (f[i], -u[i], i))),
            ("lifetime", sorted(idx, key=lambda i: (-(l[i] - f[i]), -u[i], i))),
            ("area", sorted(idx, key=lambda i: (-u[i] * (l[i] - f[i] + 1), f[i], i))),
            ("neighbourhood", sorted(idx, key=lambda i: (-(u[i] + sum(u[j] for j in conf[i])), -u[i], i))),
            ("last_use", sorted(idx, key=lambda i: (-l[i], -u[i], i))),
        ]

    def best_heuristic(self) -> list[int]:
        best, best_arena = [0] * self.n, None
        for _name, order in self.heuristic_orders():
            off = self.lowest_fit(order)
            a = self.arena_units(off)
            if best_arena is None or a < best_arena:
                best, best_arena = off, a
                if a <= self.lower_bound:
                    break
        return best

    # -- branch and bound --------------------------------------------------------------------------
    def branch_and_bound(self, units: list[int], node_limit: int, deadline: float) -> tuple[list[int], str, int]:
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

    # -- mixed-integer program (HiGHS) -------------------------------------------------------------
    def solve_milp(self, units: list[int], deadline: float, node_limit: int | None) -> tuple[list[int], bool, str, int]:
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
        opts: dict = {"time_limit": remaining, "disp": False, "mip_rel_gap": 0.0}
        if node_limit is not None:
            opts["node_limit"] = int(node_limit)
        res = scipy_milp(c, constraints=cons, integrality=np.ones(nv), bounds=Bounds(lb_v, ub_v), options=opts)
        nodes = int(getattr(res, "mip_node_count", 0) or 0)
        if res.status == 2:  # infeasible: nothing beats `units`
            return units, True, "exhausted", nodes
        best = units
        if res.x is not None:
            cand = self._from_orders(pairs, res.x[n + 1:])
            if cand is not None and self.arena_units(cand) < self.arena_units(units):
                best = cand
        if res.status == 0:
            return best, True, "exhausted", nodes
        if res.status == 1:
            return best, False, "time_limit", nodes
        msg = str(getattr(res, "message", "")).lower()
        # HiGHS reports its node limit as "node limit" or "solution limit" depending on the version
        return best, False, "node_limit" if ("node" in msg or "solution limit" in msg) else f"solver: {msg}", nodes

    def _from_orders(self, pairs: list[tuple[int, int]], z) -> list[int] | None:
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

    def __init__(self, prob: _Problem, node_limit: int, deadline: float) -> None:
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


# -- planners ------------------------------------------------------------------------------------

@planner("naive")
def naive(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = ()) -> Placement:
    """Every buffer gets its own bytes (no reuse). For debugging."""
    t0 = time.perf_counter()
    prob = _Problem(buffers, alignment, overlaps)
    units, off = [], 0
    for i in range(prob.n):
        units.append(off)
        off += prob.u[i]
    return prob.placement(units, "naive", t0)


@planner("greedy")
def greedy_by_size(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = ()) -> Placement:
    """TFLM's GreedyMemoryPlanner: largest buffers first, each at the lowest offset where it fits
    beside the already placed buffers whose lifetimes intersect its own (overlap rules honoured)."""
    t0 = time.perf_counter()
    prob = _Problem(buffers, alignment, overlaps)
    return prob.placement(prob.lowest_fit(prob.heuristic_orders()[0][1]), "greedy", t0)


@planner("heuristic")
def best_heuristic(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = ()) -> Placement:
    """The best of several greedy orders (size, first use, lifetime, size x lifetime, ...)."""
    t0 = time.perf_counter()
    prob = _Problem(buffers, alignment, overlaps)
    return prob.placement(prob.best_heuristic(), "heuristic", t0)


@planner("bnb")
def branch_and_bound(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (), *,
                     time_limit: float = DEFAULT_TIME_LIMIT, node_limit: int = BNB_NODES) -> Placement:
    """Heuristics, then the pure-Python branch and bound alone."""
    t0 = time.perf_counter()
    prob = _Problem(buffers, alignment, overlaps)
    units, stopped, nodes = prob.branch_and_bound(prob.best_heuristic(), node_limit, t0 + time_limit)
    return prob.placement(units, "bnb", t0, proven=stopped in ("bound", "exhausted"), nodes=nodes, stopped=stopped)


@planner("milp")
def milp(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (), *,
         time_limit: float = DEFAULT_TIME_LIMIT, node_limit: int | None = None) -> Placement:
    """Heuristics, then HiGHS alone."""
    t0 = time.perf_counter()
    prob = _Problem(buffers, alignment, overlaps)
    units = prob.best_heuristic()
    units, proven, stopped, nodes = prob.solve_milp(units, t0 + time_limit, node_limit)
    return prob.placement(units, "milp", t0, proven=proven, nodes=nodes, stopped=stopped)


@planner("exact")
def exact(buffers: list[Buffer], alignment: int, overlaps: Sequence[Overlap] = (), *,
          time_limit: float = DEFAULT_TIME_LIMIT, bnb_nodes: int = EXACT_BNB_NODES,
          milp_nodes: int | None = EXACT_MILP_NODES) -> Placement:
    """The smallest arena: heuristics, a short branch and bound, then HiGHS, until proven optimal
    or out of budget (then the best placement found, with proven_optimal=False)."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    prob = _Problem(buffers, alignment, overlaps)
    units = prob.best_heuristic()
    # the branch and bound gets a quarter of the time: it settles small problems, HiGHS the rest
    units, stopped, nodes = prob.branch_and_bound(units, bnb_nodes, t0 + time_limit * EXACT_BNB_TIME_SHARE)
    if stopped in ("bound", "exhausted"):
        return prob.placement(units, "exact", t0, proven=True, nodes=nodes, stopped=stopped)
    units, proven, stopped, more = prob.solve_milp(units, deadline, milp_nodes)
    return prob.placement(units, "exact", t0, proven=proven, nodes=nodes + more, stopped=stopped)
