"""TG_PATCH_STAGE: an internal operator (made by the `patch` pass) that runs the first operators
of the model patch by patch (MCUNetV2). Its input is the graph input, read in place; its output
the full stage output; its scratch space holds the patch buffers (planned inside the stage)."""

from __future__ import annotations

import textwrap

from .base import OpDef, get_op_def, register


def _indent(code: str, n: int = 8) -> str:
    return textwrap.indent(code, " " * n)


@register
class PatchStageOp(OpDef):
    kind = "TG_PATCH_STAGE"

    def prepare(self, op):
        return op.attrs  # the PatchPlan, built by the patch pass

    def scratch_bytes(self, op):
        return op.attrs.scratch_bytes

    def overlap_gaps(self, op):
        gap = op.attrs.output_gap
        if gap is None or gap > op.outputs[0].nbytes:
            return []
        return [(0, 0, gap)]

    def macs(self, op):
        return op.attrs.macs[0]

    def emit(self, op, ctx):
        from ..codegen.sanitize import c_comment

        plan = op.attrs
        base, _ = ctx.scratch(op)
        off = ctx.cm.plan.scratch(op)
        base_off = off[0] if off else 0
        saved = (ctx.storage, dict(ctx.local_ptrs), dict(ctx.local_scratch))
        ctx.storage = "const"
        try:
            for step in plan.steps:
                for lop in step.ops:
                    for t in list(lop.inputs) + list(lop.outputs):
                        key = plan.local_key.get(id(t)) if t is not None else None
                        if key is not None:
                            ctx.local_ptrs[id(t)] = ctx.arena_ptr(base_off + plan.local_offsets[key][0], t.dtype)
            steps = []
            for pos, (step, sym) in enumerate(zip(plan.steps, plan.symbolic)):
                d = get_op_def(step.kind)
                s_key = f"s{pos}"
                for lop in step.ops:
                    if s_key in plan.local_offsets:
                        o, n = plan.local_offsets[s_key]
                        ctx.local_scratch[id(lop)] = (f"(void *)(A + {base_off + o})", n)
                    else:
                        ctx.local_scratch[id(lop)] = ("NULL", 0)
                src = "" if step.source is None else f" (TFLite operator {plan.stage.ops[step.source].source_index})"
                comment = c_comment(f"{step.kind}{src}")
                code = None
                if sym is not None:
                    lop0 = step.ops[0]
                    real = lop0.params
                    lop0.params = sym
                    try:
                        code = d.emit(lop0, ctx)
                    except TypeError:
                        code = None  # the template computes with a per-patch value: emit each patch
                    finally:
                        lop0.params = real
                if code is not None:
                    steps.append(dict(comment=comment, code=_indent(code), per_patch=None))
                else:
                    steps.append(dict(comment=comment, code="",
                                      per_patch=[_indent(d.emit(lop, ctx), 12) for lop in step.ops]))
            y = plan.stage.output
            return ctx.render("patch_stage.c.j2", n_patches=len(plan.table), n_cols=max(1, len(plan.table[0])),
                              table=[row or [0] for row in plan.table], grid=plan.stage.grid,
                              out_comment=c_comment(f"{list(y.shape)}"), n_steps=len(plan.steps), steps=steps)
        finally:
            ctx.storage, ctx.local_ptrs, ctx.local_scratch = saved[0], saved[1], saved[2]
