"""Memory plan reports: a dict for JSON, an ASCII timeline for the terminal, a plot of the arena.

    from tinygen.memory.report import plan_report, ascii_timeline, plot_plan
    json.dump(plan_report(cm.plan), f)
    print(ascii_timeline(cm.plan))
    plot_plan(cm.plan, "arena.svg")     # or .png

The plot draws one rectangle per buffer: x spans the operators during which it is live, y its
bytes in the arena (offset to offset + size), as in the memory-distribution figures of the
MCUNetV2 paper; the layer-wise live bytes and the arena size are drawn as lines.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..fsio import Outputs, write_file

from .liveness import Buffer
from .plan import MemoryPlan

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _op_kind(plan: MemoryPlan, pos: int) -> str:
    return plan.ops[pos].kind if pos < len(plan.ops) else "?"


def _op_label(plan: MemoryPlan, pos: int) -> str:
    return plan.ops[pos].label if pos < len(plan.ops) else f"op {pos}"


def _buffer_dict(plan: MemoryPlan, b: Buffer) -> dict[str, Any]:
    return dict(id=b.id, kind=b.kind, tensors=b.names, offset=plan.offsets[b.id], size=b.size,
                first_op=b.first, last_op=b.last)


def plan_report(plan: MemoryPlan, schedule: dict | None = None) -> dict[str, Any]:
    """A JSON-ready description of the plan. `schedule`: the schedule pass's summary
    (ScheduleResult.summary()), included when given."""
    live = plan.live_buffers
    per_op = []
    for pos in range(len(plan.ops)):
        bufs = sorted(live[pos], key=lambda b: (plan.offsets[b.id], b.id))
        per_op.append(dict(op=pos, kind=_op_kind(plan, pos), label=_op_label(plan, pos),
                           live_bytes=plan.live_per_op[pos], buffers=[_buffer_dict(plan, b) for b in bufs]))
    out: dict[str, Any] = dict(
        arena_bytes=plan.arena_bytes,
        lower_bound_bytes=plan.lower_bound_bytes,
        planner=plan.planner,
        proven_optimal=plan.proven_optimal,
        planner_bound_bytes=plan.planner_bound_bytes,
        alignment=plan.alignment,
        planner_seconds=round(plan.seconds, 4),
        planner_stopped=plan.stopped,
        peak_op=plan.peak_op if plan.ops else None,
        overlaps=[dict(below=r.below, above=r.above, gap=r.gap) for r in plan.overlaps],
        buffers=[_buffer_dict(plan, b) for b in plan.buffers],
        per_op=per_op,
    )
    if schedule is not None:
        out["schedule"] = dict(schedule)
    return out


def _fmt(n: int) -> str:
    return f"{n:,}"


def ascii_timeline(plan: MemoryPlan, width: int = 64, show_buffers: bool = True) -> str:
    """One row per operator: its kind, the bytes live there, a map of the arena (each column is
    arena/width bytes, drawn with the letter of the buffer occupying it, '.' when free) and the
    live buffers' offsets."""
    arena = max(plan.arena_bytes, 1)
    letters = {b.id: _LETTERS[k % len(_LETTERS)] for k, b in enumerate(plan.buffers)}
    status = "proven optimal" if plan.proven_optimal else "not proven optimal"
    head = [f"arena {_fmt(plan.arena_bytes)} B ({plan.planner} planner, {status}); "
            f"layer-wise lower bound {_fmt(plan.lower_bound_bytes)} B"
            + (f"; peak at op {plan.peak_op}" if plan.ops else "")]
    kind_w = max([len(_op_label(plan, p)) for p in range(len(plan.ops))] + [2])
    head.append(f"{'#':>4}  {'op':<{kind_w}}  {'live B':>10} {'%':>4} |{'arena 0 .. ' + _fmt(plan.arena_bytes):<{width}}|")
    live = plan.live_buffers
    rows = []
    for pos in range(len(plan.ops)):
        bufs = sorted(live[pos], key=lambda b: plan.offsets[b.id])
        cells = ["."] * width
        for b in bufs:
            lo, hi = plan.offsets[b.id], plan.offsets[b.id] + b.size
            for c in range(width):
                mid = (c + 0.5) * arena / width
                if lo <= mid < hi:
                    cells[c] = letters[b.id]
        lb = plan.live_per_op[pos]
        mark = "*" if pos == plan.peak_op else " "
        row = f"{pos:>4}{mark} {_op_label(plan, pos):<{kind_w}}  {_fmt(lb):>10} {100 * lb // arena:>3}% |{''.join(cells)}|"
        if show_buffers:
            row += "  " + " ".join(f"{letters[b.id]}={b.id}@{plan.offsets[b.id]}+{b.size}" for b in bufs)
        rows.append(row)
    legend = []
    if show_buffers and plan.buffers:
        legend.append("buffers: " + "; ".join(f"{letters[b.id]}={b.id} {', '.join(b.names)[:40]}" for b in plan.buffers))
    return "\n".join(head + rows + legend)


