"""Buffers and their lifetimes over the schedule.

A *buffer* is a piece of arena memory: one activation tensor, the group of tensors that alias it
(RESHAPE/SQUEEZE/EXPAND_DIMS outputs share their input's memory), or an operator's scratch space.
Lifetimes are inclusive operator positions in the schedule; graph inputs are live from position 0
(they are written before the first operator runs), graph outputs until the last position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Op, Tensor
from ..ops import get_op_def


@dataclass(eq=False)
class Buffer:
    id: str
    size: int
    first: int
    last: int
    kind: str = "tensor"  # "tensor" | "scratch"
    tensors: list[Tensor] = field(default_factory=list)
    op: Op | None = None  # for scratch buffers

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


def alias_root_map(graph: Graph) -> dict[int, Tensor]:
    """id(tensor) -> the tensor whose memory it uses (itself unless produced by an alias op)."""
    root: dict[int, Tensor] = {}
    for op in graph.ops:
        d = get_op_def(op.kind)
        if d is not None and d.alias:
            src = op.inputs[0]
            root[id(op.outputs[0])] = root.get(id(src), src)
    return root


def compute_buffers(graph: Graph, scratch: dict[int, int] | None = None,
                    io_in_arena: bool = True) -> list[Buffer]:
    """Arena buffers of a scheduled graph. `scratch` maps op position -> scratch bytes."""
    roots = alias_root_map(graph)
    n = len(graph.ops)
    by_root: dict[int, Buffer] = {}
    order: list[Buffer] = []

    def buf_for(t: Tensor) -> Buffer:
        r = roots.get(id(t), t)
        b = by_root.get(id(r))
        if b is None:
            b = Buffer(id=f"t{len(order)}", size=r.nbytes, first=n, last=-1, tensors=[r])
            by_root[id(r)] = b
            order.append(b)
        if t is not r and all(x is not t for x in b.tensors):
            b.tensors.append(t)
        return b

    def touch(t: Tensor, pos: int) -> None:
        b = buf_for(t)
        b.first = min(b.first, pos)
        b.last = max(b.last, pos)

    for t in graph.inputs:
        touch(t, 0)
    for pos, op in enumerate(graph.ops):
        for t in op.inputs:
            if t is not None and not t.is_const:
                touch(t, pos)
        for t in op.outputs:
            touch(t, pos)
    for t in graph.outputs:
        touch(t, max(n - 1, 0))
    bufs = order
    if not io_in_arena:
        io = {id(roots.get(id(t), t)) for t in list(graph.inputs) + list(graph.outputs)}
        bufs = [b for b in bufs if id(b.tensors[0]) not in io]
    for pos, size in sorted((scratch or {}).items()):
        if size > 0:
            bufs.append(Buffer(id=f"s{pos}", size=size, first=pos, last=pos, kind="scratch", op=graph.ops[pos]))
    return bufs


def live_bytes_per_op(buffers: list[Buffer], n_ops: int) -> list[int]:
    """Sum of live buffer sizes at each operator position (the layer-wise lower bound is the max)."""
    live = [0] * max(n_ops, 1)
    for b in buffers:
        for p in range(max(b.first, 0), min(b.last, n_ops - 1) + 1):
            live[p] += b.size
    return live
