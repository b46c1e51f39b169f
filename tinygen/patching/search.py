"""Choosing the patch stage: how many operators (K) and which grid.

For every valid stage length K and grid (up to 8 x 8 patches), the peak memory is estimated from
the geometry alone (patch buffers sized for the largest patch, the stage input and output whole,
the stage output allowed to overlap the consumed input), and the memory of the rest of the model
from planning it (once per K). With a MAC-overhead limit the search returns the candidate with the
least peak (ties: least overhead); with an SRAM budget, the least overhead among candidates that
fit (or the least peak if none does).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from ..ir import Graph
from ..memory.liveness import Buffer
from ..memory.planners import Overlap, align_up, get_planner
from ..ops import get_op_def
from .lower import WINDOW_KINDS, output_gap
from .regions import Region
from .stage import NotPatchable, PatchStage, make_stage, stage_candidates

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


def total_macs(graph: Graph) -> int:
    return sum(get_op_def(op.kind).macs(op) for op in graph.ops)


def plan_ops(graph: Graph, ops, inputs, options, search: bool = True) -> int:
    """Arena of `ops` (copies; the graph is not changed) run layer by layer with the memory
    passes of the pipeline: the measure of a candidate schedule."""
    from ..passes import memory_opt, plan_memory, prepare

    copies = []
    for op in ops:
        c = copy.copy(op)
        c.notes = dict(op.notes)
        copies.append(c)
    g = Graph(name=graph.name, ops=copies, inputs=list(inputs), outputs=list(graph.outputs), meta={})
    opts = replace(options, patches="off")
    g = memory_opt.run(g, opts, search=search)
    g = prepare.run(g, opts)
    g = plan_memory.run(g, opts)
    return g.meta["memory_plan"].arena_bytes


def rest_arena(graph: Graph, k: int, options) -> int:
    """Arena of the model after a stage of k operators (the stage output is its input)."""
    out = graph.ops[k - 1].outputs[0]
    if k >= len(graph.ops):
        return out.nbytes
    return plan_ops(graph, graph.ops[k:], [out], replace(options, planner="heuristic"), search=False)


def stage_estimate(stage: PatchStage, alignment: int, io_in_arena: bool = True) -> int:
    """Bytes the stage needs: patch buffers (planned by lifetime, largest patch), the stage input
    and the stage output (which may overlap the consumed input)."""
    pos_of = {id(op.outputs[0]): j for j, op in enumerate(stage.ops)}
    last = {}
    for j, op in enumerate(stage.ops):
        for t in op.inputs:
            if t is not None and id(t) in pos_of:
                last[id(t)] = j
    bufs = []
    for t in stage.local:
        bufs.append(Buffer(id=f"l{len(bufs)}", size=stage.local_bytes(t), first=pos_of[id(t)],
                           last=last.get(id(t), pos_of[id(t)])))
    y = stage.output
    bufs.append(Buffer(id="out", size=stage.local_bytes(y), first=len(stage.ops) - 1, last=len(stage.ops)))
    # crops of elementwise inputs (counted at their operator)
    ext = {id(t) for t in stage.external}
    for j, op in enumerate(stage.ops):
        if op.kind in WINDOW_KINDS:
            continue
        for t in op.inputs:
            if t is not None and not t.is_const and t is not y:
                have = (lambda p: Region.full(t.shape)) if id(t) in ext else (lambda p: p.regions[id(t)])
                if any(have(p) != p.regions[id(op.outputs[0])] for p in stage.patches):
                    bufs.append(Buffer(id=f"c{len(bufs)}", size=stage.local_bytes(op.outputs[0]), first=j, last=j))
    scratch = 0
    if bufs:
        pl = get_planner("greedy")(bufs, alignment, [])
        scratch = align_up(max(pl[b.id] + b.size for b in bufs), alignment)
    # global: input, output (overlapping the input by the output gap), scratch
    x_bytes = sum(t.nbytes for t in stage.external) if io_in_arena else 0
    y_bytes = y.nbytes
    gap = output_gap(stage)
    gb = [Buffer(id="x", size=x_bytes, first=0, last=0), Buffer(id="y", size=y_bytes, first=0, last=1),
          Buffer(id="s", size=scratch, first=0, last=0)]
    rules = [Overlap(below="y", above="x", gap=gap)] if gap is not None and gap <= y_bytes else []
    pl = get_planner("heuristic")(gb, alignment, rules)
    return pl.arena_bytes


def search(graph: Graph, options, base_arena: int) -> tuple[Candidate | None, list[Candidate]]:
    total = max(1, total_macs(graph))
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
                rest_cache[k] = rest_arena(graph, k, options)
            sb = stage_estimate(st, options.alignment, options.io_in_arena)
            found.append(Candidate(k=k, grid=st.grid, peak_bytes=max(sb, rest_cache[k]), stage_bytes=sb,
                                   rest_bytes=rest_cache[k], mac_overhead=overhead))
    if not found:
        return None, found
    if options.sram_budget:
        fits = [c for c in found if c.peak_bytes <= options.sram_budget]
        if fits:
            best = min(fits, key=lambda c: (c.mac_overhead, c.peak_bytes, c.k, c.grid))
            return best, found
    best = min(found, key=lambda c: (c.peak_bytes, c.mac_overhead, c.k, c.grid))
    if best.peak_bytes >= base_arena:
        return None, found  # patches do not help this model
    return best, found
