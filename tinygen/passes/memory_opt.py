"""Pass `memory_opt`: let outputs reuse the memory of inputs that die at the same operator.

Two tools:
- in-place depthwise convolution (MCUNet/TinyEngine): the output is written over the input one
  channel at a time through a small scratch buffer (one output channel, or a ring of a few output
  rows); input and output become one buffer (op.notes["inplace"]);
- partial overlap (vMCU): the output may start `gap` bytes below its input, because the kernel
  writes in raster order behind what it still reads (op.notes["io_overlap"], see
  tinygen.memory.overlap); the planner decides whether to use it.
In-place merges a depthwise input and output into one buffer, which couples their lifetimes,
while the overlap rule keeps them apart; which is better depends on the neighbours. So three
global choices are planned (cheapest locally, overlap wherever possible, in-place wherever
possible), the best is kept, and then single operators are flipped where that shrinks the arena.
"""

from __future__ import annotations

from ..ir import Graph
from ..memory.liveness import alias_root_map
from ..memory.plan import IO_OVERLAP_NOTE
from ..ops import get_op_def


def _last_uses(graph: Graph) -> dict[int, int]:
    """id(root tensor) -> last position reading it (graph outputs: past the end)."""
    roots = alias_root_map(graph)
    last: dict[int, int] = {}
    for pos, op in enumerate(graph.ops):
        for t in op.inputs:
            if t is not None and not t.is_const:
                r = roots.get(id(t), t)
                last[id(r)] = max(last.get(id(r), -1), pos)
    for t in graph.outputs:
        r = roots.get(id(t), t)
        last[id(r)] = len(graph.ops)
    return last


def inplace_ok(graph: Graph, pos: int, options) -> bool:
    op = graph.ops[pos]
    if op.kind != "DEPTHWISE_CONV_2D":
        return False
    x, y = op.inputs[0], op.outputs[0]
    a = op.attrs
    if a.depth_multiplier != 1 or y.shape[1] > x.shape[1] or y.shape[2] > x.shape[2] or x.shape[0] != 1:
        return False
    roots = alias_root_map(graph)
    r = roots.get(id(x), x)
    if r.is_const or _last_uses(graph).get(id(r)) != pos:
        return False
    if graph.is_graph_input(r) and not options.io_in_arena:
        return False  # the caller's buffer is const
    return True


def _inplace_scratch(op) -> int:
    """Scratch bytes the in-place kernel would need (asked from the kernel library)."""
    d = get_op_def(op.kind)
    saved_notes, saved_params = dict(op.notes), op.params
    op.notes["inplace"] = True
    try:
        op.params = d.prepare(op)
        return d.scratch_bytes(op)
    finally:
        op.notes, op.params = saved_notes, saved_params


def _scratch_sizes(graph: Graph, eligible) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """Scratch bytes of every operator, and of each eligible depthwise operator under both choices
    (prepared once here, so the trials below only re-plan)."""
    base, both = {}, {}
    for pos, op in enumerate(graph.ops):
        d = get_op_def(op.kind)
        op.params = d.prepare(op)
        base[pos] = d.scratch_bytes(op)
    for pos, _ in eligible:
        op = graph.ops[pos]
        both[pos] = {"inplace": _inplace_scratch(op), "overlap": 0}
    return base, both


def _arena(graph: Graph, options, base: dict[int, int], both: dict[int, dict[str, int]],
           planner: str = "heuristic") -> int:
    """Arena of the graph with the current in-place/overlap choices."""
    from ..memory import make_plan

    scratch = dict(base)
    for pos, sizes in both.items():
        scratch[pos] = sizes["inplace" if graph.ops[pos].notes.get("inplace") else "overlap"]
    return make_plan(graph, scratch, planner=planner, alignment=options.alignment,
                     io_in_arena=options.io_in_arena, check=False,
                     time_limit=min(options.planner_time_limit, 1.0)).arena_bytes


def _choose(op, choice: str, gaps) -> None:
    if choice == "inplace":
        op.notes["inplace"] = True
        op.notes.pop(IO_OVERLAP_NOTE, None)
    else:
        op.notes.pop("inplace", None)
        if gaps:
            op.notes[IO_OVERLAP_NOTE] = gaps
        else:
            op.notes.pop(IO_OVERLAP_NOTE, None)


def run(graph: Graph, options, search: bool = True) -> Graph:
    """`search=False` keeps the locally cheapest choice per operator (fast; for estimates)."""
    if not (options.inplace or options.overlap):
        return graph
    eligible: list[tuple[int, list]] = []
    for pos, op in enumerate(graph.ops):
        d = get_op_def(op.kind)
        gaps = d.overlap_gaps(op) if options.overlap else []
        if options.inplace and inplace_ok(graph, pos, options):
            scratch = _inplace_scratch(op)
            gap = min((g for i, o, g in gaps if i == 0), default=None)
            _choose(op, "inplace" if gap is None or scratch < gap else "overlap", gaps)
            if gaps:
                eligible.append((pos, gaps))
            continue
        if gaps:
            op.notes[IO_OVERLAP_NOTE] = gaps
    if search and eligible and len(eligible) <= 64:
        base, both = _scratch_sizes(graph, eligible)
        local = {pos: ("inplace" if graph.ops[pos].notes.get("inplace") else "overlap") for pos, _ in eligible}
        configs = [local, {pos: "overlap" for pos, _ in eligible}, {pos: "inplace" for pos, _ in eligible}]
        results = []
        for cfg in configs:
            for pos, gaps in eligible:
                _choose(graph.ops[pos], cfg[pos], gaps)
            results.append(_arena(graph, options, base, both, planner="exact"))
        cfg = configs[min(range(len(configs)), key=lambda i: (results[i], i))]
        for pos, gaps in eligible:
            _choose(graph.ops[pos], cfg[pos], gaps)
        best = _arena(graph, options, base, both)
        for pos, gaps in eligible:
            op = graph.ops[pos]
            current = "inplace" if op.notes.get("inplace") else "overlap"
            _choose(op, "overlap" if current == "inplace" else "inplace", gaps)
            arena = _arena(graph, options, base, both)
            if arena < best:
                best = arena
            else:
                _choose(op, current, gaps)
        for op in graph.ops:
            op.params = None
    return graph
