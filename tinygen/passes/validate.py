"""Pass `validate`: the IR invariants every pass output must satisfy."""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph
from ..sanitize import quote_name


class IRError(AssertionError):
    pass


def validate(graph: Graph) -> None:
    """Topological order, single producer per tensor, inputs available before use."""
    available = {id(t) for t in graph.inputs}
    produced: set[int] = set()
    for pos, op in enumerate(graph.ops):
        for t in op.inputs:
            if t is None or t.is_static:
                continue
            if id(t) not in available:
                raise IRError(f"op {pos} ({op.label}) reads {quote_name(t.name)} before it is produced")
        for t in op.outputs:
            if t.is_variable:
                raise IRError(f"op {pos} ({op.label}) writes variable tensor {t.name!r} as an output")
            if id(t) in produced or any(t is g for g in graph.inputs):
                raise IRError(f"tensor {quote_name(t.name)} is written twice (op {pos}, {op.label})")
            produced.add(id(t))
            available.add(id(t))
    for t in list(graph.inputs) + list(graph.outputs):
        if t.is_variable:
            raise IRError(f"graph input/output {t.name!r} is a variable tensor")
    for t in graph.outputs:
        if id(t) not in available:
            raise IRError(f"graph output {quote_name(t.name)} is never produced")


def run(graph: Graph) -> None:
    try:
        validate(graph)
    except IRError as e:
        raise UnsupportedError(f"malformed graph: {e}") from None
