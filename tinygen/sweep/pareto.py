"""The summary of a sweep: per board, the Pareto front of the fitting candidates (peak SRAM, latency,
flash: less is better in each), as a rich table; and a scatter plot of every candidate.

What each axis measures depends on how far the sweep went (the `stage` of its rows):

    stage     SRAM                                    latency                       flash
    plan      the arena                               MACs (a proxy)                model constants
    link      static SRAM + the stack reservation     MACs (a proxy)                the firmware's flash
    emulate   measured peak (static + peak stack)     estimated latency (ms)        the firmware's flash

In a grid where every cost grows with the network (MobileNetV2 widths x resolutions), the cost
front is the smallest network alone; the "capacity" front (the most MACs for the least SRAM and
flash) shows instead the largest networks that each budget admits, the candidates a search wants.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

#: stage -> ((field, label) for SRAM, latency, flash)
AXES = {
    "plan": (("arena_bytes", "arena B"), ("macs", "MACs"), ("const_bytes", "constants B")),
    "link": (("sram_peak_bytes", "static SRAM + stack B"), ("macs", "MACs"), ("flash_bytes", "flash B")),
    "emulate": (("sram_peak_bytes", "peak SRAM B"), ("latency_ms_estimate", "latency ms (est.)"),
                ("flash_bytes", "flash B")),
}


#: what a front trades off: "cost" (the least SRAM, latency and flash) or "capacity" (the most MACs,
#: a stand-in for accuracy, for the least SRAM and flash: the largest networks each budget allows)
OBJECTIVES = ("cost", "capacity")


def axes(stage: str, objective: str = "cost") -> tuple:
    """((field, label) for SRAM, the middle axis, flash) of a front."""
    sram, lat, flash = AXES[stage]
    return (sram, ("macs", "MACs (more is better)"), flash) if objective == "capacity" else (sram, lat, flash)


def metrics(row: dict, objective: str = "cost") -> tuple | None:
    """(SRAM, latency, flash) of a row, less is better on each (with objective "capacity": the MACs
    negated in the middle), or None if it has an error or misses one of them."""
    if row.get("error"):
        return None
    vals = tuple(row.get(f) for f, _ in axes(row["stage"], objective))
    if any(v is None for v in vals):
        return None
    return (vals[0], -vals[1], vals[2]) if objective == "capacity" else vals


def _dominates(a: Sequence, b: Sequence) -> bool:
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def pareto_front(rows: Iterable[dict], objective: str = "cost") -> list[dict]:
    """The rows no other row dominates (at least as good on every axis, better on one), sorted by
    SRAM; rows with equal metrics are all kept."""
    pts = [(m, r) for r in rows if (m := metrics(r, objective)) is not None]
    pts.sort(key=lambda p: p[0])
    front: list[tuple] = []
    for m, r in pts:  # sorted lexicographically: only an earlier point can dominate a later one
        if not any(_dominates(fm, m) for fm, _ in front):
            front.append((m, r))
    return [r for _, r in front]


def fronts_by_board(rows: Iterable[dict], objective: str = "cost") -> dict[str, list[dict]]:
    """Per board, the Pareto front of the candidates that fit it."""
    by: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by[r["board"]].append(r)
    return {b: pareto_front([r for r in rs if r.get("fits")], objective) for b, rs in sorted(by.items())}


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.3f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def front_tables(rows: Sequence[dict], limit: int = 20, objective: str = "cost") -> list:
    """One rich Table per board: its Pareto front (at most `limit` rows shown, evenly spread)."""
    from rich import box
    from rich.table import Table

    rows = list(rows)
    tables = []
    by_board: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_board[r["board"]].append(r)
    for board, front in fronts_by_board(rows, objective).items():
        rs = by_board[board]
        n_fit = sum(1 for r in rs if r.get("fits") and not r.get("error"))
        n_err = sum(1 for r in rs if r.get("error"))
        stage = rs[0]["stage"]
        (sf, sl), (lf, ll), (ff, fl) = axes(stage, objective)
        title = (f"{board}: Pareto front ({objective}), {len(front)} of {n_fit} fitting candidates "
                 f"({len(rs) - n_fit - n_err} do not fit, {n_err} failed)")
        t = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
        for col, just in (("model", "left"), (sl, "right"), (ll, "right"), (fl, "right"), ("patches", "left")):
            t.add_column(col, justify=just, no_wrap=just == "right", overflow="fold")
        shown = front
        if len(front) > limit:
            step = (len(front) - 1) / (limit - 1) if limit > 1 else 0
            shown = [front[round(i * step)] for i in range(limit)]
        for r in shown:
            t.add_row(r["model"], _fmt(r[sf]), _fmt(r[lf]), _fmt(r[ff]), r.get("patches") or "-")
        if len(front) > len(shown):
            t.caption = f"{len(shown)} of the {len(front)} points of the front shown, evenly spread"
        tables.append(t)
    return tables


def front_markdown(rows: Sequence[dict], objective: str = "cost") -> str:
    """Every board's whole Pareto front as Markdown tables (for committed results)."""
    rows = list(rows)
    out = []
    for board, front in fronts_by_board(rows, objective).items():
        rs = [r for r in rows if r["board"] == board]
        (sf, sl), (lf, ll), (ff, fl) = axes(rs[0]["stage"], objective)
        n_fit = sum(1 for r in rs if r.get("fits") and not r.get("error"))
        out.append(f"### {board}: {len(front)} of {n_fit} fitting candidates on the front ({len(rs)} swept)\n")
        out.append(f"| model | {sl} | {ll} | {fl} | patches |")
        out.append("|---|--:|--:|--:|---|")
        for r in front:
            out.append(f"| {r['model']} | {_fmt(r[sf])} | {_fmt(r[lf])} | {_fmt(r[ff])} | {r.get('patches') or '-'} |")
        out.append("")
    return "\n".join(out)


def plot_sweep(rows: Sequence[dict], path: str | Path, objective: str = "cost") -> Path:
    """Scatter plot of every candidate, one panel per board: SRAM against latency, coloured by
    whether it fits, the Pareto front circled. Written atomically (.png, .svg, .pdf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .results import _atomic_write

    rows = [r for r in rows if metrics(r) is not None]
    boards = sorted({r["board"] for r in rows}) or ["(no rows)"]
    fronts = fronts_by_board(rows, objective)
    fig, panels = plt.subplots(1, len(boards), figsize=(5.2 * len(boards), 4.4), squeeze=False)
    for ax, board in zip(panels[0], boards):
        rs = [r for r in rows if r["board"] == board]
        if rs:
            (sf, sl), (lf, ll), _ = AXES[rs[0]["stage"]]
            for fits, colour, label in ((True, "tab:green", "fits"), (False, "tab:red", "does not fit")):
                pts = [r for r in rs if bool(r.get("fits")) == fits]
                if pts:
                    ax.scatter([r[sf] for r in pts], [r[lf] for r in pts], s=10, c=colour, alpha=0.6,
                               label=f"{label} ({len(pts)})")
            front = fronts.get(board, [])
            if front:
                ax.scatter([r[sf] for r in front], [r[lf] for r in front], s=40, facecolors="none",
                           edgecolors="black", linewidths=0.8, label=f"{objective} front ({len(front)})")
            ax.set_xlabel(sl)
            ax.set_ylabel(ll)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.legend(fontsize=8)
        ax.set_title(board)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    p = Path(path)
    _atomic_write(p, lambda tmp: fig.savefig(tmp, dpi=110, format=p.suffix.lstrip(".") or "png"))
    plt.close(fig)
    return p
