"""Lowering a patch stage to kernel calls: per-patch operators, their parameters, the patch
buffers' memory plan, and the table of values that change from patch to patch.

For every patch the stage's operators are re-instantiated on region-sized tensors ("local"
tensors) and prepared with the operators' own prepare(); windowed operators then get the padding
offset that places their region in the image:

    pad_eff = pad + r0_in - o0 * stride

(r0_in: first row of the input buffer's region, o0: first output row of the patch). It is
negative when the input buffer starts below the first row the window needs, e.g. when the first
operator reads the whole graph input in place. Kernels treat rows outside the buffer as padding,
which is exactly the image border: rows inside the image are always in the buffer. Elementwise
operators whose inputs cover a larger region than their output (a residual branch whose halo
was needed by the other consumer) read a dense copy of the right sub-region (TG_COPY_REGION).
The patch's output region is then copied into the full stage output.

All patches run the same operator sequence; parameters that differ between patches (paddings,
dimensions, offsets) become columns of a constant table indexed by the patch number, and the
generated code is one loop (see templates/patch_stage.c.j2).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir import Op, Tensor
from ..memory.liveness import Buffer
from ..memory.planners import Overlap, align_up, check_plan, get_planner
from ..ops import get_op_def
from ..ops.copy_region import CopyRegionAttrs
from .regions import Region
from .stage import PatchStage

WINDOW_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")


class Sym:
    """A per-patch value in a template: renders as a table lookup; refuses arithmetic and
    comparisons (a template computing with it would silently emit wrong code)."""

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def __str__(self) -> str:
        return self.expr

    def __repr__(self) -> str:
        return f"Sym({self.expr})"

    def __bool__(self) -> bool:  # pragma: no cover - a template testing a per-patch value
        raise TypeError(f"per-patch value {self.expr} used in a condition")

    def __index__(self) -> int:  # pragma: no cover
        raise TypeError(f"per-patch value {self.expr} used as a number")


@dataclass
class LocalStep:
    """One operator of the per-patch sequence, instantiated for every patch."""

    kind: str
    #: per patch: the local Op (region-sized tensors, prepared params)
    ops: list[Op]
    #: index in the stage's operator list of the model operator this comes from (None: a copy)
    source: int | None


@dataclass
class PatchPlan:
    stage: PatchStage
    steps: list[LocalStep]
    #: local tensor key -> (offset in the patch scratch, bytes)
    local_offsets: dict[str, tuple[int, int]]
    #: bytes of the patch scratch (all local buffers, planned)
    scratch_bytes: int
    #: gap for the stage output below the stage input (partial overlap), None if not applicable
    output_gap: int | None
    #: id(local tensor of any patch) -> local tensor key
    local_key: dict[int, str] = field(default_factory=dict)
    #: per-patch table (rows = patches) and, per step, (symbolic params, or None for a switch)
    table: list[list[int]] = field(default_factory=list)
    symbolic: list[Any] = field(default_factory=list)
    macs: tuple[int, int] = (0, 0)


def _local_tensor(t: Tensor, r: Region, key: str) -> Tensor:
    lt = Tensor(name=f"{t.name}[{r.y0}:{r.y1},{r.x0}:{r.x1}]", shape=(t.shape[0], r.h, r.w, t.shape[3]),
                dtype=t.dtype, quant=t.quant)
    lt.notes["patch_key"] = key
    return lt


def build_patch_plan(stage: PatchStage, alignment: int = 16, planner: str = "exact") -> PatchPlan:
    ext = {id(t) for t in stage.external}
    steps: list[LocalStep] = []
    n_patches = len(stage.patches)
    # Which elementwise inputs need a dense copy: those read over the output's region (not whole)
    # whose buffer covers a different region in some patch (a local tensor with a larger union
    # region, or an external tensor, which is passed whole)
    crops: set[tuple[int, int]] = set()
    for j, op in enumerate(stage.ops):
        if op.kind in WINDOW_KINDS:
            continue
        d = get_op_def(op.kind)
        for p in stage.patches:
            r_out = p.regions[id(op.outputs[0])]
            regs = d.input_regions(op, r_out)
            for i, t in enumerate(op.inputs):
                if t is None or t.is_const or regs[i] is None:
                    continue
                have = Region.full(t.shape) if id(t) in ext else p.regions[id(t)]
                if have != r_out:
                    crops.add((j, i))
    per_patch_ops: list[list[tuple[str, Op, int | None]]] = []
    for p in stage.patches:
        local: dict[int, Tensor] = {}
        seq: list[tuple[str, Op, int | None]] = []
        for j, op in enumerate(stage.ops):
            ins: list[Tensor | None] = []
            for i, t in enumerate(op.inputs):
                if t is None or t.is_const or (id(t) in ext and (j, i) not in crops):
                    ins.append(t)
                    continue
                src = t if id(t) in ext else local[id(t)]
                if (j, i) in crops:
                    r_out = p.regions[id(op.outputs[0])]
                    r_in = Region.full(t.shape) if id(t) in ext else p.regions[id(t)]
                    key = f"crop{j}_{i}"
                    dst = _local_tensor(t, r_out, key)
                    cop = Op(kind="TG_COPY_REGION", inputs=[src], outputs=[dst],
                             attrs=CopyRegionAttrs(src_region=Region(r_out.y0 - r_in.y0, r_out.y1 - r_in.y0,
                                                                     r_out.x0 - r_in.x0, r_out.x1 - r_in.x0),
                                                   dst_origin=(0, 0)))
                    seq.append((key, cop, None))
                    src = dst
                ins.append(src)
            y = op.outputs[0]
            key = f"t{j}"
            ly = _local_tensor(y, p.regions[id(y)], key)
            local[id(y)] = ly
            lop = Op(kind=op.kind, inputs=ins, outputs=[ly], attrs=op.attrs, source_index=op.source_index)
            seq.append((key, lop, j))
        # the patch's result into the full stage output
        r = p.regions[id(stage.output)]
        cop = Op(kind="TG_COPY_REGION", inputs=[local[id(stage.output)]], outputs=[stage.output],
                 attrs=CopyRegionAttrs(src_region=Region(0, r.h, 0, r.w), dst_origin=(r.y0, r.x0)))
        seq.append(("out", cop, None))
        per_patch_ops.append(seq)

    # prepare every local operator, then fix the window offsets
    for p, seq in zip(stage.patches, per_patch_ops):
        for key, lop, j in seq:
            d = get_op_def(lop.kind)
            lop.params = d.prepare(lop)
            if j is not None and lop.kind in WINDOW_KINDS:
                op = stage.ops[j]
                full_pad = d.window_padding(op)  # the model operator's own padding
                x = op.inputs[0]
                # an external input (graph input) is passed whole: its buffer starts at row 0
                r_in = Region.full(x.shape) if id(x) in ext else p.regions[id(x)]
                r_out = p.regions[id(op.outputs[0])]
                stride = op.attrs.stride
                lop.params = dataclasses.replace(lop.params, padding=(
                    full_pad[0] + r_in.y0 - r_out.y0 * stride[0],
                    full_pad[1] + r_in.x0 - r_out.x0 * stride[1]))
    for s in range(len(per_patch_ops[0])):
        kinds = {seq[s][1].kind for seq in per_patch_ops}
        assert len(kinds) == 1, "patches differ in their operator sequence"
        steps.append(LocalStep(kind=per_patch_ops[0][s][1].kind, ops=[seq[s][1] for seq in per_patch_ops],
                               source=per_patch_ops[0][s][2]))

    # memory of the local buffers: sized for the largest patch, lifetimes over the sequence
    keys = [k for k, _, _ in per_patch_ops[0] if k != "out"]
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    size: dict[str, int] = {}
    local_key: dict[int, str] = {}
    for pos, (key, _lop, _j) in enumerate(per_patch_ops[0]):
        if key != "out":
            first[key] = pos
            last.setdefault(key, pos)
        for seq in per_patch_ops:
            lop = seq[pos][1]
            for t in lop.inputs:
                k = t.notes.get("patch_key") if t is not None else None
                if k is not None:
                    last[k] = max(last[k], pos)
            if key != "out":
                y = lop.outputs[0]
                size[key] = max(size.get(key, 0), y.nbytes)
                local_key[id(y)] = key
    scratch_needs: dict[int, int] = {}
    for pos in range(len(per_patch_ops[0])):
        need = max(get_op_def(seq[pos][1].kind).scratch_bytes(seq[pos][1]) for seq in per_patch_ops)
        if need:
            scratch_needs[pos] = need
    bufs = [Buffer(id=k, size=size[k], first=first[k], last=last[k]) for k in keys]
    bufs += [Buffer(id=f"s{pos}", size=n, first=pos, last=pos, kind="scratch") for pos, n in scratch_needs.items()]
    # partial overlap inside the patch (largest gap over all patches)
    rules: list[Overlap] = []
    by_id = {b.id: b for b in bufs}
    for pos in range(len(per_patch_ops[0])):
        lop0 = per_patch_ops[0][pos][1]
        if lop0.kind == "TG_COPY_REGION":
            continue
        gaps: dict[tuple[int, int], int] = {}
        ok = True
        for seq in per_patch_ops:
            g_list = _local_gaps(seq[pos][1])
            if not g_list:
                ok = False
                break
            for i, o, g in g_list:
                gaps[(i, o)] = max(gaps.get((i, o), 0), g)
        if not ok:
            continue
        for (i, o), g in gaps.items():
            t = lop0.inputs[i]
            k_in = t.notes.get("patch_key") if t is not None else None
            k_out = lop0.outputs[o].notes.get("patch_key")
            if k_in is None or k_out is None or k_in == k_out:
                continue
            b_in, b_out = by_id[k_in], by_id[k_out]
            if b_in.last == pos and b_out.first == pos and g <= b_out.size:
                rules.append(Overlap(below=k_out, above=k_in, gap=int(g)))
    placement = get_planner(planner)(bufs, alignment, rules) if bufs else {}
    if bufs:
        check_plan(bufs, placement, rules, alignment)
    offsets = {b.id: (int(placement[b.id]), b.size) for b in bufs}
    scratch_total = align_up(max((o + n for o, n in offsets.values()), default=0), alignment)

    plan = PatchPlan(stage=stage, steps=steps, local_offsets=offsets, scratch_bytes=scratch_total,
                     output_gap=output_gap(stage), local_key=local_key, macs=stage.macs())
    for pos, n in scratch_needs.items():
        plan.local_offsets[f"s{pos}"] = offsets[f"s{pos}"]
    _tabulate(plan, n_patches)
    return plan


def _local_gaps(lop: Op) -> list[tuple[int, int, int]]:
    """Overlap gaps of a per-patch operator. Windowed operators use their effective padding (the
    model's SAME/VALID rule does not apply to a region)."""
    if lop.kind in WINDOW_KINDS:
        from ..memory.overlap import window_gap

        p = lop.params
        kernel = lop.inputs[1].shape[1:3] if lop.kind in ("CONV_2D", "DEPTHWISE_CONV_2D") else p.filter
        dil = getattr(p, "dilation", (1, 1))
        return [(0, 0, window_gap(lop.inputs[0].shape, lop.outputs[0].shape, p.stride, p.padding, kernel, dil))]
    return get_op_def(lop.kind).overlap_gaps(lop)


def output_gap(stage: PatchStage) -> int | None:
    """How far below the stage input the stage output may start (partial overlap): patches run in
    order; after patch t, writes into the output reach its region's last byte, while later
    patches still read the input from their region's first byte. Only for one image, one input."""
    if len(stage.external) != 1:
        return None
    x, y = stage.external[0], stage.output
    if x.shape[0] != 1 or y.shape[0] != 1:
        return None
    xw, xc, yw, yc = x.shape[2], x.shape[3] * x.itemsize, y.shape[2], y.shape[3] * y.itemsize
    written = 0
    lows = []
    for p in stage.patches:
        r = p.regions[id(x)]
        lows.append((r.y0 * xw + r.x0) * xc)
    # the lowest input byte still needed after patch t: min over later patches
    need = [0] * len(lows)
    m = None
    for t in range(len(lows) - 1, -1, -1):
        need[t] = m if m is not None else None
        m = lows[t] if m is None else min(m, lows[t])
    gap = 0
    for t, p in enumerate(stage.patches):
        r = p.regions[id(y)]
        written = max(written, ((r.y1 - 1) * yw + r.x1) * yc)
        if need[t] is not None:
            gap = max(gap, written - need[t])
    return gap


# -- per-patch values -----------------------------------------------------------------------------
def _leaves(v: Any, path: tuple = ()):
    """(path, value) of every scalar in a params object (dataclasses, tuples, lists, objects)."""
    if isinstance(v, (bool, np.bool_)):
        yield path, bool(v)
    elif isinstance(v, (int, np.integer)):
        yield path, int(v)
    elif isinstance(v, (float, np.floating, str)) or v is None:
        yield path, v
    elif isinstance(v, np.ndarray):
        yield path, ("ndarray", v.dtype.str, v.shape, v.tobytes())
    elif dataclasses.is_dataclass(v):
        for f in dataclasses.fields(v):
            yield from _leaves(getattr(v, f.name), path + (f.name,))
    elif isinstance(v, (tuple, list)):
        yield path, ("len", type(v).__name__, len(v))
        for i, x in enumerate(v):
            yield from _leaves(x, path + (i,))
    elif hasattr(v, "__dict__"):
        for k in sorted(vars(v)):
            yield from _leaves(getattr(v, k), path + (k,))
    else:
        yield path, repr(v)


def _set(v: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(v, (tuple, list)):
        items = list(v)
        items[head] = _set(items[head], rest, new)
        return type(v)(items) if isinstance(v, list) else tuple(items)
    if dataclasses.is_dataclass(v):
        child = _set(getattr(v, head), rest, new)
        try:
            return dataclasses.replace(v, **{head: child})
        except (TypeError, ValueError):
            c = copy.copy(v)
            object.__setattr__(c, head, child)
            return c
    c = copy.copy(v)
    setattr(c, head, _set(getattr(v, head), rest, new))
    return c


def _tabulate(plan: PatchPlan, n: int) -> None:
    """Find the parameters that vary between patches; make them table columns."""
    table: list[list[int]] = [[] for _ in range(n)]
    symbolic: list[Any] = []
    for step in plan.steps:
        leaves = [dict(_leaves(op.params)) for op in step.ops]
        if any(set(lv) != set(leaves[0]) for lv in leaves):
            symbolic.append(None)  # the structure differs: emitted per patch
            continue
        params = step.ops[0].params
        ok = True
        for path, v0 in leaves[0].items():
            vals = [lv[path] for lv in leaves]
            if all(v == v0 for v in vals):
                continue
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                ok = False
                break
            col = len(table[0])
            for row, v in zip(table, vals):
                row.append(v)
            params = _set(params, path, Sym(f"g[{col}]"))
        symbolic.append(params if ok else None)
    plan.table = table
    plan.symbolic = symbolic
