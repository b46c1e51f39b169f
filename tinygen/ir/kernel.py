"""What lowering decides for one operator: the target it compiles for and the kernel it calls.

`Target` says which instructions the generated code may use (the compile options name a CPU, or
none for portable C). `Kernel` is the chosen kernel variant of one operator with every argument of
its call, typed (tinygen.cstruct dataclasses mirror the C parameter structs), plus the memory facts
the planner needs from it: its scratch bytes (from the kernel's own *_get_buffer_size), whether it
writes its output over its input, and how far its output may overlap its input (from its write
order). Operators produce kernels (OpDef.lower / OpDef.inplace_variant); the `lower` and
`memory_opt` passes choose one per operator (Op.kernel); code generation and the reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cpus import CORES, has_dsp

#: (input index, output index, gap bytes): the output may start `gap` bytes below that input when
#: the input dies at this operator (see tinygen.geometry and tinygen.memory.planners.Overlap)
Gap = tuple[int, int, int]


@dataclass(frozen=True)
class Target:
    """The instruction set the generated code may use."""

    #: -mcpu name of the core (tinygen.cpus.CORES), or None / "generic": portable C for any core
    #: or the host
    cpu: str | None = None

    def __post_init__(self) -> None:
        if self.cpu == "generic":
            object.__setattr__(self, "cpu", None)
        if self.cpu is not None and self.cpu not in CORES:
            raise ValueError(f"unknown CPU {self.cpu!r}; known: generic, {', '.join(CORES)}")

    @property
    def dsp(self) -> bool:
        """DSP (SIMD32) kernels may be used: the core has the DSP extension."""
        return has_dsp(self.cpu)

    def describe(self) -> str:
        return self.cpu or "portable C"


@dataclass(eq=False)
class Kernel:
    """The kernel chosen for one operator and everything its call needs."""

    #: "portable" (the generic C kernel), "inplace", "dsp", ... (shown in the generated C)
    variant: str
    #: the C function called (None: no code, e.g. RESHAPE)
    function: str | None
    #: the call's arguments: operator-specific typed values (cstruct dataclasses, arrays, ints)
    args: Any
    #: template rendering the call (templates/<template>)
    template: str
    #: scratch memory the kernel needs, from its *_get_buffer_size query
    scratch_bytes: int = 0
    #: output 0 is written over input 0 (they share memory)
    inplace: bool = False
    #: partial overlaps of outputs over dying inputs that the kernel's write order allows
    overlap: tuple[Gap, ...] = ()

    def describe(self) -> str:
        if self.function is None:
            return "no code"
        return f"{self.function} ({self.variant})"


__all__ = ["Gap", "Kernel", "Target"]
