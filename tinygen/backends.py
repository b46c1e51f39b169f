"""Where `tinygen run` executes a firmware: one run protocol, three back ends.

    backend = open_backend("qemu", elf, board)         # or "unicorn", "gdb://127.0.0.1:3333"
    res = backend.run(writes=[(addr, bytes)], reads=[(addr, n)])   # -> RunResult
    backend.close()

The protocol is the firmware's (templates/target/main.c.j2): from reset, stop at
`tg_inputs_ready`, write the inputs, stop at `tg_done(status, cycles)`, read r0 (the status), r1
(the DWT cycles of the inference, where the core has a counter) and the outputs. The stack is
painted before the run and its high-water mark read at the end, on every back end.

- `unicorn`: tinygen.emulator.CortexM (the default and the reference; counts instructions).
- `qemu` (or `qemu:MACHINE`): qemu-system-arm with the board's `qemu_machine`, the ELF given as
  -kernel, driven through QEMU's GDB server. QEMU resets the core for real (SP/PC from the vector
  table), every input starts with `monitor system_reset`, faults reach the firmware's handlers.
- `gdb://HOST:PORT`: any GDB server attached to a board (pyOCD, OpenOCD, J-Link, or QEMU started
  with empty flash). The ELF is loaded first (flash through vFlash packets where the server's
  memory map says flash), read back to verify, then every input starts with a reset.

Faults on the GDB back ends: every exception handler of tinygen's start-up code is
`tg_default_handler`; a breakpoint there stops the run, and the fault is classified from the
System Control Block (ICSR, CFSR, HFSR, BFAR) and the stack pointer. A write watchpoint just
below the stack limit catches a stack overflow where nothing faults (QEMU's mps2 machines have an
unimplemented device below SRAM that ignores writes).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .boards import Board
from .emulator import faults as F
from .emulator.faults import EmulatorFault
from .emulator.gdb_rsp import (
    REG_LR,
    REG_PC,
    REG_SP,
    GdbError,
    GdbRemote,
    GdbTimeout,
    parse_gdb_url,
)
from .emulator.runner import STACK_PAINT, RunResult
from .errors import TinygenError
from .toolchain.elfinfo import ElfInfo

#: bytes watched below the stack limit (a push or a frame that overflows writes there first)
STACK_WATCH_BYTES = 32
#: without a watchpoint, a run whose stack comes this close to its limit is reported as an overflow
STACK_MARGIN_BYTES = 16
#: default time limit of one phase (reset -> inputs ready, inputs ready -> done) on GDB back ends
DEFAULT_TIMEOUT_S = 300.0
#: reset commands tried in turn on an unknown GDB server: QEMU, OpenOCD and pyOCD, J-Link
RESET_COMMANDS = ("system_reset", "reset halt", "reset")

# System Control Block registers (ARMv7-M / ARMv8-M; ARMv6-M has ICSR only)
ICSR, CFSR, HFSR, MMFAR, BFAR = 0xE000ED04, 0xE000ED28, 0xE000ED2C, 0xE000ED34, 0xE000ED38
EXCEPTION_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage fault", 5: "BusFault", 6: "UsageFault",
                   7: "SecureFault", 11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}


class BackendError(TinygenError):
    """An unknown back end, or one that cannot run this board."""


def backend_kind(on: str | None) -> str:
    """'unicorn', 'qemu' or 'gdb' for an --on value (raises BackendError for anything else)."""
    s = (on or "unicorn").strip()
    if s == "unicorn":
        return "unicorn"
    if s == "qemu" or s.startswith("qemu:"):
        return "qemu"
    if s.startswith("gdb://"):
        parse_gdb_url(s)
        return "gdb"
    raise BackendError(f"unknown back end {on!r} (use unicorn, qemu, qemu:MACHINE or gdb://HOST:PORT)")


class Backend:
    """Runs the firmware protocol once per call to run(); close() releases the emulator/server."""
    #: "unicorn", "qemu mps2-an386", "gdb://127.0.0.1:3333"
    label: str = ""

    def run(self, writes: Sequence[tuple[int, bytes]] = (), reads: Sequence[tuple[int, int]] = ()) -> RunResult:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class UnicornBackend(Backend):
    label = "unicorn"

    def __init__(self, elf: ElfInfo, board: Board, layout=None, max_instructions: int | None = None,
                 timeout_s: float | None = None) -> None:
        from .emulator import CortexM

        kw = {} if max_instructions is None else dict(max_instructions=max_instructions)
        self.emu = CortexM(elf, board, layout, timeout_s=timeout_s, **kw)

    def run(self, writes=(), reads=()) -> RunResult:
        return self.emu.run(writes=writes, reads=reads)


@dataclass
class _Symbols:
    inputs_ready: int
    done: int
    handler: int | None
    stack_limit: int | None
    stack_top: int | None
    vectors: int


def _symbols(elf: ElfInfo) -> _Symbols:
    sym = elf.symbols
    for need in ("tg_inputs_ready", "tg_done"):
        if need not in sym:
            raise BackendError(f"{elf.path.name}: no {need}() (not a tinygen firmware with the run protocol)")
    get = lambda n: sym[n].addr if n in sym else None  # noqa: E731
    vectors = get("__tg_vectors_start")
    if vectors is None:
        vectors = get("tg_vector_table") or 0
    return _Symbols(sym["tg_inputs_ready"].addr, sym["tg_done"].addr, get("tg_default_handler"),
                    get("__tg_stack_limit"), get("__tg_stack_top"), vectors)


def _vector_word(elf: ElfInfo, addr: int) -> bytes:
    for a, d in flash_segments(elf):
        if a <= addr and addr + 4 <= a + len(d):
            return d[addr - a:addr - a + 4]
    raise BackendError(f"{elf.path.name}: nothing loaded at {addr:#010x} (the vector table)")


def flash_segments(elf: ElfInfo) -> list[tuple[int, bytes]]:
    """The (load address, bytes) an ELF puts in memory, merged where contiguous."""
    segs = sorted((s.paddr, bytes(s.data)) for s in elf.segments if s.data)
    out: list[list] = []
    for addr, data in segs:
        if out and out[-1][0] + len(out[-1][1]) == addr:
            out[-1][1] += data
        else:
            out.append([addr, bytearray(data)])
    return [(a, bytes(d)) for a, d in out]


class GdbBackend(Backend):
    """The run protocol over a GDB remote connection (see the module docstring)."""

    def __init__(self, gdb: GdbRemote, elf: ElfInfo, board: Board, label: str, *, load: bool = False,
                 reset_commands: Sequence[str] = RESET_COMMANDS, at_reset: bool = False,
                 reset_lands_on_vector: bool = False, timeout_s: float | None = None,
                 watch_stack: bool = True) -> None:
        self.gdb, self.elf, self.board, self.label = gdb, elf, board, label
        self.watch_stack = watch_stack
        self.sym = _symbols(elf)
        self.timeout_s = timeout_s or DEFAULT_TIMEOUT_S
        self.reset_commands = tuple(reset_commands)
        self.reset_command: str | None = None
        self.reset_lands_on_vector = reset_lands_on_vector
        self._at_reset = at_reset
        self._armed: list[int] = []
        self._watch: tuple[int, int] | None = None
        self.watchpoint_available = False
        self.loaded_bytes = 0
        self.skipped_identical = False
        if load:
            self.load()

    # -- program loading -----------------------------------------------------------------------
    def load(self, verify: bool = True, progress=None) -> int:
        """Reset and halt, write the ELF's segments (flash through the server's flash commands),
        read them back; the next run starts from reset. Returns the bytes written."""
        self.reset()
        segs = flash_segments(self.elf)
        self.skipped_identical = False
        try:
            same = all(self.gdb.read_memory(a, len(d)) == d for a, d in segs)
        except GdbError:
            same = False
        if same:  # already on the board (e.g. flashed just before --check): spare the flash
            self.skipped_identical = True
            self.loaded_bytes = sum(len(d) for _, d in segs)
            return self.loaded_bytes
        self.gdb.load(segs)
        if verify:
            for addr, data in segs:
                back = self.gdb.read_memory(addr, len(data))
                if back != data:
                    bad = next(i for i, (a, b) in enumerate(zip(back, data)) if a != b)
                    raise GdbError(f"verify failed: {addr + bad:#010x} reads {back[bad]:#04x}, the ELF has "
                                   f"{data[bad]:#04x} (is the flash region writable by the debug server?)")
        self.loaded_bytes = sum(len(d) for _, d in segs)
        self._at_reset = False  # reset again so the core starts from the loaded vector table
        return self.loaded_bytes

    # -- reset -----------------------------------------------------------------------------------
    def reset(self) -> None:
        self._disarm()
        cmds = (self.reset_command,) if self.reset_command else self.reset_commands
        said = []
        for cmd in cmds:
            ok, out = self.gdb.monitor(cmd)
            if ok:
                self.reset_command = cmd
                break
            said.append(f"{cmd!r}: {out.strip() or 'refused'}")
        else:
            raise GdbError("the GDB server accepts none of the reset commands (" + "; ".join(said) + ")")
        if self.reset_lands_on_vector or self.reset_command == "system_reset":  # QEMU
            want = int.from_bytes(self.gdb.read_memory(self.sym.vectors + 4, 4), "little") & ~1
            deadline = time.monotonic() + 5.0
            while self.gdb.read_register(REG_PC) != want:  # QEMU resets from its main loop: wait for it
                if time.monotonic() > deadline:
                    raise GdbError(f"the core did not restart at the reset vector {want:#010x}")
                time.sleep(0.002)
        self._at_reset = True

    def _arm(self) -> None:
        for addr in (self.sym.inputs_ready, self.sym.done, self.sym.handler):
            if addr is not None:
                self.gdb.set_breakpoint(addr)
                self._armed.append(addr)
        if self.watch_stack and self.sym.stack_limit is not None and self.sym.stack_limit >= STACK_WATCH_BYTES:
            w = (self.sym.stack_limit - STACK_WATCH_BYTES, STACK_WATCH_BYTES)
            if self.gdb.set_write_watchpoint(*w):
                self._watch = w
                self.watchpoint_available = True

    def _disarm(self) -> None:
        for addr in self._armed:
            self.gdb.clear_breakpoint(addr)
        self._armed = []
        if self._watch is not None:
            self.gdb.clear_write_watchpoint(*self._watch)
            self._watch = None

    # -- running ---------------------------------------------------------------------------------
    def run(self, writes=(), reads=()) -> RunResult:
        t0 = time.perf_counter()
        try:
            if not self._at_reset:
                self.reset()
            self._at_reset = False
            self._arm()
            s = self.sym
            if s.stack_limit is not None and s.stack_top is not None:
                self.gdb.write_memory(s.stack_limit, STACK_PAINT.to_bytes(4, "little") * ((s.stack_top - s.stack_limit) // 4))
            self._continue_to(s.inputs_ready)
            for addr, data in writes:
                self.gdb.write_memory(addr, bytes(data))
            self._continue_to(s.done)
            status = self.gdb.read_register(0)
            status = status - (1 << 32) if status & 0x80000000 else status
            cycles = self.gdb.read_register(1)
            outputs = [self.gdb.read_memory(a, n) for a, n in reads]
            counted = self._counted()
            peak, reserved = 0, 0
            if s.stack_limit is not None and s.stack_top is not None:
                reserved = s.stack_top - s.stack_limit
                data = self.gdb.read_memory(s.stack_limit, reserved)
                paint = STACK_PAINT.to_bytes(4, "little")
                low = next((off for off in range(0, reserved, 4) if data[off:off + 4] != paint), reserved)
                peak = reserved - low
                if low < STACK_MARGIN_BYTES and self._watch is None:
                    # no watchpoint: writes below the stack may have gone where nothing faults
                    raise self._fault(F.STACK_OVERFLOW, s.stack_limit, None, f"the stack used {peak} of its "
                                      f"{reserved} bytes, too close to the limit to rule out an overflow (no "
                                      f"watchpoint on {self.label}); reserve more stack")
            self._disarm()
        except GdbError as e:
            raise EmulatorFault(F.UNEXPECTED_STOP, None, None, None, f"{self.label}: {e}") from None
        inst, startup = counted or (0, 0)
        return RunResult(status=status, outputs=outputs, instructions=inst, startup_instructions=startup,
                         stack_peak_bytes=peak, stack_reserved_bytes=reserved, seconds=time.perf_counter() - t0,
                         counter="qemu-plugin" if counted else "none", cycles=cycles or None)

    count_file: str | None = None

    def _counted(self) -> tuple[int, int] | None:
        """(inference, start-up) instructions from the counting plugin: it writes them when
        tg_done's first instruction executes, so step over it (registers are read already)."""
        if not self.count_file:
            return None
        before = Path(self.count_file).read_text().count("\n")
        self.gdb.clear_breakpoint(self.sym.done)
        self._armed = [a for a in self._armed if a != self.sym.done]
        self.gdb.step()
        lines = Path(self.count_file).read_text().splitlines()
        if len(lines) != before + 1:
            raise GdbError("the instruction-counting plugin did not report the inference")
        inst, startup = (int(x) for x in lines[-1].split())
        return inst, startup

    def _continue_to(self, target: int) -> None:
        try:
            stop = self.gdb.cont(timeout=self.timeout_s)
        except GdbTimeout:
            pc = self._pc()
            raise self._fault(F.TIMEOUT, None, pc, f"still running after {self.timeout_s:g} s ({self.label})") from None
        if stop.exited:
            raise self._fault(F.UNEXPECTED_STOP, None, None, f"the target exited ({stop.raw}) on {self.label}")
        if stop.watch_address is not None:
            pc = self._pc()
            raise self._fault(F.STACK_OVERFLOW, stop.watch_address, pc,
                              f"a write below the stack limit {self.sym.stack_limit:#010x}; reserve more stack")
        pc = self._pc()
        if pc == target:
            return
        if self.sym.handler is not None and pc == self.sym.handler:
            raise self._classify_exception()
        raise self._fault(F.UNEXPECTED_STOP, None, pc, f"the target stopped (signal {stop.signal}) before reaching "
                          f"{self.elf.function_at(target) or hex(target)} on {self.label}")

    def _pc(self) -> int | None:
        try:
            return self.gdb.read_register(REG_PC)
        except GdbError:
            return None

    def _fault(self, kind: str, address: int | None, pc: int | None, detail: str = "") -> EmulatorFault:
        return EmulatorFault(kind, address, pc, self.elf.function_at(pc) if pc is not None else None, detail)

    def _read32(self, addr: int) -> int | None:
        try:
            return self.gdb.read_u32(addr)
        except GdbError:
            return None

    def _classify_exception(self) -> EmulatorFault:
        """The core entered tg_default_handler: which exception, why, and where."""
        icsr = self._read32(ICSR) or 0
        exc = icsr & 0x1FF
        name = EXCEPTION_NAMES.get(exc, f"interrupt {exc - 16}" if exc >= 16 else f"exception {exc}")
        v6m = self.board.core in ("cortex-m0", "cortex-m0plus")
        cfsr = 0 if v6m else (self._read32(CFSR) or 0)
        hfsr = 0 if v6m else (self._read32(HFSR) or 0)
        sp = self.gdb.read_register(REG_SP)
        lr = self.gdb.read_register(REG_LR)
        limit = self.sym.stack_limit
        stacked_pc = None
        if (lr & 0xFFFFFF00) == 0xFFFFFF00 and (limit is None or sp >= limit) and not cfsr & ((1 << 4) | (1 << 12)):
            stacked_pc = self._read32(sp + 24)  # the exception frame: r0-r3, r12, lr, pc, xpsr
        why = []
        kind = F.EXCEPTION
        address = None
        if cfsr & (1 << 20):
            kind = F.STACK_OVERFLOW
            why.append("the stack pointer would go below the stack limit (MSPLIM); reserve more stack")
        elif cfsr & ((1 << 4) | (1 << 12)) or (limit is not None and sp < limit + 32):
            kind = F.STACK_OVERFLOW
            address = sp
            why.append(f"the stack reached its limit {limit:#010x}; reserve more stack"
                       if limit is not None else "stacking the exception frame failed")
        elif cfsr & (1 << 16):
            kind = F.INVALID_INSTRUCTION
            why.append("undefined instruction")
        elif cfsr & (1 << 19):
            why.append("no coprocessor (FPU disabled?)")
        elif cfsr & (1 << 17):
            why.append("invalid state (a jump without the Thumb bit?)")
        elif cfsr & (1 << 8):
            kind = F.UNMAPPED_FETCH
            why.append("instruction bus error")
        elif cfsr & (1 << 9):
            address = self._read32(BFAR) if cfsr & (1 << 15) else None
            why.append("precise data bus error" + (f" at {address:#010x}" if address is not None else ""))
        elif cfsr & (1 << 10):
            why.append("imprecise data bus error")
        elif cfsr & (1 << 25):
            why.append("division by zero")
        elif cfsr & (1 << 24):
            why.append("unaligned access")
        if hfsr & (1 << 1):
            why.append("vector table read error")
        detail = f"{name} ({', '.join(why) or 'no fault status'}; CFSR {cfsr:#010x}, HFSR {hfsr:#010x}) on {self.label}"
        # without a readable exception frame the faulting instruction is unknown (the pc is the handler's)
        return self._fault(kind, address, stacked_pc, detail)

    def close(self) -> None:
        try:
            self._disarm()
        except (GdbError, OSError):
            pass
        self.gdb.close()


