"""The memory report of a model (what `tinygen mem` prints and writes): its plan, what in-place
and partial overlap saved, the kernels chosen, and the patch stage when one was asked for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .compiler import CompiledModel, compile_model
from .memory.report import plan_report
from .options import CompileOptions


def model_memory_report(model, options=None) -> tuple[dict[str, Any], "CompiledModel", "CompiledModel | None"]:
    """Compile `model` and describe its memory: the plan report plus what in-place depthwise
    convolution and partial overlap saved (the arena planned without them), and the patch stage
    when one was asked for. Returns (report dict, CompiledModel, the CompiledModel without patches
    or None when no patch stage is used)."""
    options = options or CompileOptions()
    cm = compile_model(model, options)
    rep = plan_report(cm.plan, cm.schedule.summary() if cm.schedule is not None else None)
    plain = compile_model(model, replace(options, inplace=False, overlap=False, patches="off")).plan
    rep["without_inplace_and_overlap_bytes"] = plain.arena_bytes
    rep["saved_by_inplace_and_overlap_bytes"] = plain.arena_bytes - cm.plan.arena_bytes if cm.patches is None else None
    rep["gap_to_lower_bound_bytes"] = cm.plan.arena_bytes - cm.plan.lower_bound_bytes
    rep["state_bytes"] = cm.state_bytes
    rep["inplace_ops"] = [op.label for op in cm.graph.ops if op.kernel is not None and op.kernel.inplace]
    rep["overlapped_ops"] = sorted({r.below for r in cm.plan.overlaps})
    rep["kernels"] = [dict(op=pos, label=op.label, kernel=op.kernel.function, variant=op.kernel.variant,
                           scratch_bytes=op.kernel.scratch_bytes)
                      for pos, op in enumerate(cm.graph.ops) if op.kernel is not None]
    rep["graph_optimizations"] = {name: r.to_dict() for name, r in
                                  (("remove_noops", cm.noops), ("place_float_io", cm.float_io), ("fold_pad", cm.pads))
                                  if r is not None}
    rep["model"] = str(model) if not isinstance(model, (bytes, bytearray)) else cm.name
    unpatched = None
    if cm.patches is not None:
        rep["patches"] = cm.patches.to_dict()
        if cm.patches.applied:
            unpatched = compile_model(model, replace(options, patches="off"))
    return rep, cm, unpatched
