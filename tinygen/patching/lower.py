"""Lowering a patch stage to kernel calls: per-patch operators, their kernels, the patch buffers'
memory plan, and the table of values that change from patch to patch.

For every patch the stage's operators are re-instantiated on region-sized tensors ("local"
tensors) by OpDef.patch_op and lowered with the operators' own lower(). Operators that place
regions (OpDef.places_regions: windowed operators, resizing, mirror padding, transposed
convolution, space-to-depth) read their input buffers in place and get attrs from their
OpDef.local_attrs, e.g. windowed operators an explicit padding that places their region in the
image:

    pad_eff = pad + r0_in - o0 * stride

(r0_in: first row of the input buffer's region, o0: first output row of the patch). It is
negative when the input buffer starts below the first row the window needs, e.g. when the first
operator reads the whole graph input in place. Kernels treat rows outside the buffer as padding,
which is exactly the image border: rows inside the image are always in the buffer. Other
operators (elementwise, PAD, TRANSPOSE, QUANTIZE...) whose input buffer holds more than the region
they read (a residual branch whose halo was needed by the other consumer, a graph input read in
place) read a dense copy of that region (TG_COPY_REGION); PAD's patch_op gives each patch its
own paddings, and constant operands with rows and columns are sliced per patch.
The patch's output region is then copied into the full stage output.

All patches run the same operator sequence. Its memory is planned once, by the memory planning
service, on an *envelope* of the sequence: one tensor per local buffer sized for the largest
patch, per step the largest scratch and the smallest overlap every patch allows. Arguments that
differ between patches (paddings, dimensions) become named columns of a constant table indexed by
the patch number, and the generated code is one loop (see templates/patch_stage.c.j2).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geometry import Region
from ..ir import Kernel, Op, Target, Tensor
from ..memory import MemoryOptions, MemoryProblem, StepMemory, plan_memory
from ..memory.planners import align_up
from ..ops import op_def
from ..ops.copy_region import CopyRegionAttrs
from .stage import PatchStage


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
    #: per patch: the local Op (region-sized tensors, lowered kernel)
    ops: list[Op]
    #: index in the stage's operator list of the model operator this comes from (None: a copy)
    source: int | None
    #: buffer key of the step's output ("out": the full stage output)
    key: str


@dataclass
class PatchPlan:
    stage: PatchStage
    steps: list[LocalStep]
    #: local buffer key (or "s<step>" for a step's scratch) -> (offset in the patch buffers, bytes)
    local_offsets: dict[str, tuple[int, int]]
    #: bytes of the patch buffers (all local buffers and scratch, planned)
    scratch_bytes: int
    #: gap for the stage output below the stage input (partial overlap), None if not applicable
    output_gap: int | None
    #: id(local tensor of any patch) -> local buffer key
    local_key: dict[int, str] = field(default_factory=dict)
    #: per-patch table: column names, and one row of values per patch
    columns: list[str] = field(default_factory=list)
    table: list[list[int]] = field(default_factory=list)
    #: per step: the kernel arguments with per-patch values as table lookups (None: the arguments'
    #: structure differs between patches, so each patch is emitted on its own)
    symbolic: list[Any] = field(default_factory=list)
    macs: tuple[int, int] = (0, 0)


def _local_tensor(t: Tensor, r: Region) -> Tensor:
    return Tensor(name=f"{t.name}[{r.y0}:{r.y1},{r.x0}:{r.x1}]", shape=r.shape_of(t.shape), dtype=t.dtype, quant=t.quant)


def _sliced_const(t: Tensor, r: Region) -> Tensor:
    """Region r of a constant (an elementwise operand with rows and columns)."""
    idx = [slice(None)] * t.rank
    idx[r.axes[0]], idx[r.axes[1]] = slice(r.y0, r.y1), slice(r.x0, r.x1)
    return Tensor(name=f"{t.name}[{r.y0}:{r.y1},{r.x0}:{r.x1}]", shape=r.shape_of(t.shape), dtype=t.dtype,
                  quant=t.quant, data=np.ascontiguousarray(t.data[tuple(idx)]))


def _buffer_region(t: Tensor, p, ext: set[int], needed: Region | None) -> Region:
    """The region of t its buffer holds in patch p: an external tensor (graph input) is whole."""
    if id(t) in ext:
        return Region.full(t.shape, needed.axes if needed is not None else (1, 2))
    return p.regions[id(t)]


def crops_needed(stage: PatchStage) -> set[tuple[int, int]]:
    """(operator, input) pairs whose input must be cut to the region the operator reads: inputs
    read over a region (not whole) by a non-windowed operator, whose buffer covers a different
    region in some patch (a local tensor with a larger union region, or an external tensor, which
    is passed whole). Windowed operators read any larger buffer through their padding offset."""
    ext = {id(t) for t in stage.external}
    crops: set[tuple[int, int]] = set()
    for j, op in enumerate(stage.ops):
        d = op_def(op)
        if d.places_regions:
            continue
        for p in stage.patches:
            regs = d.input_regions(op, p.regions[id(op.outputs[0])])
            for i, t in enumerate(op.inputs):
                if t is None or t.is_const or regs[i] is None:
                    continue
                if _buffer_region(t, p, ext, regs[i]) != regs[i]:
                    crops.add((j, i))
    return crops


def _patch_sequence(stage: PatchStage, p, crops: set[tuple[int, int]], ext: set[int]) -> list[tuple[str, Op, int | None]]:
    """The operators of one patch: (output buffer key, local op, stage operator index or None)."""
    local: dict[int, Tensor] = {}
    seq: list[tuple[str, Op, int | None]] = []
    for j, op in enumerate(stage.ops):
        d = op_def(op)
        r_out = p.regions[id(op.outputs[0])]
        regs = d.input_regions(op, r_out)
        ins: list[Tensor | None] = []
        buffers: list[Region | None] = []
        for i, t in enumerate(op.inputs):
            if t is None:
                ins.append(t)
                buffers.append(None)
            elif t.is_const:
                sliced = regs[i] is not None and regs[i] != Region.full(t.shape, regs[i].axes)
                ins.append(_sliced_const(t, regs[i]) if sliced else t)
                buffers.append(regs[i])
            elif id(t) in ext and (j, i) not in crops:
                ins.append(t)
                buffers.append(_buffer_region(t, p, ext, regs[i]))
            else:
                src = t if id(t) in ext else local[id(t)]
                have = _buffer_region(t, p, ext, regs[i])
                if (j, i) in crops:
                    need = regs[i]
                    dst = _local_tensor(t, need)
                    cop = Op(kind="TG_COPY_REGION", inputs=[src], outputs=[dst],
                             attrs=CopyRegionAttrs(src_region=Region(need.y0 - have.y0, need.y1 - have.y0,
                                                                     need.x0 - have.x0, need.x1 - have.x0, need.axes),
                                                   dst_origin=(0, 0)))
                    seq.append((f"crop{j}_{i}", cop, None))
                    src, have = dst, need
                ins.append(src)
                buffers.append(have)
        y = op.outputs[0]
        ly = _local_tensor(y, r_out)
        local[id(y)] = ly
        seq.append((f"t{j}", d.patch_op(op, ins, ly, buffers, r_out), j))
    # the patch's result into the full stage output
    r = p.regions[id(stage.output)]
    cop = Op(kind="TG_COPY_REGION", inputs=[local[id(stage.output)]], outputs=[stage.output],
             attrs=CopyRegionAttrs(src_region=Region(0, r.h, 0, r.w, r.axes), dst_origin=(r.y0, r.x0)))
    seq.append(("out", cop, None))
    return seq


def envelope(steps: list[LocalStep], stage: PatchStage, local_key: dict[int, str],
             kernels: dict[int, Kernel] | None = None) -> MemoryProblem:
    """The per-patch sequence as one memory problem: a tensor per local buffer key, sized for the
    largest patch; per step the largest scratch, and each partial overlap every patch allows at its
    smallest gap. External tensors and the stage output are outside (io_in_arena=False). `kernels`
    (by id of a local op) overrides the ops' chosen kernels, to price alternatives."""
    kernels = kernels or {}
    size: dict[str, int] = {}
    for st in steps:
        for lop in st.ops:
            for t in lop.outputs:
                key = local_key.get(id(t))
                if key is not None:
                    size[key] = max(size.get(key, 0), t.nbytes)
    env = {key: Tensor(name=key, shape=(n,), dtype="int8") for key, n in size.items()}

    def outer(t: Tensor | None) -> Tensor | None:
        key = local_key.get(id(t)) if t is not None else None
        return env[key] if key is not None else t

    ops, mem = [], []
    for st in steps:
        lop0 = st.ops[0]
        ops.append(Op(kind=st.kind, inputs=[outer(t) for t in lop0.inputs], outputs=[outer(t) for t in lop0.outputs]))
        gaps: dict[tuple[int, int], int] = {}
        allowed = None
        for lop in st.ops:
            here = {(i, o): g for i, o, g in kernels.get(id(lop), lop.kernel).overlap}
            allowed = set(here) if allowed is None else allowed & set(here)
            for io, g in here.items():
                gaps[io] = max(gaps.get(io, 0), g)
        overlap = tuple((i, o, gaps[(i, o)]) for (i, o) in sorted(allowed or ()))
        mem.append(StepMemory(scratch=max(kernels.get(id(lop), lop.kernel).scratch_bytes for lop in st.ops),
                              overlap=overlap))
    return MemoryProblem(ops=ops, inputs=list(stage.external), outputs=[stage.output], steps=mem)


