"""The compiler, pass by pass: every pass and its typed result, in order, on one screen."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph, Target
from ..memory import MemoryPlan
from ..memory.variants import VariantChoice
from ..options import CompileOptions
from . import check, fold_pad, lower, memory_opt, patch, place_float_io, plan_memory, remove_noops, schedule, validate
from .fold_pad import FoldPadResult
from .patch import PatchResult
from .place_float_io import PlaceFloatIOResult
from .remove_noops import RemoveNoopsResult
from .schedule import ScheduleResult


@dataclass
class Compilation:
    """The graph and every pass's result (what code generation and the reports read)."""

    graph: Graph
    options: CompileOptions
    target: Target
    noops: RemoveNoopsResult | None = None
    float_io: PlaceFloatIOResult | None = None
    pads: FoldPadResult | None = None
    schedule: ScheduleResult | None = None
    patches: PatchResult | None = None
    variants: VariantChoice | None = None
    plan: MemoryPlan | None = None


def run_pipeline(graph: Graph, options: CompileOptions) -> Compilation:
    # optimize="size": the portable kernels on any core (the least flash and stack)
    c = Compilation(graph=graph, options=options, target=Target(None if options.optimize == "size" else options.cpu))
    check.run(graph)                                        # refuse unsupported ops/types/shapes, before any C
    validate.run(graph)                                     # IR invariants (topological order, single writer)
    if options.remove_noops:
        c.noops = remove_noops.run(graph)                   # identity RESHAPE/QUANTIZE/CONCATENATION/PAD...
    if options.place_float_io:
        c.float_io = place_float_io.run(graph)              # QUANTIZE early, DEQUANTIZE late (int8 layout ops)
    if options.fold_pad:
        c.pads = fold_pad.run(graph)                        # PAD into CONV/DEPTHWISE/MAX_POOL (explicit padding)
    validate.run(graph)                                     # the optimized graph keeps the invariants
    lower.run(graph, c.target)                              # kernel variant and arguments of every operator
    c.schedule = schedule.run(graph, options)               # execution order with the least peak memory
    c.patches = patch.run(graph, options, c.target)         # patch-based first stage (MCUNetV2), when asked
    c.variants = memory_opt.run(graph, options, c.target)   # in-place / partial-overlap variants
    c.plan = plan_memory.run(graph, options)                # lifetimes, scratch, arena offsets
    if c.patches is not None:
        c.patches = c.patches.planned(c.plan)
    return c
