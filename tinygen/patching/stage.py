"""The patch stage: which operators run patch by patch, and the region every tensor of the stage
covers for each patch.

A stage is a prefix ops[0:k] of the schedule whose operators all run on spatial regions
(OpDef.input_regions: windowed and elementwise operators, PAD, TRANSPOSE, QUANTIZE, DEQUANTIZE,
CONCATENATION along channels...; regions are rows and columns of any two axes, so an NCHW graph
input read through its TRANSPOSE runs patch by patch too) and whose only tensor used after the stage is the output T of ops[k-1].
T's height and width are cut into a grid; for each patch, walking the stage backwards gives the
region of every earlier tensor the patch depends on (its receptive field, clipped to the image;
a tensor read by several operators covers the union of what they read). Operators whose inputs
come from the graph inputs read those whole tensors in place (no copy: the kernel gets a
padding offset instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..geometry import Region, split
from ..ir import Graph, Op, Tensor
from ..ops import get_op_def, op_def


class NotPatchable(Exception):
    pass


def region_bytes(t: Tensor, r: Region) -> int:
    """Bytes of region r of tensor t (all of its other axes)."""
    rows, cols = r.extent(t.shape)
    return t.nbytes // max(1, rows * cols) * r.area


@dataclass
class PatchGeometry:
    index: tuple[int, int]
    #: region of each stage tensor (by id) this patch computes or reads
    regions: dict[int, Region] = field(default_factory=dict)


@dataclass
class PatchStage:
    k: int
    grid: tuple[int, int]
    ops: list[Op]
    output: Tensor
    #: tensors produced inside the stage, other than the output (they exist only as patches)
    local: list[Tensor]
    #: non-constant tensors read by the stage but produced before it (graph inputs), read whole
    external: list[Tensor]
    patches: list[PatchGeometry]

    def region(self, p: PatchGeometry, t: Tensor) -> Region:
        return p.regions[id(t)]

    def local_bytes(self, t: Tensor) -> int:
        """Bytes of the patch buffer of a stage-local tensor: its largest region over all patches."""
        return max(region_bytes(t, p.regions[id(t)]) for p in self.patches)

    def macs(self) -> tuple[int, int]:
        """(multiply-accumulates of the stage run patch by patch, run layer by layer)."""
        patched = layerwise = 0
        for op in self.ops:
            m = op_def(op).macs(op)
            layerwise += m
            y = op.outputs[0]
            rows, cols = self.patches[0].regions[id(y)].extent(y.shape)
            per_px = m / max(1, rows * cols)
            patched += sum(round(per_px * p.regions[id(y)].area) for p in self.patches)
        return patched, layerwise


def stage_candidates(graph: Graph) -> list[int]:
    """Every k for which ops[0:k] is a valid patch stage (ascending)."""
    out = []
    for k in range(1, len(graph.ops) + 1):
        try:
            _check_stage(graph, k)
        except NotPatchable:
            if k > 1 and not _prefix_patchable(graph, k):
                break
            continue
        out.append(k)
    return out


def _prefix_patchable(graph: Graph, k: int) -> bool:
    for op in graph.ops[:k]:
        d = get_op_def(op.kind)
        if d is None or not d.patchable:
            return False
        if any(t.rank != 4 for t in op.outputs):
            return False
    return True


def _check_stage(graph: Graph, k: int) -> tuple[list[Op], Tensor, list[Tensor], list[Tensor]]:
    if not 1 <= k <= len(graph.ops):
        raise NotPatchable(f"stage length {k} out of range")
    ops = graph.ops[:k]
    if not _prefix_patchable(graph, k):
        raise NotPatchable("an operator of the stage cannot run on patches")
    out = ops[-1].outputs[0]
    if len(ops[-1].outputs) != 1 or out.rank != 4:
        raise NotPatchable("the stage output is not a 4-D tensor")
    produced = {id(t): t for op in ops for t in op.outputs}
    later_reads = {id(t) for op in graph.ops[k:] for t in op.inputs if t is not None}
    graph_outs = {id(t) for t in graph.outputs}
    local = []
    for tid, t in produced.items():
        if t is out:
            continue
        if tid in later_reads or tid in graph_outs:
            raise NotPatchable(f"tensor {t.name!r} is used after the stage")
        local.append(t)
    external = []
    for op in ops:
        for t in op.inputs:
            if t is not None and not t.is_const and id(t) not in produced and all(t is not e for e in external):
                if not graph.is_graph_input(t):
                    raise NotPatchable(f"tensor {t.name!r} comes from outside the stage")
                external.append(t)
    return ops, out, local, external


def make_stage(graph: Graph, k: int, grid: tuple[int, int]) -> PatchStage:
    ops, out, local, external = _check_stage(graph, k)
    h, w = out.shape[1], out.shape[2]
    rows, cols = split(h, grid[0]), split(w, grid[1])
    grid = (len(rows), len(cols))
    patches = []
    for i, (y0, y1) in enumerate(rows):
        for j, (x0, x1) in enumerate(cols):
            geo = PatchGeometry(index=(i, j))
            geo.regions[id(out)] = Region(y0, y1, x0, x1)
            for op in reversed(ops):
                y = op.outputs[0]
                r_out = geo.regions.get(id(y))
                if r_out is None:
                    raise NotPatchable(f"{op.label}: its output is not needed by the stage output")
                regs = op_def(op).input_regions(op, r_out)
                if regs is None:
                    raise NotPatchable(f"{op.label} cannot run on this region")
                for t, r in zip(op.inputs, regs):
                    if t is None or t.is_const:
                        continue
                    if r is None:
                        if any(t is e for e in external):
                            r = Region.full(t.shape)
                        else:
                            raise NotPatchable(f"{op.label} needs all of {t.name!r}, computed inside the stage")
                    if r.empty:
                        raise NotPatchable(f"{op.label}: a patch reads no element of {t.name!r}")
                    prev = geo.regions.get(id(t))
                    try:
                        geo.regions[id(t)] = r if prev is None else prev.union(r)
                    except ValueError as e:
                        raise NotPatchable(f"{t.name!r}: {e}") from None
            for t in external:
                geo.regions.setdefault(id(t), Region.full(t.shape))
            patches.append(geo)
    return PatchStage(k=k, grid=grid, ops=list(ops), output=out, local=local, external=external, patches=patches)
