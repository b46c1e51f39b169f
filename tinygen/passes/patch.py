"""Pass `patch`: run the first K operators patch by patch (MCUNetV2), when asked.

options.patches: "off"; "K:NxM" (forced: stage of K operators, N x M grid); "min" (searched: the
least peak within the MAC-overhead limit); "auto" (searched: with an SRAM budget, the least
overhead that fits it; without one, as "min"). See tinygen.patching.search. The stage's operators
are replaced by one TG_PATCH_STAGE operator that holds the per-patch operator sequence, its
kernels and its memory plan (tinygen.patching.lower).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

from ..errors import TinygenError
from ..ir import Graph, Op, Target
from ..memory import MemoryPlan
from ..ops import op_def
from ..options import CompileOptions
from ..patching.lower import build_patch_plan
from ..patching.op import KIND
from ..patching.search import arena_of, parse_spec, search, total_macs
from ..patching.stage import NotPatchable, make_stage


@dataclass(frozen=True)
class PatchResult:
    """What the patch pass did, for reports (to_dict() is the JSON form)."""

    requested: str
    applied: bool
    #: the arena planned layer by layer (the same options, no patches)
    peak_without_patches_bytes: int
    reason: str = ""
    #: candidates the search measured (searched modes)
    candidates: int | None = None
    k: int | None = None
    grid: tuple[int, int] | None = None
    patches: int | None = None
    stage_macs: int | None = None
    stage_macs_layer_by_layer: int | None = None
    model_macs: int | None = None
    mac_overhead_percent: float | None = None
    patch_buffers_bytes: int | None = None
    output_gap_bytes: int | None = None
    search_seconds: float | None = None
    #: from the final memory plan (see planned())
    peak_with_patches_bytes: int | None = None
    stage_peak_bytes: int | None = None
    rest_peak_bytes: int | None = None

    def planned(self, plan: MemoryPlan) -> "PatchResult":
        """With the peaks of the final memory plan (the stage is operator 0)."""
        if not self.applied:
            return self
        return replace(self, peak_with_patches_bytes=plan.arena_bytes, stage_peak_bytes=plan.span_at(0),
                       rest_peak_bytes=max((plan.span_at(p) for p in range(1, len(plan.ops))), default=0))

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["grid"] is not None:
            d["grid"] = list(d["grid"])
        return {k: v for k, v in d.items() if v is not None or k in ("reason",)}


def run(graph: Graph, options: CompileOptions, target: Target) -> PatchResult | None:
    spec = (options.patches or "off").strip().lower()
    if spec in ("off", "none", "no"):
        return None
    t0 = time.perf_counter()
    unpatched = replace(options, patches="off")
    base = arena_of(graph.ops, graph.inputs, graph.outputs, unpatched, target)  # the arena without patches
    if spec in ("auto", "min"):
        budget = options.sram_budget if spec == "auto" else None
        if budget and base <= budget:
            return PatchResult(requested=spec, applied=False, peak_without_patches_bytes=base,
                               reason=f"fits the SRAM budget without patches ({base} B)")
        best, found = search(graph, options, target, base, sram_budget=budget)
        if best is None:
            return PatchResult(requested=spec, applied=False, peak_without_patches_bytes=base, candidates=len(found),
                               reason="no patch stage lowers the peak within the MAC-overhead limit "
                                      f"({options.max_overhead:.0%})")
        k, grid = best.k, best.grid
        n_candidates: int | None = len(found)
    else:
        try:
            k, grid = parse_spec(spec)
        except ValueError as e:
            raise TinygenError(str(e)) from None
        n_candidates = None
    try:
        stage = make_stage(graph, k, grid)
    except NotPatchable as e:
        raise TinygenError(f"--patches {k}:{grid[0]}x{grid[1]}: the first {k} operators cannot run as a patch "
                           f"stage: {e}") from None
    plan = build_patch_plan(stage, target, options.alignment, "heuristic" if options.planner == "exact" else options.planner,
                            guard=options.guard)
    op = Op(kind=KIND, inputs=list(stage.external), outputs=[stage.output], attrs=plan)
    op.kernel = op_def(op).lower(op, target)
    graph.ops = [op] + graph.ops[k:]
    pm, lm = plan.macs
    model_macs = total_macs(graph.ops) - pm + lm
    return PatchResult(requested=spec, applied=True, peak_without_patches_bytes=base, candidates=n_candidates, k=k,
                       grid=tuple(stage.grid), patches=len(stage.patches), stage_macs=pm, stage_macs_layer_by_layer=lm,
                       model_macs=model_macs, mac_overhead_percent=100.0 * (pm - lm) / max(1, model_macs),
                       patch_buffers_bytes=plan.scratch_bytes, output_gap_bytes=plan.output_gap,
                       search_seconds=round(time.perf_counter() - t0, 3))
