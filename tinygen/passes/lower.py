"""Pass `lower`: every operator's kernel for the target, with its typed arguments (the quantization
math in Python, the scratch size from the kernel's own query): Op.kernel."""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph, Op, Target
from ..ops import op_def, unsupported
from .check import MALFORMED


def lower_op(op: Op, target: Target) -> None:
    try:
        op.kernel = op_def(op).lower(op, target)
    except UnsupportedError:
        raise
    except MALFORMED as e:
        raise unsupported(op, f"cannot compute its kernel's arguments ({type(e).__name__}: {e})") from None


def run(graph: Graph, target: Target) -> None:
    for op in graph.ops:
        lower_op(op, target)
