"""The graph IR: a list of operators in execution order over tensors.

Passes transform a Graph in place; `tinygen.ir.validate.validate` states the invariants every
pass output must satisfy. Operators carry a typed `attrs` object (what the model says, parsed by
the op's definition in tinygen/ops/) and, after the `prepare` pass, a typed `params` object (what
the kernel needs: requantization multipliers, activation ranges, padding...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .tensor import Tensor


@dataclass(eq=False)
class Op:
    kind: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    attrs: Any = None
    #: operator index in the source .tflite subgraph, if any
    source_index: int | None = None
    #: kernel-ready parameters, set by the `prepare` pass
    params: Any = None
    #: free-form annotations set by passes (e.g. memory placement hints)
    notes: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        idx = "" if self.source_index is None else f" #{self.source_index}"
        return f"{self.kind}{idx}"

    def __repr__(self) -> str:
        return f"<Op {self.label} in={[t.name if t else None for t in self.inputs]} out={[t.name for t in self.outputs]}>"


@dataclass(eq=False)
class Graph:
    name: str
    ops: list[Op]
    inputs: list[Tensor]
    outputs: list[Tensor]
    #: provenance and options: source path, sha256, tinygen options...
    meta: dict = field(default_factory=dict)

    # -- queries ---------------------------------------------------------------------------
    def tensors(self) -> list[Tensor]:
        """Every tensor reachable from the graph, in first-use order, without duplicates."""
        seen: dict[int, Tensor] = {}
        for t in self.inputs:
            seen.setdefault(id(t), t)
        for op in self.ops:
            for t in list(op.inputs) + list(op.outputs):
                if t is not None:
                    seen.setdefault(id(t), t)
        for t in self.outputs:
            seen.setdefault(id(t), t)
        return list(seen.values())

    def constants(self) -> list[Tensor]:
        return [t for t in self.tensors() if t.is_const]

    def activations(self) -> list[Tensor]:
        return [t for t in self.tensors() if not t.is_const]

    def producer(self, t: Tensor) -> Op | None:
        for op in self.ops:
            if any(o is t for o in op.outputs):
                return op
        return None

    def consumers(self, t: Tensor) -> list[Op]:
        return [op for op in self.ops if any(i is t for i in op.inputs)]

    def producers_map(self) -> dict[int, Op]:
        return {id(o): op for op in self.ops for o in op.outputs}

    def consumers_map(self) -> dict[int, list[Op]]:
        m: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in op.inputs:
                if t is not None:
                    lst = m.setdefault(id(t), [])
                    if op not in lst:
                        lst.append(op)
        return m

    def is_graph_input(self, t: Tensor) -> bool:
        return any(t is g for g in self.inputs)

    def is_graph_output(self, t: Tensor) -> bool:
        return any(t is g for g in self.outputs)

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)
