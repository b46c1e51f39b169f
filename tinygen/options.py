"""Compiler options: one frozen dataclass, recorded in the generated code's provenance comment."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class CompileOptions:
    #: C symbol prefix; default: derived from the model file name
    name: str | None = None
    #: memory placement algorithm (see tinygen.memory.planners)
    planner: str = "exact"
    #: byte alignment of every arena buffer
    alignment: int = 16
    #: graph inputs and outputs live in the arena (the caller needs no separate buffers)
    io_in_arena: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))
