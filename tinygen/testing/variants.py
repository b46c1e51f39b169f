"""Compiling a test model with a chosen kernel variant on every operator that offers it.

The memory_opt pass keeps, per operator, the fastest kernel variant that does not grow the arena;
a small test model may therefore never exercise a DSP kernel's scratch tiers. `compile_forced`
runs the normal pipeline, then gives every operator that has a variant of the requested name
that variant and plans the memory again (its scratch included), so the generated code calls it.

    cm = compile_forced(model_bytes, CompileOptions(name="m0", cpu="cortex-m4"), "dsp-min")
    check_compiled([(cm, model_bytes)], ...)             # host build vs TFLM
    check_compiled_on_board([cm], [model_bytes], "generic-m4")   # emulated M4 vs TFLM
"""

from __future__ import annotations

from typing import Sequence

from ..compiler import CompiledModel
from ..frontend import parse_tflite
from ..options import CompileOptions
from ..passes import plan_memory
from ..passes.pipeline import run_pipeline
from ..sanitize import c_identifier


def compile_forced(model: bytes, options: CompileOptions, variant: str | None) -> CompiledModel:
    """Compile `model`; then every operator with a kernel variant named `variant` runs it (None:
    the pipeline's own choice). The graph must not use patches."""
    graph = parse_tflite(bytes(model))
    c = run_pipeline(graph, options)
    if variant is not None:
        changed = False
        for op in c.graph.ops:
            for k in op.variants:
                if k.variant == variant:
                    changed = changed or op.kernel is not k
                    op.kernel = k
                    break
        if changed:
            c.plan = plan_memory.run(c.graph, options)
    cm = CompiledModel(name=c_identifier(options.name or graph.name), graph=c.graph, plan=c.plan, options=options,
                       target=c.target, noops=c.noops, float_io=c.float_io, pads=c.pads, schedule=c.schedule,
                       patches=c.patches, variants=c.variants)
    _ = cm.files
    return cm


def variants_used(cm: CompiledModel) -> list[str]:
    """`function (variant)` of every operator that calls a kernel."""
    return [op.kernel.describe() for op in cm.graph.ops if op.kernel is not None and op.kernel.function]


def compile_batch(models: Sequence[bytes], options: CompileOptions, variant: str | None) -> list[CompiledModel]:
    """compile_forced for each model, named m0, m1, ..."""
    from dataclasses import replace

    return [compile_forced(m, replace(options, name=f"m{i}"), variant) for i, m in enumerate(models)]


__all__ = ["compile_batch", "compile_forced", "variants_used"]
