"""What memory planning sees of a (sub)graph, and its buffers with their lifetimes.

A `MemoryProblem` is a list of scheduled operators, the tensors that enter it (graph inputs, or a
sub-graph's external tensors) and leave it (graph outputs), and per operator a `StepMemory`: what
its chosen kernel needs (scratch bytes), whether its output is its input reinterpreted (an alias:
RESHAPE...) or written over it (in place), and how far its output may overlap a dying input (the
kernel's write order). The whole model and the per-patch sequence of a patch stage are both
planned from a MemoryProblem (tinygen.memory.plan.plan_memory).

A *buffer* is a piece of arena memory: one activation tensor, the group of tensors that share its
memory (aliases, in-place outputs), or an operator's scratch space. Lifetimes are inclusive
operator positions in the schedule; inputs are live from position 0 (they are written before the
first operator runs), outputs until the last position.

The same rules, independent of any order, are in `ValueModel`: the scheduler uses it to price
candidate orders (`ValueModel.live_bytes_per_step(order)` equals `live_bytes_per_op` of the
buffers of the graph run in that order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ..ir import Gap, Graph, Kernel, Op, Tensor
from ..ops import op_def


@dataclass(frozen=True)
class StepMemory:
    """What memory planning needs to know of one operator (from its definition and kernel)."""

    #: bytes of scratch memory the kernel needs during this operator only
    scratch: int = 0
    #: output 0 is input 0 reinterpreted: no code, the same memory
    alias: bool = False
    #: output 0 is written over input 0: the same memory
    inplace: bool = False
    #: (input index, output index, gap): partial overlaps the kernel's write order allows
    overlap: tuple[Gap, ...] = ()


def step_memory(op: Op, kernel: Kernel | None = None) -> StepMemory:
    """The memory facts of `op` running `kernel` (default: its chosen kernel; none yet: no scratch,
    no overlap)."""
    if op_def(op).alias:
        return StepMemory(alias=True)
    k = kernel if kernel is not None else op.kernel
    if k is None:
        return StepMemory()
    return StepMemory(scratch=k.scratch_bytes, inplace=k.inplace, overlap=tuple(k.overlap))


@dataclass
class MemoryProblem:
    """A scheduled (sub)graph as memory planning sees it."""

    ops: list[Op]
    inputs: list[Tensor]
    outputs: list[Tensor]
    steps: list[StepMemory]

    @staticmethod
    def of(ops: Sequence[Op], inputs: Sequence[Tensor], outputs: Sequence[Tensor],
           kernels: Mapping[int, Kernel] | None = None) -> "MemoryProblem":
        """The problem of `ops` with their chosen kernels, or the kernels in `kernels` (by id(op))
        where given: how passes price alternatives without changing the operators."""
        kernels = kernels or {}
        return MemoryProblem(ops=list(ops), inputs=list(inputs), outputs=list(outputs),
                             steps=[step_memory(op, kernels.get(id(op))) for op in ops])

    @staticmethod
    def of_graph(graph: Graph, kernels: Mapping[int, Kernel] | None = None) -> "MemoryProblem":
        return MemoryProblem.of(graph.ops, graph.inputs, graph.outputs, kernels)

    def is_input(self, t: Tensor) -> bool:
        return any(t is g for g in self.inputs)


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


def alias_root_map(problem: MemoryProblem) -> dict[int, Tensor]:
    """id(tensor) -> the tensor whose memory it uses (itself unless produced by an alias or an
    in-place operator)."""
    root: dict[int, Tensor] = {}
    for op, step in zip(problem.ops, problem.steps):
        if step.alias or step.inplace:
            # aliases reinterpret their input; in-place operators write over it
            src = op.inputs[0]
            root[id(op.outputs[0])] = root.get(id(src), src)
    return root


def compute_buffers(problem: MemoryProblem, io_in_arena: bool = True) -> list[Buffer]:
    """Arena buffers of a scheduled (sub)graph, scratch buffers included. Tensors whose memory is
    a constant (an alias op applied to a constant) get no buffer; with io_in_arena=False, neither
    do the inputs and outputs (they live elsewhere)."""
    roots = alias_root_map(problem)
    n = len(problem.ops)
    by_root: dict[int, Buffer] = {}
    order: list[Buffer] = []

    def touch(t: Tensor, pos: int) -> None:
        r = roots.get(id(t), t)
        if r.is_static:
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

    for t in problem.inputs:
        touch(t, 0)
    for pos, op in enumerate(problem.ops):
        for t in op.inputs:
            if t is not None and not t.is_static:
                touch(t, pos)
        for t in op.outputs:
            touch(t, pos)
    for t in problem.outputs:
        touch(t, max(n - 1, 0))
    bufs = order
    if not io_in_arena:
        io = {id(roots.get(id(t), t)) for t in list(problem.inputs) + list(problem.outputs)}
        bufs = [b for b in bufs if id(b.tensors[0]) not in io]
    for pos, step in enumerate(problem.steps):
        if step.scratch > 0:
            bufs.append(Buffer(id=f"s{pos}", size=step.scratch, first=pos, last=pos, kind="scratch",
                               op=problem.ops[pos]))
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


def value_model(problem: MemoryProblem, io_in_arena: bool = True) -> ValueModel:
    """The order-independent view of `problem` (operator k of the model is problem.ops[k])."""
    roots = alias_root_map(problem)
    index: dict[int, int] = {}
    sizes: list[int] = []
    io_roots = {id(roots.get(id(t), t)) for t in list(problem.inputs) + list(problem.outputs)}

    def value(t: Tensor | None) -> int | None:
        if t is None:
            return None
        r = roots.get(id(t), t)
        if r.is_static or (not io_in_arena and id(r) in io_roots):
            return None
        v = index.get(id(r))
        if v is None:
            v = index[id(r)] = len(sizes)
            sizes.append(r.nbytes)
        return v

    initial = []
    for t in problem.inputs:
        v = value(t)
        if v is not None and v not in initial:
            initial.append(v)
    producer: dict[int, int] = {}  # id(tensor) -> op index
    reads, creates, scr, preds = [], [], [], []
    for k, op in enumerate(problem.ops):
        for t in op.outputs:
            producer[id(t)] = k
    for k, (op, step) in enumerate(zip(problem.ops, problem.steps)):
        rs = []
        pr = set()
        for t in op.inputs:
            if t is None or t.is_static:
                continue
            if id(t) in producer:
                pr.add(producer[id(t)])
            v = value(t)
            if v is not None and v not in rs:
                rs.append(v)
        cs = []
        if not (step.alias or step.inplace):
            for t in op.outputs:
                v = value(t)
                if v is not None and v not in cs and v not in initial:
                    cs.append(v)
        else:
            for t in op.outputs:
                value(t)
        reads.append(tuple(rs))
        creates.append(tuple(cs))
        scr.append(int(step.scratch))
        preds.append(tuple(sorted(pr)))
    readers: list[list[int]] = [[] for _ in sizes]
    for k, rs in enumerate(reads):
        for v in rs:
            readers[v].append(k)
    pinned = frozenset(v for v in (value(t) for t in problem.outputs) if v is not None)
    return ValueModel(sizes=sizes, reads=reads, creates=creates, scratch=scr, preds=preds,
                      readers=[tuple(r) for r in readers], initial=tuple(initial), pinned=pinned)
