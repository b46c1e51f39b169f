"""Choosing the patch stage: how many operators (K) and which grid.

For every valid stage length K and grid (up to 8 x 8 patches), the peak memory is estimated from
the geometry alone (patch buffers sized for the largest patch, the stage input and output whole,
the stage output allowed to overlap the consumed input), and the memory of the rest of the model
from planning it (once per K). With a MAC-overhead limit the search returns the candidate with the
least peak (ties: least overhead); with an SRAM budget, the least overhead among candidates that
fit (or the least peak if none does).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

from ..geometry import Region
from ..ir import Graph, Op, Target, Tensor
from ..memory import (
    MemoryOptions,
    MemoryProblem,
    StepMemory,
    memory_options,
    plan_memory,
)
from ..memory.planners import align_up
from ..memory.variants import choose_variants
from ..ops import op_def
from ..options import CompileOptions
from .lower import output_gap
from .stage import NotPatchable, PatchStage, make_stage, region_bytes, stage_candidates

MAX_GRID = 8


@dataclass
class Candidate:
    k: int
    grid: tuple[int, int]
    peak_bytes: int
    stage_bytes: int
    rest_bytes: int
    mac_overhead: float


def parse_spec(spec: str) -> tuple[int, tuple[int, int]]:
    """'K:NxM' -> (K, (N, M))."""
    try:
        k_s, g_s = spec.split(":")
        n_s, m_s = g_s.lower().split("x")
        k, n, m = int(k_s), int(n_s), int(m_s)
    except ValueError:
        raise ValueError(f"--patches {spec!r}: expected off, auto or K:NxM (e.g. 5:3x3)") from None
    if k < 1 or n < 1 or m < 1:
        raise ValueError(f"--patches {spec!r}: K, N and M must be positive")
    return k, (n, m)


def total_macs(ops: Sequence[Op]) -> int:
    return sum(op_def(op).macs(op) for op in ops)


def arena_of(ops: Sequence[Op], inputs: Sequence[Tensor], outputs: Sequence[Tensor], options: CompileOptions,
             target: Target, search: bool = True) -> int:
    """Arena of the lowered operators `ops` run layer by layer, with the kernel variants the
    memory_opt pass would choose (the operators are not changed): the measure of a candidate."""
    mem = memory_options(options)
    choice = choose_variants(ops, inputs, outputs, target, mem, inplace=options.inplace, overlap=options.overlap,
                             search=search)
    return plan_memory(MemoryProblem.of(ops, inputs, outputs, choice.kernels), mem).arena_bytes


def rest_arena(graph: Graph, k: int, options: CompileOptions, target: Target) -> int:
    """Arena of the model after a stage of k operators (the stage output is its input)."""
    out = graph.ops[k - 1].outputs[0]
    if k >= len(graph.ops):
        return out.nbytes
    return arena_of(graph.ops[k:], [out], graph.outputs, replace(options, planner="heuristic"), target, search=False)


def _estimate_crop_bytes(stage: PatchStage, j: int, op: Op, ext: set[int]) -> int:
    """Bytes of the dense copies an operator's inputs may need (counted at it): an input whose
    buffer holds more than the region the operator reads, unless the operator places regions."""
    d = op_def(op)
    if d.places_regions:
        return 0
    n = 0
    for i, t in enumerate(op.inputs):
        if t is None or t.is_const or t is stage.output:
            continue
        most = 0
        for p in stage.patches:
            need = d.input_regions(op, p.regions[id(op.outputs[0])])[i]
            if need is None:
                continue
            have = Region.full(t.shape, need.axes) if id(t) in ext else p.regions[id(t)]
            if have != need:
                most = max(most, region_bytes(t, need))
        n += most
    return n


def stage_estimate(stage: PatchStage, alignment: int, io_in_arena: bool = True) -> int:
    """Bytes the stage needs, from its geometry alone: the patch buffers (each sized for the
    largest patch, planned by lifetime; the patch's copy of the output region included), the stage
    input and the stage output (which may overlap the consumed input). Both parts are planned by
    the memory planning service."""
    ext = {id(t) for t in stage.external}
    env: dict[int, Tensor] = {}
    for t in stage.local + [stage.output]:
        env[id(t)] = Tensor(name=t.name, shape=(stage.local_bytes(t),), dtype="int8")
    ops, steps = [], []
    for j, op in enumerate(stage.ops):
        ins = [env.get(id(t)) for t in op.inputs if t is not None and id(t) in env]
        ops.append(Op(kind=op.kind, inputs=ins, outputs=[env[id(op.outputs[0])]]))
        steps.append(StepMemory(scratch=_estimate_crop_bytes(stage, j, op, ext)))
    ops.append(Op(kind="TG_COPY_REGION", inputs=[env[id(stage.output)]], outputs=[]))
    steps.append(StepMemory())
    local = plan_memory(MemoryProblem(ops=ops, inputs=[], outputs=[], steps=steps),
                        MemoryOptions(alignment=alignment, planner="greedy", check=False))
    scratch = align_up(local.arena_bytes, alignment)
    # the stage as one operator: input(s), output (overlapping the input by the output gap), scratch
    gap = output_gap(stage)
    y = stage.output
    overlap = ((0, 0, gap),) if gap is not None and gap <= y.nbytes else ()
    stage_op = Op(kind="TG_PATCH_STAGE", inputs=list(stage.external), outputs=[y])
    sink = Op(kind="(rest of the model)", inputs=[y], outputs=[])
    problem = MemoryProblem(ops=[stage_op, sink], inputs=list(stage.external), outputs=[],
                            steps=[StepMemory(scratch=scratch, overlap=overlap), StepMemory()])
    return plan_memory(problem, MemoryOptions(alignment=alignment, io_in_arena=io_in_arena, planner="heuristic",
                                              check=False)).arena_bytes


def search(graph: Graph, options: CompileOptions, target: Target, base_arena: int,
           sram_budget: int | None = None) -> tuple[Candidate | None, list[Candidate]]:
    """The best stage: with `sram_budget`, the least MAC overhead among candidates that fit it
    (else the least peak); without, the least peak (None when no candidate beats `base_arena`)."""
    total = max(1, total_macs(graph.ops))
    rest_cache: dict[int, int] = {}
    found: list[Candidate] = []
    ks = stage_candidates(graph)
    grids = sorted({(ny, nx) for ny in range(1, MAX_GRID + 1) for nx in range(1, MAX_GRID + 1)} - {(1, 1)})
    for grid in grids:
        over = 0  # overhead grows with K: stop a grid after two stage lengths over the limit
        for k in ks:
            out = graph.ops[k - 1].outputs[0]
            h, w = out.shape[1], out.shape[2]
            if h * w < 4 or grid[0] > h or grid[1] > w:
                continue
            try:
                st = make_stage(graph, k, grid)
            except NotPatchable:
                continue
            pm, lm = st.macs()
            overhead = (pm - lm) / total
            if overhead > options.max_overhead:
                over += 1
                if over >= 2:
                    break
                continue
            over = 0
            if k not in rest_cache:
                rest_cache[k] = rest_arena(graph, k, options, target)
            sb = stage_estimate(st, options.alignment, options.io_in_arena)
            found.append(Candidate(k=k, grid=st.grid, peak_bytes=max(sb, rest_cache[k]), stage_bytes=sb,
                                   rest_bytes=rest_cache[k], mac_overhead=overhead))
    if not found:
        return None, found
    if sram_budget:
        fits = [c for c in found if c.peak_bytes <= sram_budget]
        if fits:
            best = min(fits, key=lambda c: (c.mac_overhead, c.peak_bytes, c.k, c.grid))
            return best, found
    best = min(found, key=lambda c: (c.peak_bytes, c.mac_overhead, c.k, c.grid))
    if best.peak_bytes >= base_arena:
        return None, found  # patches do not help this model
    return best, found
