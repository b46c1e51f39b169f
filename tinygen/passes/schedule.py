"""Pass `schedule`: the operator order with the smallest peak of live bytes.

In a graph with branches (residual ADD, CONCATENATION of parallel paths, squeeze-and-excite MUL)
the order in which the branches run changes how many tensors are live at once: running the branch
that frees the most memory first can lower the peak, and with it the arena (the planner's lower
bound is this peak). The live bytes of a step follow tinygen.memory's liveness rules (see
`ValueModel`): aliases share memory, graph inputs are live from the first step, graph outputs to
the last, an operator's scratch counts at its own step.

Search. The state after some steps is the *set* of operators run so far (what is live depends
only on it), so a dynamic program over these sets, layer by layer (sets of 1, 2, ... operators),
finds the smallest peak; its number of states is small for the usual series of blocks (a block of
two parallel paths of lengths a and b has (a + 1)(b + 1) states). Among optimal orders it returns
the lexicographically smallest in original positions, which is the model's own order whenever
that one is optimal. When a layer holds more than `beam_width` sets (many wide branches), only the
best `beam_width` are kept (least peak so far, then least live bytes), plus the model's own order,
and the result is flagged as not proven optimal. The model's order is kept unless another order
has a strictly lower peak.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..ir import Graph
from ..memory.liveness import MemoryProblem, ValueModel, value_model
from ..memory.variants import leanest
from ..options import CompileOptions

#: operators with effects beyond their outputs: kept in their original relative order
STATEFUL_KINDS = frozenset({"ASSIGN_VARIABLE", "READ_VARIABLE", "VAR_HANDLE", "CALL_ONCE"})

#: most sets of executed operators kept per layer before the search becomes a beam search
DEFAULT_BEAM_WIDTH = 2_000


@dataclass
class ScheduleResult:
    #: operator indices (positions in the original order) in execution order
    order: list[int]
    #: peak live bytes of `order`, and of the original order
    peak_bytes: int
    original_peak_bytes: int
    #: "exact" (proven optimal), "beam" (heuristic) or "file" (not searched)
    method: str
    proven_optimal: bool
    states: int
    seconds: float

    @property
    def changed(self) -> bool:
        return self.order != sorted(self.order)

    def summary(self) -> dict:
        return dict(peak_bytes=self.peak_bytes, original_peak_bytes=self.original_peak_bytes, method=self.method,
                    proven_optimal=self.proven_optimal, reordered=self.changed, states=self.states,
                    seconds=round(self.seconds, 4))


def _bits(mask: int):
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def best_order(model: ValueModel, beam_width: int = DEFAULT_BEAM_WIDTH,
               extra_preds: dict[int, tuple[int, ...]] | None = None) -> ScheduleResult:
    """The topological order of `model`'s operators with the smallest peak of live bytes."""
    t0 = time.perf_counter()
    n = model.n_ops
    original = list(range(n))
    original_peak = max(model.live_bytes_per_step(original), default=0)
    if n == 0:
        return ScheduleResult(original, 0, 0, "exact", True, 1, time.perf_counter() - t0)
    sizes = model.sizes
    pred_mask = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for o in range(n):
        ps = set(model.preds[o]) | set((extra_preds or {}).get(o, ()))
        for p in ps:
            pred_mask[o] |= 1 << p
            succ[p].append(o)
    reader_mask = [0] * len(sizes)
    for v, rs in enumerate(model.readers):
        for o in rs:
            reader_mask[v] |= 1 << o
    new_bytes = [sum(sizes[v] for v in model.creates[o]) for o in range(n)]
    step_extra = [new_bytes[o] + model.scratch[o] for o in range(n)]
    touched = [tuple(set(model.reads[o]) | set(model.creates[o])) for o in range(n)]
    pinned = model.pinned
    unread_initial = sum(sizes[v] for v in model.initial if reader_mask[v] == 0 and v not in pinned)

    def advance(S: int, live: int, ready: int, o: int) -> tuple[int, int, int]:
        """State after running o from S: (set, live bytes, ready operators)."""
        S2 = S | (1 << o)
        freed = 0
        for v in touched[o]:
            if reader_mask[v] & ~S2 == 0 and v not in pinned:
                freed += sizes[v]
        if S == 0:
            freed += unread_initial
        ready2 = ready & ~(1 << o)
        for s in succ[o]:
            if pred_mask[s] & ~S2 == 0:
                ready2 |= 1 << s
        return S2, live + new_bytes[o] - freed, ready2

    ready0 = 0
    for o in range(n):
        if pred_mask[o] == 0:
            ready0 |= 1 << o
    # layer k: set -> [best peak of a path to it, live bytes, ready mask, parent set, op]
    layers: list[dict[int, list]] = [{0: [0, sum(sizes[v] for v in model.initial), ready0, -1, -1]}]
    exact = True
    states = 1
    orig_state = 0
    for k in range(n):
        cur = layers[-1]
        nxt: dict[int, list] = {}
        for S in sorted(cur):
            peak, live, ready, _, _ = cur[S]
            for o in _bits(ready):
                step = live + step_extra[o]
                p2 = peak if peak > step else step
                S2, live2, ready2 = advance(S, live, ready, o)
                e = nxt.get(S2)
                if e is None:
                    nxt[S2] = [p2, live2, ready2, S, o]
                elif p2 < e[0]:
                    e[0], e[3], e[4] = p2, S, o
        orig_state |= 1 << original[k]
        states += len(nxt)
        if len(nxt) > beam_width:
            exact = False
            keep = sorted(nxt, key=lambda s: (nxt[s][0], nxt[s][1], s))[:beam_width]
            if orig_state not in keep:
                keep.append(orig_state)
            nxt = {s: nxt[s] for s in keep}
        layers.append(nxt)
    full = (1 << n) - 1
    best_peak = layers[-1][full][0]

    if exact:
        # cost to go: the least peak of the remaining steps from each set; then rebuild the
        # lexicographically smallest optimal order
        ctg: list[dict[int, int]] = [dict() for _ in range(n + 1)]
        ctg[n][full] = 0
        for k in range(n - 1, -1, -1):
            for S, (_, live, ready, _, _) in layers[k].items():
                best = None
                for o in _bits(ready):
                    c = max(live + step_extra[o], ctg[k + 1][S | (1 << o)])
                    if best is None or c < best:
                        best = c
                ctg[k][S] = best
        best_peak = ctg[0][0]
        order, S = [], 0
        for k in range(n):
            live, ready = layers[k][S][1], layers[k][S][2]
            for o in _bits(ready):  # increasing op index
                if max(live + step_extra[o], ctg[k + 1][S | (1 << o)]) <= best_peak:
                    order.append(o)
                    S |= 1 << o
                    break
    else:
        order, S = [], full
        for k in range(n, 0, -1):
            e = layers[k][S]
            order.append(e[4])
            S = e[3]
        order.reverse()
    if best_peak >= original_peak:
        order, best_peak = original, original_peak
    return ScheduleResult(order=order, peak_bytes=best_peak, original_peak_bytes=original_peak,
                          method="exact" if exact else "beam", proven_optimal=exact, states=states,
                          seconds=time.perf_counter() - t0)


