"""Pass `lower`: every operator's kernels for the target, with their typed arguments (the
quantization math in Python, the scratch size from the kernel's own query): Op.variants, fastest
first, and Op.kernel, the fastest."""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph, Op, Target
from ..ops import op_def, unsupported
from .check import MALFORMED


def lower_op(op: Op, target: Target) -> None:
    """op.variants: every kernel the operator can run with on the target (fastest first); op.kernel:
    the fastest (memory_opt may pick a leaner one)."""
    try:
        op.variants = tuple(op_def(op).variants(op, target))
        op.kernel = op.variants[0]
    except UnsupportedError:
        raise
    except MALFORMED as e:
        raise unsupported(op, f"cannot compute its kernel's arguments ({type(e).__name__}: {e})") from None


def run(graph: Graph, target: Target) -> None:
    for op in graph.ops:
        lower_op(op, target)
