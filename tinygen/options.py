"""Compiler options: one frozen dataclass, recorded in the generated code's provenance comment."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class CompileOptions:
    #: C symbol prefix; default: derived from the model file name
    name: str | None = None
    #: memory placement algorithm (see tinygen.memory.planners)
    planner: str = "exact"
    #: time limit of the exact planner, seconds (then the best placement found)
    planner_time_limit: float = 2.0
    #: operator order: "memory" (peak-minimizing) or "file" (the model's order)
    schedule: str = "memory"
    #: byte alignment of every arena buffer
    alignment: int = 16
    #: graph inputs and outputs live in the arena (the caller needs no separate buffers)
    io_in_arena: bool = True
    #: depthwise convolutions may write their output over their input (MCUNet/TinyEngine)
    inplace: bool = True
    #: outputs may partly overlap their dying inputs (vMCU-style partial overlap)
    overlap: bool = True
    #: patch-based inference of the first stage: "off", "auto" or "K:NxM" (see tinygen.patching)
    patches: str = "off"
    #: largest MAC overhead the automatic patch search accepts (fraction of the model's MACs)
    max_overhead: float = 0.20
    #: with patches="auto": SRAM bytes to fit (then the least overhead that fits); None: least memory
    sram_budget: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))