def build_patch_plan(stage: PatchStage, target: Target, alignment: int = 16, planner: str = "exact",
                     guard: int = 0) -> PatchPlan:
    ext = {id(t) for t in stage.external}
    crops = crops_needed(stage)
    per_patch = [_patch_sequence(stage, p, crops, ext) for p in stage.patches]
    for seq in per_patch:
        for _key, lop, _j in seq:
            lop.variants = tuple(op_def(lop).variants(lop, target))
            lop.kernel = lop.variants[-1]  # the leanest; faster ones below where memory allows
    steps: list[LocalStep] = []
    local_key: dict[int, str] = {}
    for s in range(len(per_patch[0])):
        kinds = {seq[s][1].kind for seq in per_patch}
        assert len(kinds) == 1, "patches differ in their operator sequence"
        key = per_patch[0][s][0]
        steps.append(LocalStep(kind=per_patch[0][s][1].kind, ops=[seq[s][1] for seq in per_patch],
                               source=per_patch[0][s][2], key=key))
        if key != "out":
            for seq in per_patch:
                local_key[id(seq[s][1].outputs[0])] = key
    mem = MemoryOptions(alignment=alignment, io_in_arena=False, planner=planner)
    _faster_kernels(steps, stage, local_key, mem)
    problem = envelope(steps, stage, local_key)
    # guard > 0 (arena guard builds): canaries around the patch buffers too (tinygen.guard)
    mplan = plan_memory(problem, dataclasses.replace(mem, guard=guard))
    offsets: dict[str, tuple[int, int]] = {}
    for b in mplan.buffers:
        key = b.tensors[0].name if b.kind == "tensor" else b.id
        offsets[key] = (int(mplan.offsets[b.id]), b.size)
    scratch_total = align_up(max((o + n for o, n in offsets.values()), default=0) + mplan.guard, alignment)
    plan = PatchPlan(stage=stage, steps=steps, local_offsets=offsets, scratch_bytes=scratch_total,
                     output_gap=output_gap(stage), local_key=local_key, macs=stage.macs())
    _tabulate(plan)
    return plan