def _stateful_chain(graph: Graph) -> dict[int, tuple[int, ...]]:
    """Extra ordering constraints: stateful operators keep their relative order, and so do the
    operators that read (and update) the same variable tensor."""
    prev = None
    extra: dict[int, set[int]] = {}
    last_user: dict[int, int] = {}  # id(variable tensor) -> last operator using it
    for k, op in enumerate(graph.ops):
        if op.kind in STATEFUL_KINDS:
            if prev is not None:
                extra.setdefault(k, set()).add(prev)
            prev = k
        for t in op.inputs:
            if t is not None and t.is_variable:
                if id(t) in last_user and last_user[id(t)] != k:
                    extra.setdefault(k, set()).add(last_user[id(t)])
                last_user[id(t)] = k
    return {k: tuple(sorted(v)) for k, v in extra.items()}


def schedule_graph(graph: Graph, io_in_arena: bool = True, beam_width: int = DEFAULT_BEAM_WIDTH,
                   problem: MemoryProblem | None = None) -> ScheduleResult:
    """Reorder graph.ops in place for the smallest peak of live bytes. `problem`: the graph as
    memory sees it (default: with the operators' chosen kernels, for their scratch sizes)."""
    model = value_model(problem or MemoryProblem.of_graph(graph), io_in_arena=io_in_arena)
    res = best_order(model, beam_width=beam_width, extra_preds=_stateful_chain(graph))
    if res.changed:
        graph.ops = [graph.ops[i] for i in res.order]
    return res


def run(graph: Graph, options: CompileOptions) -> ScheduleResult | None:
    """The schedule found (None: options.schedule keeps the model's order), priced with every
    operator's leanest kernel (memory_opt later trades spare memory for faster kernels)."""
    if options.schedule in ("file", "keep", "none"):
        return None
    lean = MemoryProblem.of_graph(graph, kernels={id(op): leanest(op) for op in graph.ops})
    return schedule_graph(graph, io_in_arena=options.io_in_arena, problem=lean)
