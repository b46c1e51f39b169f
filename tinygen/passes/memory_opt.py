"""Pass `memory_opt`: let outputs reuse the memory of inputs that die at the same operator.

Two tools, chosen per operator by what they cost:
- in-place depthwise convolution (MCUNet/TinyEngine): the output is written over the input one
  channel at a time through a scratch buffer of one output channel (out_h * out_w bytes); input
  and output become one buffer (op.notes["inplace"]);
- partial overlap (vMCU): the output may start `gap` bytes below its input, because the kernel
  writes in raster order behind what it still reads (op.notes["io_overlap"], see
  tinygen.memory.overlap); the planner decides whether to use it.
A depthwise convolution takes whichever costs fewer extra bytes (scratch vs gap).
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
    x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
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


def run(graph: Graph, options) -> Graph:
    if not (options.inplace or options.overlap):
        return graph
    for pos, op in enumerate(graph.ops):
        d = get_op_def(op.kind)
        gaps = d.overlap_gaps(op) if options.overlap else []
        if options.inplace and inplace_ok(graph, pos, options):
            y = op.outputs[0]
            scratch = y.shape[1] * y.shape[2]
            gap = min((g for i, o, g in gaps if i == 0), default=None)
            if gap is None or scratch < gap:
                op.notes["inplace"] = True
                op.notes.pop(IO_OVERLAP_NOTE, None)
                continue
        if gaps:
            op.notes[IO_OVERLAP_NOTE] = gaps
    return graph