class QemuBackend(GdbBackend):
    """qemu-system-arm running the ELF (-kernel) on the board's QEMU machine."""

    def __init__(self, elf: ElfInfo, board: Board, machine: str | None = None, timeout_s: float | None = None,
                 watch_stack: bool = True, image_args: Sequence[str] | None = None, count: bool = True) -> None:
        """image_args: how QEMU gets the program instead of -kernel ELF, e.g. ["-device",
        "loader,file=fw.hex"]; the ELF then only gives the symbols. count: count instructions with
        tinygen's TCG plugin (tg_qemu_count.c) where it can be built."""
        import tempfile

        from .emulator.qemu import QemuProcess, count_plugin

        machine = machine or board.qemu_machine
        if not machine:
            raise BackendError(f"board {board.name} names no QEMU machine (qemu_machine); boards that have one: "
                               + ", ".join(qemu_boards()))
        extra = list(image_args or ())
        self.count_file: str | None = None
        plugin = count_plugin() if count else None
        if plugin is not None:
            fd, self.count_file = tempfile.mkstemp(prefix="tinygen-qemu-count-", suffix=".txt")
            os.close(fd)
            sym = _symbols(elf)
            reset = int.from_bytes(bytes(_vector_word(elf, sym.vectors + 4)), "little") & ~1
            extra += ["-plugin", f"{plugin},reset={reset:#x},start={sym.inputs_ready:#x},end={sym.done:#x},"
                                 f"out={self.count_file}"]
        self.qemu = QemuProcess(machine, kernel=None if image_args else elf.path, extra=extra)
        try:
            super().__init__(self.qemu.gdb, elf, board, f"qemu {machine}", reset_commands=("system_reset",),
                             at_reset=not image_args, reset_lands_on_vector=True, timeout_s=timeout_s,
                             watch_stack=watch_stack)
        except BaseException:
            self.qemu.close()
            raise

    def close(self) -> None:
        super().close()
        self.qemu.close()
        if self.count_file:
            Path(self.count_file).unlink(missing_ok=True)