def _draw_plan(ax, plan: MemoryPlan, title: str | None, ymax: float, label_min_fraction: float) -> None:
    from matplotlib.patches import Rectangle

    n = max(len(plan.ops), 1)
    colors = ["#4C72B0", "#55A868", "#C44E52", "#8172B2", "#CCB974", "#64B5CD", "#DD8452", "#937860"]
    arena = max(plan.arena_bytes, 1)
    for k, b in enumerate(plan.buffers):
        off = plan.offsets[b.id]
        color = "#BBBBBB" if b.kind == "scratch" else colors[k % len(colors)]
        rect = Rectangle((b.first - 0.45, off), (b.last - b.first) + 0.9, b.size, facecolor=color, edgecolor="black",
                         linewidth=0.5, alpha=0.85, hatch="//" if b.kind == "scratch" else None)
        ax.add_patch(rect)
        if b.size >= label_min_fraction * arena:
            name = b.names[0] if b.names else b.id
            short = name if len(name) <= 18 else "…" + name[-17:]
            ax.text(b.first + (b.last - b.first) / 2, off + b.size / 2, f"{b.id}\n{short}", ha="center", va="center",
                    fontsize=6, clip_on=True)
    xs = list(range(len(plan.live_per_op)))
    if plan.ops:
        ax.step(xs, plan.live_per_op, where="mid", color="black", linewidth=1.0, label="live bytes")
    ax.axhline(plan.arena_bytes, color="#C44E52", linestyle="--", linewidth=1.0,
               label=f"arena {plan.arena_bytes:,} B")
    if plan.lower_bound_bytes != plan.arena_bytes:
        ax.axhline(plan.lower_bound_bytes, color="#55A868", linestyle=":", linewidth=1.0,
                   label=f"lower bound {plan.lower_bound_bytes:,} B")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, ymax)
    ax.set_xticks(range(len(plan.ops)))
    ax.set_xticklabels([f"{p} {op.kind}" for p, op in enumerate(plan.ops)], rotation=90, fontsize=6)
    ax.set_ylabel("arena offset (bytes)")
    status = "proven optimal" if plan.proven_optimal else "not proven optimal"
    ax.set_title(title or f"arena {plan.arena_bytes:,} B ({plan.planner}, {status})", fontsize=9)
    ax.legend(loc="upper right", fontsize=7)


def plot_plans(plans: list[MemoryPlan], path: str | Path, titles: list[str | None] | None = None,
               label_min_fraction: float = 0.04, outputs: Outputs | None = None) -> Path:
    """Draw several plans (e.g. without and with patches) one above the other, on the same byte
    scale, to `path` (.png, .svg or .pdf, by its suffix), written atomically (or added to
    `outputs`, written when that set is committed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    titles = titles or [None] * len(plans)
    n = max(max(len(p.ops) for p in plans), 1)
    fig = Figure(figsize=(max(6.0, min(0.35 * n + 2.5, 30.0)), 5.0 * len(plans)), dpi=110)
    FigureCanvasAgg(fig)
    ymax = max(max(p.arena_bytes, max(p.live_per_op, default=0)) for p in plans) * 1.08 or 1.0
    for i, (plan, title) in enumerate(zip(plans, titles)):
        _draw_plan(fig.add_subplot(len(plans), 1, i + 1), plan, title, ymax, label_min_fraction)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".").lower() or "png")
    if outputs is not None:
        outputs.file(path, buf.getvalue())
    else:
        write_file(path, buf.getvalue())
    return path


def plot_plan(plan: MemoryPlan, path: str | Path, title: str | None = None, label_min_fraction: float = 0.04) -> Path:
    """Draw the arena over the schedule to `path` (.png or .svg, by its suffix)."""
    return plot_plans([plan], path, [title], label_min_fraction)
