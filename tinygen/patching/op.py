"""TG_PATCH_STAGE: the internal operator (made by the `patch` pass) that runs the first operators
of the model patch by patch (MCUNetV2). Its input is the graph input, read in place; its output
the full stage output; its scratch space holds the patch buffers (planned inside the stage, see
tinygen.patching.lower)."""

from __future__ import annotations

import textwrap

from ..ir import Op
from ..ops import op_def, register
from ..ops.base import OpDef
from ..sanitize import c_comment
from .lower import PatchPlan, symbolic_kernel

KIND = "TG_PATCH_STAGE"


def _indent(code: str, n: int = 8) -> str:
    return textwrap.indent(code, " " * n)


@register
class PatchStageOp(OpDef):
    kind = KIND

    def lower(self, op, target):
        plan: PatchPlan = op.attrs
        gap = plan.output_gap
        overlap = ((0, 0, gap),) if gap is not None and gap <= op.outputs[0].nbytes else ()
        grid = plan.stage.grid
        return self.kernel(op, plan, variant=f"{grid[0]}x{grid[1]} grid, {len(plan.stage.patches)} patches",
                           function="patch loop",
                           template="patch_stage.c.j2", scratch_bytes=plan.scratch_bytes, overlap=overlap)

    def macs(self, op):
        return op.attrs.macs[0]

    def emit(self, op: Op, ctx) -> str:
        plan: PatchPlan = op.attrs
        base_off = ctx.scratch_offset(op)
        with ctx.patch_scope() as scope:
            for step in plan.steps:
                for lop in step.ops:
                    for t in list(lop.inputs) + list(lop.outputs):
                        key = plan.local_key.get(id(t)) if t is not None else None
                        if key is not None:
                            scope.ptrs[id(t)] = ctx.arena_ptr(base_off + plan.local_offsets[key][0], t.dtype)
            steps = []
            for pos, (step, sym) in enumerate(zip(plan.steps, plan.symbolic)):
                d = op_def(step.ops[0])
                s_key = f"s{pos}"
                for lop in step.ops:
                    if s_key in plan.local_offsets:
                        o, n = plan.local_offsets[s_key]
                        scope.scratch[id(lop)] = (f"(void *)(A + {base_off + o})", n)
                    else:
                        scope.scratch[id(lop)] = ("NULL", 0)
                lop0 = step.ops[0]
                src = "" if step.source is None else f" (TFLite operator {plan.stage.ops[step.source].source_index})"
                comment = c_comment(f"{step.kind}{src}: {lop0.kernel.describe()}", 200)
                code = None
                if sym is not None:
                    k = symbolic_kernel(lop0.kernel, sym)
                    try:
                        with ctx.naming(f"{step.kind.lower()}_{op_index_name(plan, step)}"):
                            code = ctx.render(k.template, op=lop0, k=k, a=k.args)
                    except TypeError:
                        code = None  # the template computes with a per-patch value: emit each patch
                if code is not None:
                    steps.append(dict(comment=comment, code=_indent(code), per_patch=None))
                else:
                    with ctx.naming(f"{step.kind.lower()}_{op_index_name(plan, step)}"):
                        per = [_indent(d.emit(lop, ctx), 12) for lop in step.ops]
                    steps.append(dict(comment=comment, code="", per_patch=per))
            y = plan.stage.output
            return ctx.render("patch_stage.c.j2", n_patches=len(plan.table), columns=plan.columns,
                              table=plan.table, grid=plan.stage.grid, struct=f"{ctx.prefix}_patch",
                              out_comment=c_comment(f"{list(y.shape)}"), n_steps=len(plan.steps), steps=steps)


def op_index_name(plan: PatchPlan, step) -> str:
    """A name part for the constants of a step: the model operator's index, or the step's key."""
    if step.source is not None and plan.stage.ops[step.source].source_index is not None:
        return f"{plan.stage.ops[step.source].source_index}"
    return step.key


__all__ = ["KIND", "PatchStageOp"]
