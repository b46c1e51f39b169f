"""Pass `check`: every operator is supported exactly (types, shapes, options), before any C exists."""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph
from ..ops import get_op_def, unsupported


def run(graph: Graph, options) -> Graph:
    if not graph.ops:
        raise UnsupportedError("the model has no operators")
    for op in graph.ops:
        d = get_op_def(op.kind)
        if d is None:
            raise unsupported(op, f"operator type {op.kind} is not supported by tinygen")
        d.check(op)
    for t in list(graph.inputs) + list(graph.outputs):
        if t.dtype not in ("int8", "float32"):
            raise UnsupportedError(f"graph input/output {t.name!r} has type {t.dtype}; tinygen supports int8 (and float32 around QUANTIZE/DEQUANTIZE)")
    return graph