def _faster_kernels(steps: list[LocalStep], stage: PatchStage, local_key: dict[int, str], mem: MemoryOptions) -> None:
    """Per step (the most multiply-accumulates first), the fastest kernel variant, the same in every
    patch, that keeps the patch buffers as small as with the leanest kernels."""
    def size(kernels: dict[int, Kernel]) -> int:
        problem = envelope(steps, stage, local_key, kernels)
        return plan_memory(problem, dataclasses.replace(mem, check=False)).arena_bytes

    chosen: dict[int, Kernel] = {}
    limit = size(chosen)
    order = sorted(range(len(steps)), key=lambda s: -sum(op_def(lop).macs(lop) for lop in steps[s].ops))
    for s in order:
        ops = steps[s].ops
        names = [k.variant for k in ops[0].variants]
        if len(names) < 2 or any([k.variant for k in lop.variants] != names for lop in ops):
            continue
        for i in range(len(names) - 1):
            trial = dict(chosen)
            trial.update({id(lop): lop.variants[i] for lop in ops})
            if size(trial) <= limit:
                chosen = trial
                break
    for st in steps:
        for lop in st.ops:
            lop.kernel = chosen.get(id(lop), lop.kernel)


def output_gap(stage: PatchStage) -> int | None:
    """How far below the stage input the stage output may start (partial overlap): patches run in
    order; after patch t, writes into the output reach its region's last byte, while later
    patches still read the input from their region's first byte. Only for one image, one input."""
    if len(stage.external) != 1:
        return None
    x, y = stage.external[0], stage.output
    if x.shape[0] != 1 or y.shape[0] != 1:
        return None
    yw, yc = y.shape[2], y.shape[3] * y.itemsize
    written = 0
    lows = []
    for p in stage.patches:
        r = p.regions[id(x)]
        lows.append(r.first_offset(x.shape) * x.itemsize)  # (NHWC or NCHW: the region's first byte)
    # the lowest input byte still needed after patch t: min over later patches
    need: list[int | None] = [0] * len(lows)
    m = None
    for t in range(len(lows) - 1, -1, -1):
        need[t] = m
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
    """(path, value) of every scalar in kernel arguments (dataclasses, tuples, lists)."""
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
        c = copy.copy(v)
        object.__setattr__(c, head, _set(getattr(v, head), rest, new))
        return c
    raise TypeError(f"cannot set {path} in {type(v).__name__}")