def qemu_boards() -> list[str]:
    from .boards import list_boards

    return [b.name for b in list_boards() if b.qemu_machine]


def open_backend(on: str | None, elf: ElfInfo, board: Board, layout=None, max_instructions: int | None = None,
                 timeout_s: float | None = None, measurement_build: bool = False) -> Backend:
    """The back end named by `on` (see backend_kind) for this ELF and board."""
    kind = backend_kind(on)
    if kind == "unicorn":
        return UnicornBackend(elf, board, layout, max_instructions=max_instructions, timeout_s=timeout_s)
    if measurement_build:
        raise BackendError(f"the firmware does not link for {board.name} (only a measurement build with enlarged "
                           f"memories exists): it cannot run on {on}; use the default Unicorn back end to measure it")
    if kind == "qemu":
        s = (on or "").strip()
        return QemuBackend(elf, board, machine=s[5:] if s.startswith("qemu:") else None, timeout_s=timeout_s)
    host, port = parse_gdb_url(on or "")
    gdb = GdbRemote(host, port, connect_timeout=1.0)
    try:
        return GdbBackend(gdb, elf, board, f"gdb://{host}:{port}", load=True, timeout_s=timeout_s)
    except BaseException:
        gdb.close()
        raise


__all__ = ["Backend", "BackendError", "GdbBackend", "QemuBackend", "UnicornBackend", "backend_kind", "flash_segments",
           "open_backend", "qemu_boards"]
