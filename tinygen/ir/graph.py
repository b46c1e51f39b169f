"""The graph IR: a list of operators in execution order over tensors.

Passes transform a Graph in place; `tinygen.ir.validate.validate` states the invariants every
pass output must satisfy. Operators carry a typed `attrs` object (what the model says, parsed by
the op's definition in tinygen/ops/) and, after the `lower` pass, the chosen `kernel`
(tinygen.ir.kernel.Kernel: the kernel variant and its typed arguments: requantization multipliers,
activation ranges, padding...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from .kernel import Kernel
from .tensor import Tensor


@dataclass(eq=False)
class Op:
    kind: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    attrs: Any = None
    #: operator index in the source .tflite subgraph, if any
    source_index: int | None = None
    #: the kernel variant and its arguments, chosen by the `lower` and `memory_opt` passes
    kernel: Kernel | None = None
    #: the kernels this operator can run with on the target, fastest first (set by `lower`;
    #: `memory_opt` keeps the fastest whose scratch does not grow the arena)
    variants: tuple[Kernel, ...] = ()
    #: why the front end could not read this operator (the `check` pass refuses it), if it could not
    unsupported: str | None = None

    @property
    def label(self) -> str:
        idx = "" if self.source_index is None else f" #{self.source_index}"
        return f"{self.kind}{idx}"

    def __repr__(self) -> str:
        return f"<Op {self.label} in={[t.name if t else None for t in self.inputs]} out={[t.name for t in self.outputs]}>"


@dataclass(frozen=True)
class ModelSource:
    """Where a graph came from (for the generated code's provenance header): the model file's name
    (no directory, so the output does not depend on where the model is), its sha256 and size."""

    file_name: str
    sha256: str
    nbytes: int


@dataclass(eq=False)
class Graph:
    name: str
    ops: list[Op]
    inputs: list[Tensor]
    outputs: list[Tensor]
    #: the .tflite file the graph was read from, if any
    source: ModelSource | None = None

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
