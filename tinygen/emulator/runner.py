"""Run a Cortex-M firmware ELF under Unicorn, from reset to a halt function.

    emu = CortexM(ElfInfo(fw.elf), board, fw.layout)
    res = emu.run(writes=[(input_addr, input_bytes)], reads=[(output_addr, n)])
    res.outputs, res.instructions, res.stack_peak_bytes

What it takes care of (see ../shared/DESIGN.md, "Toolchain and emulator pitfalls"):
- the engine is created in plain Thumb mode with the core's CPU model set before mapping memory
  (UC_MODE_MCLASS would force a Cortex-M33; no model at all gives a Cortex-A15);
- the Private Peripheral Bus (System Control Space, DWT) and the board's listed peripherals are
  mapped as MMIO that behaves like memory and records every write (the reset handler's CPACR and
  VTOR writes land there; the FPU itself is always on in Unicorn);
- the run starts at the reset vector with the thumb bit set and stops at the halt function's
  address without it; ctl_flush_tb() before every emu_start();
- a run that stops anywhere but the halt function (instruction limit, timeout) is a fault;
- instructions are counted exactly by a block hook with cached per-block counts (native C hook
  when a host compiler is available, else Python);
- the stack is painted before reset and its high-water mark found afterwards; the rest of RAM is
  filled with garbage (0xA5) like RAM after power-up, so code relying on unzeroed memory fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from unicorn import (
    UC_ARCH_ARM,
    UC_ERR_EXCEPTION,
    UC_ERR_INSN_INVALID,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_PROT,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_UNMAPPED,
    UC_MEM_WRITE_PROT,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_THUMB,
    UC_PROT_ALL,
    UC_PROT_EXEC,
    UC_PROT_READ,
    Uc,
    UcError,
)
from unicorn import arm_const as A

from ..boards import Board
from ..errors import EmulatorError
from ..toolchain.arm import Layout, board_layout
from ..toolchain.elfinfo import ElfInfo
from . import faults as F
from .faults import EmulatorFault
from .native import BlockStats, NativeCounter, PythonCounter, native_library

CPU_MODELS = {
    "cortex-m0": A.UC_CPU_ARM_CORTEX_M0,
    "cortex-m0plus": A.UC_CPU_ARM_CORTEX_M0,
    "cortex-m4": A.UC_CPU_ARM_CORTEX_M4,
    "cortex-m7": A.UC_CPU_ARM_CORTEX_M7,
    "cortex-m33": A.UC_CPU_ARM_CORTEX_M33,
}

PAGE = 0x1000
PPB = (0xE0000000, 0x00100000)   # Private Peripheral Bus: ITM, DWT, FPB, SCS (NVIC, SCB, SysTick, MPU, FPU)
RAM_FILL = 0xA5
STACK_PAINT = 0x5AC3A5E7
DEFAULT_MAX_INSTRUCTIONS = 2_000_000_000
#: the function a profiling build calls between operators (its argument: the next operator)
PROFILE_MARK = "tg_profile_mark"

# QEMU's exception numbers as Unicorn passes them to UC_HOOK_INTR
_EXCP_NAMES = {1: "undefined instruction", 2: "supervisor call (svc)", 3: "prefetch abort", 4: "data abort",
               5: "IRQ", 6: "FIQ", 7: "breakpoint (bkpt)", 8: "exception exit", 9: "kernel trap",
               11: "hypervisor call", 12: "hypervisor trap", 13: "secure monitor call", 14: "virtual IRQ",
               15: "virtual FIQ", 16: "semihosting", 17: "no coprocessor (FPU disabled?)",
               18: "invalid state", 19: "stack limit violation", 20: "lazy FP state preservation",
               21: "lazy FP state preservation", 22: "invalid state", 23: "secure fault"}
_STACK_LIMIT_EXCP = 19
_PREFETCH_ABORT = 3


@dataclass
class RunResult:
    status: int
    outputs: list[bytes]
    #: instructions from tg_inputs_ready() to tg_done(): one inference (+ a few of the harness)
    instructions: int
    #: instructions from reset to tg_inputs_ready(): start-up code
    startup_instructions: int
    stack_peak_bytes: int
    stack_reserved_bytes: int
    seconds: float
    counter: str
    mmio_writes: list[tuple[int, int, int]] = field(default_factory=list)
    #: the blocks run from tg_inputs_ready() to tg_done() (for the cycle estimate)
    blocks: BlockStats | None = None
    #: profiling builds (tinygen.profile): at every call of the marker function, the marker's
    #: argument (an operator position), the instruction count and the blocks run so far
    marks: list[tuple[int, int, BlockStats]] = field(default_factory=list)
    #: DWT cycles of the inference as the firmware read them (None where the counter reads 0)
    cycles: int | None = None


def _align_down(x: int) -> int:
    return x & ~(PAGE - 1)


def _align_up(x: int) -> int:
    return (x + PAGE - 1) & ~(PAGE - 1)


class _MMIO:
    """Memory-like MMIO that records writes."""
    def __init__(self, base: int, size: int, log: list) -> None:
        self.base = base
        self.mem = bytearray(size)
        self.log = log

    def read(self, uc, offset, size, _):
        return int.from_bytes(self.mem[offset:offset + size], "little")

    def write(self, uc, offset, size, value, _):
        self.mem[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        self.log.append((self.base + offset, size, value))


class CortexM:
    def __init__(self, elf: ElfInfo, board: Board, layout: Layout | None = None,
                 max_instructions: int = DEFAULT_MAX_INSTRUCTIONS, timeout_s: float | None = None,
                 native: bool | None = None, ram_fill: int | None = RAM_FILL) -> None:
        if board.core not in CPU_MODELS:
            raise EmulatorError(f"Unicorn has no {board.core} model: run {board.name} under QEMU (--on qemu)")

        self.elf = elf
        self.board = board
        self.layout = layout or board_layout(board)
        self.max_instructions = int(max_instructions)
        self.timeout_s = timeout_s
        self.native = native_library() is not None if native is None else native
        self.ram_fill = ram_fill
        sym = elf.symbols
        self.vectors = sym["__tg_vectors_start"].addr if "__tg_vectors_start" in sym else (
            sym["tg_vector_table"].addr if "tg_vector_table" in sym else self.layout.flash_origin)
        self.stack_limit = sym["__tg_stack_limit"].addr if "__tg_stack_limit" in sym else None
        self.stack_top = sym["__tg_stack_top"].addr if "__tg_stack_top" in sym else None
        self.ram_used_end = sym["__tg_ram_used_end"].addr if "__tg_ram_used_end" in sym else None

    # -- set-up -------------------------------------------------------------------------------
    def _regions(self) -> list[tuple[str, int, int, int]]:
        lay = self.layout
        regs = [("flash", lay.flash_origin, lay.flash_length, UC_PROT_READ | UC_PROT_EXEC),
                ("ram", lay.ram_origin, lay.ram_length, UC_PROT_ALL)]
        for r in self.board.sram:
            regs.append((r.name, r.origin, r.size, UC_PROT_ALL))
        out: list[list] = []
        for name, origin, size, perms in regs:
            lo, hi = _align_down(origin), _align_up(origin + size)
            clash = next((o for o in out if lo < o[2] and o[1] < hi), None)
            if clash is not None:
                if clash[3] != perms:
                    continue  # e.g. a board region under an enlarged measurement layout: skip it
                clash[1], clash[2] = min(clash[1], lo), max(clash[2], hi)
                continue
            out.append([name, lo, hi, perms])
        return [(n, lo, hi - lo, p) for n, lo, hi, p in out]

    def _engine(self):
        uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
        uc.ctl_set_cpu_model(CPU_MODELS[self.board.core])
        for _, origin, size, perms in self._regions():
            uc.mem_map(origin, size, perms)
        log: list[tuple[int, int, int]] = []
        mmios = [PPB] + [(r.origin, r.size) for r in self.board.mmio]
        self._mmio = []
        for base, size in mmios:
            lo, hi = _align_down(base), _align_up(base + size)
            m = _MMIO(lo, hi - lo, log)
            self._mmio.append(m)
            uc.mmio_map(lo, hi - lo, m.read, None, m.write, None)
        return uc, log

    def _load(self, uc) -> None:
        for seg in self.elf.segments:
            try:
                uc.mem_write(seg.paddr, seg.data)
            except UcError:
                raise EmulatorFault(F.UNMAPPED_WRITE, seg.paddr, None, None,
                                    f"the ELF loads {len(seg.data)} bytes outside the board's memory") from None
        lay = self.layout
        if self.ram_fill is not None:
            end = self.ram_used_end if self.ram_used_end is not None else lay.ram_origin + min(lay.ram_length, 1 << 20)
            end = min(_align_up(end + 256), lay.ram_origin + lay.ram_length)
            uc.mem_write(lay.ram_origin, bytes([self.ram_fill]) * (end - lay.ram_origin))
        if self.stack_limit is not None and self.stack_top is not None:
            n = (self.stack_top - self.stack_limit) // 4
            uc.mem_write(self.stack_limit, STACK_PAINT.to_bytes(4, "little") * n)

    def stack_peak(self, uc) -> int:
        if self.stack_limit is None or self.stack_top is None:
            return 0
        data = bytes(uc.mem_read(self.stack_limit, self.stack_top - self.stack_limit))
        paint = STACK_PAINT.to_bytes(4, "little")
        for off in range(0, len(data), 4):
            if data[off:off + 4] != paint:
                return self.stack_top - (self.stack_limit + off)
        return 0

    # -- running ------------------------------------------------------------------------------
    def _fault(self, kind: str, address: int | None, pc: int | None, detail: str = "", n: int = 0) -> EmulatorFault:
        return EmulatorFault(kind, address, pc, self.elf.function_at(pc) if pc is not None else None, detail, n)

    def _address_kind(self, access: str, address: int, sp: int) -> str:
        if self.stack_limit is not None and access == "write":
            if self.stack_limit - 0x10000 <= address < self.stack_limit or sp < self.stack_limit:
                return F.STACK_OVERFLOW
        return {"read": F.UNMAPPED_READ, "write": F.UNMAPPED_WRITE, "fetch": F.UNMAPPED_FETCH}[access]

    def run(self, writes: Sequence[tuple[int, bytes]] = (), reads: Sequence[tuple[int, int]] = (),
            pause: str | None = "tg_inputs_ready", halt: str = "tg_done") -> RunResult:
        """Reset, run to `pause` (if the firmware has it), write `writes`, run to `halt`; return
        the bytes at `reads`, r0 at the halt (the status), the counts and the stack peak."""
        t0 = time.perf_counter()
        uc, log = self._engine()
        self._load(uc)
        state: dict = {}
        pc_of = lambda: uc.reg_read(A.UC_ARM_REG_PC)  # noqa: E731
        flash = (self.layout.flash_origin, self.layout.flash_origin + self.layout.flash_length)

        def on_bad_access(uc, access, address, size, value, _):
            # access: UC_MEM_{READ,WRITE,FETCH}_{UNMAPPED,PROT}; returning False makes Unicorn raise
            state.setdefault("fault", (access, address, pc_of(), uc.reg_read(A.UC_ARM_REG_SP)))
            return False

        def on_intr(uc, intno, _):
            state.setdefault("intr", (intno, pc_of(), uc.reg_read(A.UC_ARM_REG_SP)))
            uc.emu_stop()  # a bkpt would otherwise fire again and again

        uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED |
                    UC_HOOK_MEM_WRITE_PROT | UC_HOOK_MEM_FETCH_PROT, on_bad_access)
        uc.hook_add(UC_HOOK_INTR, on_intr)
        counter = (NativeCounter(uc, self.max_instructions) if self.native
                   else PythonCounter(uc, self.max_instructions))

        sp0 = int.from_bytes(uc.mem_read(self.vectors, 4), "little")
        reset = int.from_bytes(uc.mem_read(self.vectors + 4, 4), "little")
        sym = self.elf.symbols
        halt_addr = self.elf.address(halt)
        pause_addr = sym[pause].addr if pause and pause in sym else None
        marks: list[tuple[int, int, BlockStats]] = []
        if PROFILE_MARK in sym:
            def on_mark(uc, address, size, _):
                marks.append((uc.reg_read(A.UC_ARM_REG_R0), counter.count, counter.block_stats()))

            mark = sym[PROFILE_MARK].addr & ~1
            uc.hook_add(UC_HOOK_CODE, on_mark, begin=mark, end=mark)
        uc.reg_write(A.UC_ARM_REG_SP, sp0)
        uc.reg_write(A.UC_ARM_REG_LR, 0xFFFFFFFF)

        def go(begin: int, until: int) -> None:
            uc.ctl_flush_tb()
            timeout_us = int(self.timeout_s * 1e6) if self.timeout_s else 0
            t = time.perf_counter()
            try:
                uc.emu_start(begin | 1, until & ~1, timeout=timeout_us)
            except UcError as e:
                raise self._classify_error(e, uc, state, counter.count, flash) from None
            if "intr" in state:
                intno, pc, sp = state["intr"]
                if intno == _STACK_LIMIT_EXCP or (self.stack_limit is not None and sp < self.stack_limit):
                    raise self._fault(F.STACK_OVERFLOW, self.stack_limit, pc, "the stack pointer would go below "
                                      "the stack limit (MSPLIM); reserve more stack", counter.count)
                if intno == _PREFETCH_ABORT:
                    raise self._fault(F.UNMAPPED_FETCH, pc, pc, self._called_from(uc), counter.count)
                kind = F.BREAKPOINT if intno == 7 else F.EXCEPTION
                raise self._fault(kind, None, pc, _EXCP_NAMES.get(intno, f"exception {intno}"), counter.count)
            pc = pc_of()
            if counter.limit_hit:
                raise self._fault(F.INSTRUCTION_LIMIT, None, pc, f"stopped after {counter.count:,} instructions, "
                                  f"the limit of this run (--max-instructions {self.max_instructions:,}), before "
                                  "the end of the program; raise the limit if the inference is just long",
                                  counter.count)
            if pc != until & ~1:
                if self.timeout_s and time.perf_counter() - t >= self.timeout_s * 0.99:
                    raise self._fault(F.TIMEOUT, None, pc, f"still running after {self.timeout_s:g} s", counter.count)
                raise self._fault(F.UNEXPECTED_STOP, None, pc, f"the emulator stopped before reaching "
                                  f"{self.elf.function_at(until & ~1) or hex(until)}", counter.count)

        startup = 0
        if pause_addr is not None:
            go(reset, pause_addr)
            startup = counter.count
            counter.reset_blocks()
            for addr, data in writes:
                uc.mem_write(addr, bytes(data))
            go(pause_addr, halt_addr)
        else:
            for addr, data in writes:
                uc.mem_write(addr, bytes(data))
            go(reset, halt_addr)
        status = uc.reg_read(A.UC_ARM_REG_R0)
        status = status - (1 << 32) if status & 0x80000000 else status
        outputs = [bytes(uc.mem_read(a, n)) for a, n in reads]
        res = RunResult(status=status, outputs=outputs, instructions=counter.count - startup,
                        startup_instructions=startup, stack_peak_bytes=self.stack_peak(uc),
                        stack_reserved_bytes=(self.stack_top - self.stack_limit) if self.stack_top else 0,
                        seconds=time.perf_counter() - t0, counter="native" if self.native else "python",
                        mmio_writes=list(log), blocks=counter.block_stats(), marks=marks)
        return res

    def _called_from(self, uc) -> str:
        lr = uc.reg_read(A.UC_ARM_REG_LR) & ~1
        f = self.elf.function_at(lr)
        return f"jumped to from near {f} (lr {lr:#010x})" if f else ""

    def _classify_error(self, e: UcError, uc, state: dict, n: int, flash: tuple[int, int]) -> EmulatorFault:
        pc = uc.reg_read(A.UC_ARM_REG_PC)
        if "fault" in state:
            access, address, fpc, sp = state["fault"]
            if access == UC_MEM_WRITE_PROT and flash[0] <= address < flash[1]:
                kind = F.FLASH_WRITE
            elif access == UC_MEM_WRITE_UNMAPPED:
                kind = self._address_kind("write", address, sp)
            elif access == UC_MEM_READ_UNMAPPED:
                kind = self._address_kind("read", address, sp)
            elif access == UC_MEM_FETCH_UNMAPPED:
                kind = F.UNMAPPED_FETCH
            else:
                kind = F.EXCEPTION
            detail = ""
            if kind == F.UNMAPPED_FETCH:
                fpc = address  # the "instruction" is the unmapped address itself
                detail = self._called_from(uc)
            elif kind == F.STACK_OVERFLOW:
                detail = f"below the stack limit {self.stack_limit:#010x}; reserve more stack"
            elif kind == F.EXCEPTION:
                detail = f"invalid memory access ({e})"
            return self._fault(kind, address, fpc, detail, n)
        if e.errno == UC_ERR_INSN_INVALID:
            return self._fault(F.INVALID_INSTRUCTION, pc, pc, "undefined or unsupported instruction", n)
        if e.errno == UC_ERR_EXCEPTION:
            return self._fault(F.EXCEPTION, None, pc, "unhandled CPU exception", n)
        return self._fault(F.EXCEPTION, None, pc, f"emulator error: {e}", n)


__all__ = ["CPU_MODELS", "CortexM", "DEFAULT_MAX_INSTRUCTIONS", "RunResult"]
