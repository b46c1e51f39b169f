"""Graph + memory plan -> <name>.c / <name>.h through the Jinja2 templates in templates/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import __version__
from ..ir import Tensor, c_type
from ..jinja import template_env
from ..ops import op_def
from ..sanitize import c_comment
from .cformat import c_float
from .context import EmitContext

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler import CompiledModel


def _io_info(cm: "CompiledModel", tensors, role: str, single_name: str):
    out = []
    for i, t in enumerate(tensors):
        q = t.quant
        param = single_name if len(tensors) == 1 else f"{single_name}{i}"
        out.append(dict(
            param=param,
            ctype=c_type(t.dtype),
            nbytes=t.nbytes,
            size=t.size,
            offset=cm.plan.tensor_offset(t) if cm.options.io_in_arena else None,
            scale=c_float(q.s) if q is not None and not q.per_channel else None,
            zero_point=q.zp if q is not None and not q.per_channel else None,
            comment=c_comment(f"{t.name} {t.dtype}{list(t.shape)}"),
        ))
    return out


def _state_buffers(g, name: str) -> list[tuple[Tensor, dict]]:
    """The persistent buffers of the variable tensors (operator state such as SVDF's and LSTM's),
    in first-use order. Each starts as TFLite Micro resets it: every byte set to the zero point
    for int8 tensors, zero for other types."""
    out = []
    for t in g.tensors():
        if not t.is_variable:
            continue
        zp = t.quant.zp if t.dtype == "int8" and t.quant is not None and t.quant.zero_point.size else 0
        out.append((t, dict(symbol=f"{name}_state{len(out)}", ctype=c_type(t.dtype), count=max(t.size, 1),
                            nbytes=t.nbytes, reset_byte=zp & 0xFF,
                            comment=c_comment(f"tensor {t.source_index}: {t.name} {t.dtype}{list(t.shape)}"))))
    return out


def generate_c(cm: "CompiledModel") -> dict[str, str]:
    env = template_env()
    ctx = EmitContext(cm, env)
    g = cm.graph
    name = cm.name
    inputs = _io_info(cm, g.inputs, "input", "input")
    outputs = _io_info(cm, g.outputs, "output", "output")
    invoke_params = ", ".join([f"const {io['ctype']} *{io['param']}" for io in inputs] +
                              [f"{io['ctype']} *{io['param']}" for io in outputs])
    if not cm.options.io_in_arena:
        ctx.external_io = {id(t): io["param"] for t, io in zip(list(g.inputs) + list(g.outputs), inputs + outputs)}
        exec_params = invoke_params
        exec_args = ", ".join(io["param"] for io in inputs + outputs)
    else:
        exec_params, exec_args = "void", ""

    states = _state_buffers(g, name)
    ctx.state = {id(t): st["symbol"] for t, st in states}

    steps = []
    for pos, op in enumerate(g.ops):
        d = op_def(op)
        label = f"{op.kind.lower()}_{op.source_index if op.source_index is not None else f'p{pos}'}"
        with ctx.emitting(op, label):
            code = d.emit(op, ctx).rstrip("\n")
        ins = ", ".join(c_comment(t.name, 48) for t in op.inputs if t is not None and not t.is_const)
        outs = ", ".join(c_comment(t.name, 48) for t in op.outputs)
        src = "" if op.source_index is None else f" (TFLite operator {op.source_index})"
        k = op.kernel
        kernel = "" if k is None or k.function is None else \
            f"; kernel {k.describe()}" + (f", scratch {k.scratch_bytes} B" if k.scratch_bytes else "")
        traces = []
        if code and not d.alias:
            for t in op.outputs:
                traces.append(dict(tensor=-1 if t.source_index is None else t.source_index,
                                   ptr=ctx.ptr(t), nbytes=t.nbytes))
        steps.append(dict(pos=pos, code=code, traces=traces, comment=f"{op.kind}{src}: {ins} -> {outs}",
                          kernel=c_comment(kernel.lstrip("; "), 200) if kernel else ""))

    common = dict(
        name=name, NAME=name.upper(), version=__version__,
        source=c_comment(g.source.file_name if g.source else f"{g.name} (built in memory)", 200),
        sha256=g.source.sha256 if g.source else "-",
        options=c_comment(cm.options.describe(), 400),
        target=c_comment(cm.target.describe(), 60),
        arena_bytes=cm.plan.arena_bytes,
        lower_bound_bytes=cm.plan.lower_bound_bytes,
        planner=cm.plan.planner,
        alignment=cm.options.alignment,
        inputs=inputs, outputs=outputs,
        invoke_params=invoke_params, exec_params=exec_params, exec_args=exec_args,
        io_in_arena=cm.options.io_in_arena,
        guard=cm.plan.guard > 0,
        states=[st for _, st in states], state_bytes=sum(st["nbytes"] for _, st in states),
    )
    c_text = env.get_template("model.c.j2").render(consts=ctx.consts, steps=steps,
                                                   const_bytes=sum(c.nbytes for c in ctx.consts), **common)
    h_text = env.get_template("model.h.j2").render(const_bytes=sum(c.nbytes for c in ctx.consts), **common)
    cm.const_bytes = sum(c.nbytes for c in ctx.consts)
    cm.traced_ops = tuple(st["pos"] for st in steps if st["traces"])
    return {f"{name}.c": c_text, f"{name}.h": h_text}
