"""Compiler options: one frozen dataclass, recorded in the generated code's provenance comment."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

#: values of CompileOptions.patches besides "K:NxM"
PATCH_MODES = ("off", "auto", "min")
#: values of CompileOptions.optimize
OPTIMIZE_MODES = ("speed", "size")


@dataclass(frozen=True)
class CompileOptions:
    #: C symbol prefix; default: derived from the model file name
    name: str | None = None
    #: the core the code is for (-mcpu name, e.g. "cortex-m4"): picks kernel variants (DSP kernels
    #: on cores with the DSP extension); "generic": portable C for any core or the host; None: not
    #: said (portable C, except where a board is named: then the board's core)
    cpu: str | None = None
    #: memory placement algorithm (see tinygen.memory.planners)
    planner: str = "exact"
    #: optional wall-clock limit of the search planners, seconds; None (the default): node budgets
    #: alone decide, so the plan is the same on every machine
    planner_time_limit: float | None = None
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
    #: graph optimizations before scheduling (tinygen/passes/pipeline.py), each exact:
    #: remove operators whose output equals their input (identity RESHAPE, equal requantization...)
    remove_noops: bool = True
    #: float-I/O models: QUANTIZE as early, DEQUANTIZE as late as layout operators allow
    place_float_io: bool = True
    #: fold PAD/PADV2 into the convolutions / max pooling reading it (explicit per-side padding)
    fold_pad: bool = True
    #: patch-based inference of the first stage (see tinygen.patching): "off"; "min" (the least
    #: peak within max_overhead); "auto" (with sram_budget: the least MAC overhead that fits it,
    #: else as "min"); "K:NxM" (the first K operators on an N x M grid)
    patches: str = "off"
    #: largest MAC overhead the patch search accepts (fraction of the model's MACs)
    max_overhead: float = 0.20
    #: with patches="auto": SRAM bytes to fit (then the least overhead that fits); None: least memory
    sram_budget: int | None = None
    #: arena guard (host test builds): canary bytes planned below and above every arena buffer and
    #: checked after every operator (tinygen.guard); 0: off
    guard: int = 0
    #: kernel choice on a named core: "speed" (the fast kernels wherever they apply: DSP, scalar
    #: Cortex-M0+ and specialized kernels) or "size" (the portable kernels only: the least flash
    #: and stack, several times more instructions; the code is still built for the core)
    optimize: str = "speed"

    def __post_init__(self) -> None:
        if self.optimize not in OPTIMIZE_MODES:
            raise ValueError(f"optimize must be one of {', '.join(OPTIMIZE_MODES)}, not {self.optimize!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        # the guard is named only when on, so that ordinary builds keep their provenance line
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                        if not (f.name == "guard" and not self.guard))
