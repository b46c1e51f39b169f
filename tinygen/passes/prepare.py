"""Pass `prepare`: quantization math and kernel parameters for every operator (op.params)."""

from __future__ import annotations

from ..ir import Graph
from ..errors import UnsupportedError
from ..ops import get_op_def, unsupported
from .check import MALFORMED


def run(graph: Graph, options) -> Graph:
    for op in graph.ops:
        try:
            op.params = get_op_def(op.kind).prepare(op)
        except UnsupportedError:
            raise
        except MALFORMED as e:
            raise unsupported(op, f"cannot compute its parameters ({type(e).__name__}: {e})") from None
    return graph