def _column_name(step: int, kind: str, path: tuple) -> str:
    """e.g. conv_2d_0_padding_h: the step's operator kind and position, the argument's path."""
    return "_".join([f"{kind.lower()}_{step}"] + [str(p) for p in path if p != "params"])


def _tabulate(plan: PatchPlan) -> None:
    """Find the arguments that vary between patches; make them named table columns."""
    n = len(plan.stage.patches)
    table: list[list[int]] = [[] for _ in range(n)]
    columns: list[str] = []
    symbolic: list[Any] = []
    for s, step in enumerate(plan.steps):
        leaves = [dict(_leaves(op.kernel.args)) for op in step.ops]
        if any(set(lv) != set(leaves[0]) for lv in leaves) or _constants_differ(step.ops):
            symbolic.append(None)  # the structure or a constant operand differs: emitted per patch
            continue
        args = step.ops[0].kernel.args
        ok = True
        for path, v0 in leaves[0].items():
            vals = [lv[path] for lv in leaves]
            if all(v == v0 for v in vals):
                continue
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                ok = False
                break
            name = _column_name(s, step.kind, path)
            columns.append(name)
            for row, v in zip(table, vals):
                row.append(v)
            args = _set(args, path, Sym(f"g->{name}"))
        symbolic.append(args if ok else None)
    plan.columns, plan.table, plan.symbolic = columns, table, symbolic


def _constants_differ(ops: list[Op]) -> bool:
    """Whether the patches' operators of a step read different constants (an elementwise operand
    sliced per patch): the loop body can only name one."""
    first = ops[0].inputs
    for op in ops[1:]:
        for a, b in zip(first, op.inputs):
            if a is not None and b is not None and a.is_const and a is not b and (
                    a.shape != b.shape or not np.array_equal(a.data, b.data)):
                return True
    return False


def symbolic_kernel(k: Kernel, args: Any) -> Kernel:
    """The kernel with per-patch table lookups in its arguments (for the one loop body)."""
    return dataclasses.replace(k, args=args)


__all__ = ["LocalStep", "PatchPlan", "Sym", "build_patch_plan", "crops_needed", "envelope", "output_gap",
           "symbolic_kernel"]
