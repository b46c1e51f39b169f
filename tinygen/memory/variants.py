"""Choosing kernel variants for memory: in place or partial overlap, per operator.

Two tools let an output reuse the memory of an input that dies at the same operator:
- an in-place variant (OpDef.inplace_variant: e.g. the depthwise convolution that writes its output
  over its input one channel at a time through a small scratch buffer, after MCUNet/TinyEngine):
  input and output become one buffer;
- partial overlap (vMCU): the output may start a few bytes below its input (Kernel.overlap, from
  the kernel's raster write order, see tinygen.geometry); the planner decides whether to use it.
In place merges an input and output into one buffer, which couples their lifetimes, while the
overlap rule keeps them apart; which is better depends on the neighbours. So three global choices
are planned (cheapest locally, overlap wherever possible, in place wherever possible), the best is
kept, and then single operators are flipped where that shrinks the arena. Every trial is a call of
the memory planning service with a different kernel per operator; the operators are not changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..ir import Kernel, Op, Target, Tensor
from ..ops import op_def
from .liveness import MemoryProblem, alias_root_map
from .plan import MemoryOptions, plan_memory

#: at most this many operators with both choices are searched globally (else: local choice)
MAX_SEARCHED = 64


@dataclass(frozen=True)
class VariantChoice:
    """The kernel of every operator (by id(op)) and what the search compared."""

    kernels: dict[int, Kernel]
    #: positions of the operators that could run either way (in place, or with partial overlap)
    searched: tuple[int, ...] = ()

    def inplace_positions(self, ops: Sequence[Op]) -> list[int]:
        return [p for p, op in enumerate(ops) if self.kernels[id(op)].inplace]


def _last_uses(problem: MemoryProblem) -> dict[int, int]:
    """id(root tensor) -> the last position reading it (outputs: past the end)."""
    roots = alias_root_map(problem)
    last: dict[int, int] = {}
    for pos, op in enumerate(problem.ops):
        for t in op.inputs:
            if t is not None and not t.is_static:
                r = roots.get(id(t), t)
                last[id(r)] = max(last.get(id(r), -1), pos)
    for t in problem.outputs:
        r = roots.get(id(t), t)
        last[id(r)] = len(problem.ops)
    return last


def _input_dies_here(problem: MemoryProblem, pos: int, io_in_arena: bool, roots, last) -> bool:
    """Input 0 of problem.ops[pos] may be overwritten: not a constant, read for the last time here,
    and not the caller's (const) buffer."""
    x = problem.ops[pos].inputs[0]
    r = roots.get(id(x), x)
    if r.is_static or last.get(id(r)) != pos:
        return False
    return not (problem.is_input(r) and not io_in_arena)


def leanest(op: Op) -> Kernel:
    """The operator's kernel with the least scratch (its last variant)."""
    if op.kernel is None:
        raise RuntimeError(f"{op.label} was not lowered")
    return op.variants[-1] if op.variants else op.kernel


def choose_variants(ops: Sequence[Op], inputs: Sequence[Tensor], outputs: Sequence[Tensor], target: Target,
                    memory: MemoryOptions, inplace: bool = True, overlap: bool = True,
                    search: bool = True) -> VariantChoice:
    """The kernel of every operator: in place or partial overlap for the smallest arena, planned
    with every operator's leanest variant (least scratch); then, operator by operator (the most
    multiply-accumulates first), the fastest variant (Op.variants) that keeps that arena.
    `search=False` keeps the leanest variants and the locally cheapest in-place choice (fast; for
    estimates)."""
    choice = _choose_memory_layout(ops, inputs, outputs, target, memory, inplace, overlap, search)
    if not search:
        return choice
    return _upgrade_to_faster(ops, inputs, outputs, memory, overlap, choice)


def _upgrade_to_faster(ops, inputs, outputs, memory: MemoryOptions, overlap: bool,
                       choice: VariantChoice) -> VariantChoice:
    kernels = dict(choice.kernels)
    candidates = [op for op in ops if len(op.variants) > 1 and not kernels[id(op)].inplace]
    if not candidates:
        return choice

    def arena(ks: dict[int, Kernel]) -> int:
        return plan_memory(MemoryProblem.of(ops, inputs, outputs, ks), replace(memory, check=False)).arena_bytes

    def usable(k: Kernel) -> Kernel:
        return k if overlap or not k.overlap else replace(k, overlap=())

    limit = arena(kernels)
    for op in sorted(candidates, key=lambda o: -op_def(o).macs(o)):
        for k in op.variants[:-1]:  # fastest first; the last (leanest) is the current choice
            trial = dict(kernels)
            trial[id(op)] = usable(k)
            if arena(trial) <= limit:
                kernels = trial
                break
    return VariantChoice(kernels, choice.searched)


def _choose_memory_layout(ops, inputs, outputs, target: Target, memory: MemoryOptions, inplace: bool,
                          overlap: bool, search: bool) -> VariantChoice:
    base: dict[int, Kernel] = {}
    for op in ops:
        k = leanest(op)
        base[id(op)] = k if overlap or not k.overlap else replace(k, overlap=())
    if not inplace:
        return VariantChoice(base)
    problem = MemoryProblem.of(ops, inputs, outputs, base)
    roots, last = alias_root_map(problem), _last_uses(problem)
    chosen = dict(base)
    both: dict[int, tuple[Kernel, Kernel]] = {}  # pos -> (in-place kernel, overlap kernel)
    for pos, op in enumerate(ops):
        if not _input_dies_here(problem, pos, memory.io_in_arena, roots, last):
            continue
        ik = op_def(op).inplace_variant(op, target)
        if ik is None:
            continue
        k = base[id(op)]
        gap = min((g for i, _, g in k.overlap if i == 0), default=None)
        chosen[id(op)] = ik if gap is None or ik.scratch_bytes < gap else k
        if k.overlap:
            both[pos] = (ik, k)
    if not (search and both and len(both) <= MAX_SEARCHED):
        return VariantChoice(chosen, tuple(both))

    def arena(kernels: dict[int, Kernel], planner: str) -> int:
        p = MemoryProblem.of(ops, inputs, outputs, kernels)
        return plan_memory(p, replace(memory, planner=planner, check=False)).arena_bytes

    def config(pick) -> dict[int, Kernel]:
        k = dict(chosen)
        for pos, (ik, ok) in both.items():
            k[id(ops[pos])] = pick(pos, ik, ok)
        return k

    configs = [dict(chosen), config(lambda p, ik, ok: ok), config(lambda p, ik, ok: ik)]
    results = [arena(c, "exact") for c in configs]
    best_cfg = configs[min(range(len(configs)), key=lambda i: (results[i], i))]
    best = arena(best_cfg, "heuristic")
    for pos, (ik, ok) in both.items():
        op = ops[pos]
        trial = dict(best_cfg)
        trial[id(op)] = ok if best_cfg[id(op)] is ik else ik
        a = arena(trial, "heuristic")
        if a < best:
            best, best_cfg = a, trial
    return VariantChoice(best_cfg, tuple(both))


__all__ = ["VariantChoice", "choose_variants"]
