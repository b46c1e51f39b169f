"""Emulated faults: what went wrong, where, in which function; reported as one line."""

from __future__ import annotations

from ..errors import EmulatorError

#: fault kinds, as they appear in messages and reports
UNMAPPED_READ = "unmapped read"
UNMAPPED_WRITE = "unmapped write"
UNMAPPED_FETCH = "unmapped fetch"
FLASH_WRITE = "write to flash"
INVALID_INSTRUCTION = "invalid instruction"
STACK_OVERFLOW = "stack overflow"
#: the run reached its instruction limit (a long inference, or code that never ends)
INSTRUCTION_LIMIT = "instruction limit"
TIMEOUT = "timeout"
BREAKPOINT = "breakpoint"
EXCEPTION = "exception"
UNEXPECTED_STOP = "unexpected stop"
MODEL_ERROR = "model error"

KINDS = (UNMAPPED_READ, UNMAPPED_WRITE, UNMAPPED_FETCH, FLASH_WRITE, INVALID_INSTRUCTION, STACK_OVERFLOW, INSTRUCTION_LIMIT,
         TIMEOUT, BREAKPOINT, EXCEPTION, UNEXPECTED_STOP, MODEL_ERROR)


class EmulatorFault(EmulatorError):
    """The firmware faulted, or did not finish within its limits, under the emulator.

    str(e) == "emulator fault: <kind> at address 0x..., pc 0x... in <function>[: detail]"
    """

    def __init__(self, kind: str, address: int | None, pc: int | None, function: str | None,
                 detail: str = "", instructions: int = 0) -> None:
        self.kind = kind
        self.address = address
        self.pc = pc
        self.function = function
        self.detail = detail
        self.instructions = instructions
        parts = [f"emulator fault: {kind}"]
        if address is not None:
            parts.append(f" at address {address:#010x}")
        if pc is not None:
            parts.append(f", pc {pc:#010x}" if address is not None else f" at pc {pc:#010x}")
            parts.append(f" in {function or '<unknown function>'}")
        if detail:
            parts.append(f": {detail}")
        super().__init__("".join(parts))

    def to_dict(self) -> dict:
        return dict(kind=self.kind, address=self.address, pc=self.pc, function=self.function, detail=self.detail,
                    message=str(self))
