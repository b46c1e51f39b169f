"""Pass `patch`: run the first K operators patch by patch (MCUNetV2), when asked.

options.patches: "off"; "K:NxM" (forced: stage of K operators, N x M grid); "auto" (searched, see
tinygen.patching.search). The stage's operators are replaced by one TG_PATCH_STAGE operator that
holds the per-patch operator sequence and its memory plan (tinygen.patching.lower).
"""

from __future__ import annotations

import time

from ..errors import TinygenError
from ..ir import Graph, Op
from ..patching.lower import build_patch_plan
from ..patching.search import parse_spec, plan_ops, search, total_macs
from ..patching.stage import NotPatchable, make_stage


def run(graph: Graph, options) -> Graph:
    spec = (options.patches or "off").strip().lower()
    if spec in ("off", "none", "no"):
        return graph
    t0 = time.perf_counter()
    base = plan_ops(graph, graph.ops, graph.inputs, options)  # the arena without patches
    info: dict = dict(requested=spec, peak_without_patches_bytes=base)
    if spec == "auto":
        if options.sram_budget and base <= options.sram_budget:
            info.update(applied=False, reason=f"fits the SRAM budget without patches ({base} B)")
            graph.meta["patch_stage"] = info
            return graph
        best, found = search(graph, options, base)
        info["candidates"] = len(found)
        if best is None:
            info.update(applied=False, reason="no patch stage lowers the peak within the MAC-overhead limit "
                                              f"({options.max_overhead:.0%})")
            graph.meta["patch_stage"] = info
            return graph
        k, grid = best.k, best.grid
    else:
        try:
            k, grid = parse_spec(spec)
        except ValueError as e:
            raise TinygenError(str(e)) from None
    try:
        stage = make_stage(graph, k, grid)
    except NotPatchable as e:
        raise TinygenError(f"--patches {k}:{grid[0]}x{grid[1]}: the first {k} operators cannot run as a patch "
                           f"stage: {e}") from None
    plan = build_patch_plan(stage, options.alignment, "heuristic" if options.planner == "exact" else options.planner)
    op = Op(kind="TG_PATCH_STAGE", inputs=list(stage.external), outputs=[stage.output], attrs=plan)
    graph.ops = [op] + graph.ops[k:]
    pm, lm = plan.macs
    info.update(applied=True, k=k, grid=list(stage.grid), patches=len(stage.patches),
                stage_macs=pm, stage_macs_layer_by_layer=lm, model_macs=total_macs(graph) - pm + lm,
                mac_overhead_percent=100.0 * (pm - lm) / max(1, total_macs(graph) - pm + lm),
                patch_buffers_bytes=plan.scratch_bytes, output_gap_bytes=plan.output_gap,
                search_seconds=round(time.perf_counter() - t0, 3))
    graph.meta["patch_stage"] = info
    return graph
