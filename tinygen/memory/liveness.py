"""Buffers and their lifetimes over the schedule.

A *buffer* is a piece of arena memory: one activation tensor, the group of tensors that alias it
(RESHAPE/SQUEEZE/EXPAND_DIMS outputs share their input's memory), or an operator's scratch space.
Lifetimes are inclusive operator positions in the schedule; graph inputs are live from position 0
(they are written before the first operator runs), graph outputs until the last position.

The same rules, independent of any order, are in `ValueModel`: the scheduler uses it to price
candidate orders (`ValueModel.live_bytes_per_step(order)` equals `live_bytes_per_op` of the
buffers of the graph run in that order).
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

    @property
    def names(self) -> list[str]:
        """Tensor names for reports (the op's label for scratch buffers)."""
        if self.kind == "scratch":
            return [f"scratch of {self.op.label}" if self.op is not None else "scratch"]
        return [t.name for t in self.tensors]


def alias_root_map(graph: Graph) -> dict[int, Tensor]:
    """id(tensor) -> the tensor whose memory it uses (itself unless produced by an alias op)."""
    root: dict[int, Tensor] = {}
    for op in graph.ops:
        d = get_op_def(op.kind)
        if (d is not None and d.alias) or op.notes.get("inplace"):
            # aliases reinterpret their input; in-place operators write over it
            src = op.inputs[0]
            root[id(op.outputs[0])] = root.get(id(src), src)
    return root


def compute_buffers(graph: Graph, scratch: dict[int, int] | None = None,
                    io_in_arena: bool = True) -> list[Buffer]:
    """Arena buffers of a scheduled graph. `scratch` maps op position -> scratch bytes.

    Tensors whose memory is a constant (an alias op applied to a constant) get no buffer."""
    roots = alias_root_map(graph)
    n = len(graph.ops)
    by_root: dict[int, Buffer] = {}
    order: list[Buffer] = []

    def touch(t: Tensor, pos: int) -> None:
        r = roots.get(id(t), t)
        if r.is_const:
            return
        b = by_root.get(id(r))
        if b is None:
            b = Buffer(id=f"t{len(order)}", size=r.nbytes, first=pos, last=pos, tensors=[r])
            by_root[id(r)] = b
            order.append(b)
        if t is not r and all(x is not t for x in b.tensors):
            b.tensors.append(t)
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


def live_buffers_per_op(buffers: list[Buffer], n_ops: int) -> list[list[Buffer]]:
    """The buffers live at each operator position, in the order of `buffers`."""
    live: list[list[Buffer]] = [[] for _ in range(max(n_ops, 1))]
    for b in buffers:
        for p in range(max(b.first, 0), min(b.last, n_ops - 1) + 1):
            live[p].append(b)
    return live


# -- order-independent view, for the scheduler ------------------------------------------------------

@dataclass
class ValueModel:
    """The graph's memory seen by the scheduler: *values* (one per arena buffer a tensor needs:
    alias groups count once) and, per operator, the values it reads and the ones it creates.

    An operator's step needs every value still live before it runs, plus the values it creates,
    plus its scratch space. A value is freed after the step of its last reader; graph outputs are
    never freed; graph inputs are live from the first step.
    """

    sizes: list[int]
    #: per op (index into graph.ops): values read, values created, scratch bytes
    reads: list[tuple[int, ...]]
    creates: list[tuple[int, ...]]
    scratch: list[int]
    #: per op: the ops that must run before it (producers of what it reads)
    preds: list[tuple[int, ...]]
    #: per value: the ops reading it
    readers: list[tuple[int, ...]]
    #: values live from the first step (graph inputs in the arena)
    initial: tuple[int, ...]
    #: values live until the end (graph outputs in the arena)
    pinned: frozenset[int]

    @property
    def n_ops(self) -> int:
        return len(self.reads)

    def live_bytes_per_step(self, order: list[int]) -> list[int]:
        """Live bytes at each step when the ops run in `order` (indices into graph.ops)."""
        remaining = [len(r) for r in self.readers]
        live = set(self.initial)
        cur = sum(self.sizes[v] for v in live)
        out = []
        for op in order:
            new = [v for v in self.creates[op] if v not in live]
            step = cur + sum(self.sizes[v] for v in new) + self.scratch[op]
            out.append(step)
            live.update(new)
            cur += sum(self.sizes[v] for v in new)
            for v in set(self.reads[op]):
                remaining[v] -= 1
            for v in set(self.reads[op]) | set(new):
                if remaining[v] == 0 and v not in self.pinned and v in live:
                    live.discard(v)
                    cur -= self.sizes[v]
            if len(out) == 1:  # graph inputs nobody reads live at the first step only
                for v in list(live):
                    if remaining[v] == 0 and v not in self.pinned:
                        live.discard(v)
                        cur -= self.sizes[v]
        return out


def value_model(graph: Graph, scratch: dict[int, int] | None = None, io_in_arena: bool = True) -> ValueModel:
    """`scratch` maps id(op) -> scratch bytes (ids, since the scheduler moves ops around)."""
    roots = alias_root_map(graph)
    index: dict[int, int] = {}
    sizes: list[int] = []
    io_roots = {id(roots.get(id(t), t)) for t in list(graph.inputs) + list(graph.outputs)}

    def value(t: Tensor | None) -> int | None:
        if t is None:
            return None
        r = roots.get(id(t), t)
        if r.is_const or (not io_in_arena and id(r) in io_roots):
            return None
        v = index.get(id(r))
        if v is None:
            v = index[id(r)] = len(sizes)
            sizes.append(r.nbytes)
        return v

    initial = []
    for t in graph.inputs:
        v = value(t)
        if v is not None and v not in initial:
            initial.append(v)
    producer: dict[int, int] = {}  # id(tensor) -> op index
    reads, creates, scr, preds = [], [], [], []
    for k, op in enumerate(graph.ops):
        for t in op.outputs:
            producer[id(t)] = k
    for k, op in enumerate(graph.ops):
        rs = []
        pr = set()
        for t in op.inputs:
            if t is None or t.is_const:
                continue
            if id(t) in producer:
                pr.add(producer[id(t)])
            v = value(t)
            if v is not None and v not in rs:
                rs.append(v)
        d = get_op_def(op.kind)
        cs = []
        if not (d is not None and d.alias):
            for t in op.outputs:
                v = value(t)
                if v is not None and v not in cs and v not in initial:
                    cs.append(v)
        else:
            for t in op.outputs:
                value(t)
        reads.append(tuple(rs))
        creates.append(tuple(cs))
        scr.append(int((scratch or {}).get(id(op), 0)))
        preds.append(tuple(sorted(pr)))
    readers: list[list[int]] = [[] for _ in sizes]
    for k, rs in enumerate(reads):
        for v in rs:
            readers[v].append(k)
    pinned = frozenset(v for v in (value(t) for t in graph.outputs) if v is not None)
    return ValueModel(sizes=sizes, reads=reads, creates=creates, scratch=scr, preds=preds,
                      readers=[tuple(r) for r in readers], initial=tuple(initial), pinned=pinned)
