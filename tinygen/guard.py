"""Arena guard: catches a kernel that writes outside its buffers inside the single arena, where
AddressSanitizer cannot see it (the whole arena is one valid object to it).

A guard build (CompileOptions(guard=16), `tinygen check --guard`) plans every buffer with canary
bytes below and above it (tinygen.memory.plan_memory; the planned overlaps still apply to the
data, so an output may still start inside its dying input, and no canary is expected where the
planner lets them share bytes). The generated code reports the arena's address before the first
operator and calls TG_TRACE after every operator; the host build's hooks call this checker:

- before operator k runs, every arena byte that holds no live data at k (canaries, gaps, dead
  buffers) is *armed*: painted with a known pattern (bytes already armed keep theirs);
- after it ran, every armed byte must still hold the pattern, else operator k wrote out of bounds.
  The error names the operator, the arena offset and the nearest buffer (which tensor's end or
  start the write went past).

Live data at k: the buffers whose lifetime covers k (inputs still to be read, the operator's
outputs and scratch, outputs of the model). A patch stage's scratch space holds its patch buffers,
planned with canaries too: only those buffers count as data there. Operators without code
(aliases) write nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .sanitize import quote_name

if TYPE_CHECKING:  # pragma: no cover
    from .compiler import CompiledModel

#: default canary bytes on each side of every buffer (rounded up to the arena alignment)
DEFAULT_GUARD = 16


def _pattern(n: int) -> np.ndarray:
    """A position-dependent byte pattern (a kernel writing constant or computed values is unlikely
    to reproduce it over several bytes)."""
    i = np.arange(n, dtype=np.uint32)
    return (((i * 2654435761) >> 13) ^ 0xA5).astype(np.uint8)


class ArenaGuard:
    """The canary checker of one guard-compiled model (one run at a time)."""

    def __init__(self, cm: "CompiledModel") -> None:
        plan = cm.plan
        if plan.guard <= 0:
            raise ValueError(f"{cm.name} was not compiled with a guard (CompileOptions.guard)")
        self.cm = cm
        self.n = plan.arena_bytes
        self.ops = plan.ops
        self.pattern = _pattern(self.n)
        #: per operator position: (start, end, what) of the data live there
        self.ranges: list[list[tuple[int, int, str]]] = [[] for _ in range(len(self.ops))]
        for b in plan.buffers:
            if b.size <= 0:
                continue
            lo = plan.offsets[b.id]
            if b.kind == "scratch":
                what = f"the scratch buffer of {b.op.kind if b.op is not None else 'an operator'}"
            else:
                what = f"tensor {quote_name(b.tensors[0].name)}"
            spans = [(lo, lo + b.size, what)]
            inner = getattr(getattr(b.op, "attrs", None), "local_offsets", None) if b.kind == "scratch" else None
            if inner:  # a patch stage's scratch holds its own planned patch buffers, canaries between them
                spans = [(lo + o, lo + o + n, f"patch buffer {key} of {b.op.kind}") for key, (o, n) in inner.items()
                         if n > 0]
            for k in range(max(b.first, 0), min(b.last, len(self.ops) - 1) + 1):
                self.ranges[k].extend(spans)

        self.mem: np.ndarray | None = None
        self.armed: np.ndarray | None = None
        self.pos = -1
        self.violation: str | None = None
        #: operators checked in the last run
        self.checked = 0

    # -- hooks --------------------------------------------------------------------------------------
    def enter(self, mem: np.ndarray) -> None:
        """The arena (a writable uint8 view) before the first operator."""
        if mem.size != self.n:
            self.violation = f"the arena is {mem.size} bytes, the plan says {self.n}"
            return
        _ = self.cm.files  # code generation records which operators trace
        self.traced = sorted(set(self.cm.traced_ops))
        self.mem = mem
        self.armed = np.zeros(self.n, dtype=bool)
        self.pos = -1
        self.violation = None
        self.checked = 0
        self._arm_until(-1)

    def after(self, op_pos: int) -> None:
        """TG_TRACE of operator op_pos (called once per output: the first call checks). Operators
        in between without code (aliases) wrote nothing."""
        if self.mem is None or self.violation is not None or op_pos <= self.pos:
            return
        self._check(op_pos)
        if self.violation is not None:
            return
        self.checked += 1
        self.pos = op_pos
        self._arm_until(op_pos)

    # -- work ---------------------------------------------------------------------------------------
    def _free(self, k: int) -> np.ndarray:
        free = np.ones(self.n, dtype=bool)
        if 0 <= k < len(self.ranges):
            for lo, hi, _ in self.ranges[k]:
                free[lo:hi] = False
        return free

    def _arm_until(self, p: int) -> None:
        """Arm the bytes free at every position after p up to the next operator that traces (the
        operators that run before the next check)."""
        assert self.mem is not None and self.armed is not None
        nxt = next((q for q in self.traced if q > p), None)
        if nxt is None:
            self.armed[:] = False
            return
        free = np.ones(self.n, dtype=bool)
        for q in range(p + 1, nxt + 1):
            free &= self._free(q)
        new = free & ~self.armed
        self.mem[new] = self.pattern[new]
        self.armed = free

    def _check(self, q: int) -> None:
        assert self.mem is not None and self.armed is not None
        bad = np.flatnonzero(self.armed & (self.mem != self.pattern))
        if bad.size:
            self.violation = self._describe(q, bad)

    def _describe(self, q: int, bad: np.ndarray) -> str:
        op = self.ops[q]
        first, last = int(bad[0]), int(bad[-1])
        where = self._nearest(q, first)
        idx = "" if op.source_index is None else f" #{op.source_index}"
        return (f"arena guard: operator {op.kind}{idx} (position {q}) wrote {bad.size} bytes out of bounds, "
                f"arena offsets {first}..{last}{where}")

    def _nearest(self, q: int, offset: int) -> str:
        """Which data the write went past: the nearest span live at q."""
        best = None
        for lo, hi, what in self.ranges[q]:
            d = offset - hi if offset >= hi else lo - offset
            if best is None or d < best[0]:
                best = (d, what, offset >= hi, lo, hi)
        if best is None:
            return ""
        d, what, above, lo, hi = best
        if lo <= offset < hi:  # inside another live buffer's data cannot be armed; for completeness
            return f": inside {what}"
        op = self.ops[q]
        if what.startswith("tensor ") and any(what == f"tensor {quote_name(t.name)}" for t in op.outputs):
            what += " (this operator's output)"
        if above:
            return f": {'just' if d == 0 else f'{d} bytes'} past the end of {what}"
        return f": {d} bytes before the start of {what}"


__all__ = ["ArenaGuard", "DEFAULT_GUARD"]
