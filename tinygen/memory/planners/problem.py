"""The placement problem in alignment units: buffers, conflicts, separations, the lower bound,
and the greedy heuristics every planner starts from."""

from __future__ import annotations

import time
from typing import Iterable, Sequence

from ..liveness import Buffer
from .base import Overlap, Placement, PlanError, _rule_gaps


class Problem:
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
