"""Boards: one TOML file per board in boards/ (core, FPU, clock, flash, SRAM regions).

    board = load_board("NUCLEO-F411RE")
    board.flash.size, board.main_ram.size, board.core

The firmware's RAM (.data, .bss with the model's arena, and the stack) is placed in the board's
*main RAM*: one run of contiguous SRAM regions, named by `main_ram` in the board file or, by
default, the largest contiguous run. The SRAM budget of a board is the size of that run (other
regions, e.g. tightly coupled memories that are not contiguous with it, are listed but unused);
the flash budget is the flash region's size.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import board_check as bc
from .board_check import BoardError
from .cpus import CORES
from .paths import BOARDS_DIR
from .sanitize import quote_name

BOOT_KINDS = ("rp2040-boot2", "imxrt-flexspi-nor")
FLASH_CACHES = ("none", "prefetch", "art", "cache")


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    origin: int
    size: int
    tcm: bool = False

    @property
    def end(self) -> int:
        return self.origin + self.size

    def contains(self, addr: int) -> bool:
        return self.origin <= addr < self.end

    def to_dict(self) -> dict:
        return dict(name=self.name, origin=self.origin, size=self.size, tcm=self.tcm)


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    core: str
    fpu: str                       # "none", "fpv4-sp-d16", "fpv5-sp-d16", "fpv5-d16"
    clock_hz: int
    flash: MemoryRegion
    sram: tuple[MemoryRegion, ...]
    main_ram_names: tuple[str, ...]
    irq_count: int = 32
    arena_alignment: int = 8
    stack_bytes: int = 4096
    caches: bool = False
    mcu: str = ""
    boot: dict = field(default_factory=dict)
    mmio: tuple[MemoryRegion, ...] = ()
    path: Path | None = None
    #: flash wait states at clock_hz, and what hides them: "none", "prefetch" (a prefetch buffer:
    #: sequential code runs at full speed), "art" (an ST ART accelerator) or "cache" (for the
    #: cycle estimate: wait states are counted on taken branches only without "art"/"cache")
    flash_wait_states: int = 0
    flash_cache: str = "none"
    #: QEMU machine (qemu-system-arm -M) whose memory map fits this board: `tinygen run --on qemu`
    qemu_machine: str = ""
    #: pyOCD target type (`pyocd load --target`)
    pyocd_target: str = ""
    #: OpenOCD configuration files (`openocd -f F ...`): a board file, or an interface + a target
    openocd_config: tuple[str, ...] = ()
    #: Arduino core of the board: fqbn, and the C flags its core compiles libraries with
    arduino: dict = field(default_factory=dict)

    # -- derived ------------------------------------------------------------------------------
    @property
    def has_fpu(self) -> bool:
        return self.fpu != "none"

    @property
    def arch(self) -> str:
        return CORES[self.core]["arch"]

    @property
    def has_dsp(self) -> bool:
        return bool(CORES[self.core]["dsp"])

    @property
    def main_ram(self) -> MemoryRegion:
        """The run of contiguous regions holding .data, .bss and the stack."""
        regs = [self.region(n) for n in self.main_ram_names]
        return MemoryRegion("+".join(r.name for r in regs), regs[0].origin, sum(r.size for r in regs))

    @property
    def sram_total(self) -> int:
        return sum(r.size for r in self.sram)

    @property
    def flash_budget(self) -> int:
        return self.flash.size

    @property
    def sram_budget(self) -> int:
        return self.main_ram.size

    @property
    def boot_kind(self) -> str | None:
        return self.boot.get("kind")

    def region(self, name: str) -> MemoryRegion:
        for r in self.sram:
            if r.name == name:
                return r
        raise BoardError(f"board {self.name}: no SRAM region {name!r}")

    def to_dict(self) -> dict:
        return dict(name=self.name, description=self.description, mcu=self.mcu, core=self.core, fpu=self.fpu,
                    clock_hz=self.clock_hz, flash=self.flash.to_dict(), sram=[r.to_dict() for r in self.sram],
                    main_ram=self.main_ram.to_dict(), flash_budget_bytes=self.flash_budget,
                    sram_budget_bytes=self.sram_budget, sram_total_bytes=self.sram_total,
                    stack_bytes=self.stack_bytes, arena_alignment=self.arena_alignment,
                    boot=self.boot_kind, qemu_machine=self.qemu_machine or None,
                    pyocd_target=self.pyocd_target or None, openocd_config=list(self.openocd_config) or None)


def _region(d: dict, where: str, default_name: str) -> MemoryRegion:
    if not isinstance(d, dict):
        raise BoardError(f"{where}: expected a table with origin and size")
    name = bc.check_region_name(d.get("name", default_name), where)
    r = MemoryRegion(name=name, origin=bc.check_int(d.get("origin"), "origin", where, "region.origin"),
                     size=bc.check_int(d.get("size"), "size", where, "region.size"), tcm=bool(d.get("tcm", False)))
    if r.size == 0 or r.size % 256:
        raise BoardError(f"{where}: region {r.name} size {r.size:#x} must be a non-zero multiple of 256")
    if r.end > 1 << 32:
        raise BoardError(f"{where}: region {r.name} extends past the 4 GB address space")
    return r


def _largest_run(regions: tuple[MemoryRegion, ...]) -> tuple[str, ...]:
    """Names of the largest run of contiguous regions (ties: the lowest address)."""
    ordered = sorted(regions, key=lambda r: r.origin)
    runs: list[list[MemoryRegion]] = []
    for r in ordered:
        if runs and runs[-1][-1].end == r.origin:
            runs[-1].append(r)
        else:
            runs.append([r])
    best = max(runs, key=lambda run: (sum(r.size for r in run), -run[0].origin))
    return tuple(r.name for r in best)


def parse_board(data: dict, path: Path | None = None) -> Board:
    where = str(path) if path else "board"
    for key in ("name", "core", "fpu", "flash", "sram"):
        if key not in data:
            raise BoardError(f"{where}: missing '{key}'")
    # names, free text and numeric ranges: tinygen.board_check (documented in boards/README.md)
    name = bc.check_board_name(data["name"], where)
    description = bc.check_text(data.get("description", ""), "description", where)
    mcu = bc.check_text(data.get("mcu", ""), "mcu", where)
    core = data["core"]
    if not isinstance(core, str) or core not in CORES:
        raise BoardError(f"{where}: unknown core {quote_name(repr(core), 40, quotes=False)} (known: {', '.join(CORES)})")
    fpu = data["fpu"]
    if not isinstance(fpu, str) or fpu not in CORES[core]["fpus"]:
        raise BoardError(f"{where}: {core} cannot have FPU {quote_name(repr(fpu), 40, quotes=False)} "
                         f"(possible: {', '.join(CORES[core]['fpus'])})")
    flash = _region(data["flash"], where, "FLASH")
    if not isinstance(data["sram"], list) or not isinstance(data.get("mmio", []), list):
        raise BoardError(f"{where}: 'sram' and 'mmio' must be arrays of tables ([[sram]])")
    srams = tuple(_region(r, f"{where} sram[{i}]", f"SRAM{i}") for i, r in enumerate(data["sram"]))
    if not srams:
        raise BoardError(f"{where}: no SRAM region")
    names = [r.name for r in srams]
    if len(set(names)) != len(names):
        raise BoardError(f"{where}: duplicate SRAM region names")
    mmio = tuple(_region(r, f"{where} mmio[{i}]", f"MMIO{i}") for i, r in enumerate(data.get("mmio", [])))
    all_regions = sorted([flash, *srams, *mmio], key=lambda r: r.origin)
    for a, b in zip(all_regions, all_regions[1:]):
        if a.end > b.origin:
            raise BoardError(f"{where}: regions {a.name} and {b.name} overlap")
    if "main_ram" in data:
        if not isinstance(data["main_ram"], list):
            raise BoardError(f"{where}: main_ram must be an array of region names")
        main = tuple(bc.check_region_name(n, where) for n in data["main_ram"])
        regs = [next((r for r in srams if r.name == n), None) for n in main]
        if not main or any(r is None for r in regs):
            raise BoardError(f"{where}: main_ram names unknown regions: {main}")
        for a, b in zip(regs, regs[1:]):
            if a.end != b.origin:
                raise BoardError(f"{where}: main_ram regions {a.name} and {b.name} are not contiguous")
    else:
        main = _largest_run(srams)
    if not isinstance(data.get("boot", {}), dict):
        raise BoardError(f"{where}: 'boot' must be a table ([boot])")
    boot = dict(data.get("boot", {}))
    if boot and boot.get("kind") not in BOOT_KINDS:
        raise BoardError(f"{where}: unknown boot kind {quote_name(repr(boot.get('kind')), 40, quotes=False)} "
                         f"(known: {', '.join(BOOT_KINDS)})")
    boot = bc.check_boot(boot, where)
    align = bc.check_int(data.get("arena_alignment", 8), "arena_alignment", where)
    stack = bc.check_int(data.get("stack_bytes", 4096), "stack_bytes", where)
    ram_size = sum(r.size for r in srams if r.name in main)
    if stack >= ram_size:
        raise BoardError(f"{where}: stack_bytes ({stack:,}) must be smaller than the main RAM ({ram_size:,} bytes)")
    wait = bc.check_int(data.get("flash_wait_states", 0), "flash_wait_states", where)
    fcache = data.get("flash_cache", "none")
    if fcache not in FLASH_CACHES:
        raise BoardError(f"{where}: flash_cache must be one of {', '.join(FLASH_CACHES)}, "
                         f"got {quote_name(repr(fcache), 40, quotes=False)}")
    return Board(
        name=name, description=description, core=core, fpu=fpu,
        clock_hz=bc.check_int(data.get("clock_hz", 0), "clock_hz", where), flash=flash, sram=srams,
        main_ram_names=main, irq_count=bc.check_irq_count(data.get("irq_count", 32), CORES[core]["arch"], where),
        arena_alignment=align, stack_bytes=stack, caches=bool(data.get("caches", False)) and core == "cortex-m7",
        mcu=mcu, boot=boot, mmio=mmio, path=path, flash_wait_states=wait, flash_cache=fcache,
        **_tool_keys(data, where),
    )


def _tool_keys(data: dict, where: str) -> dict:
    """qemu_machine, pyocd_target, openocd_config (strings) and the [arduino] table."""
    out: dict = {}
    for key in ("qemu_machine", "pyocd_target", "openocd_config"):
        v = data.get(key, "")
        items = [v] if isinstance(v, str) else v if key == "openocd_config" and isinstance(v, list) else None
        if items is None or any(not isinstance(x, str) or not x.strip() or any(c.isspace() for c in x)
                                for x in items if x != ""):
            raise BoardError(f"{where}: '{key}' must be a name without spaces"
                             + (" or a list of them" if key == "openocd_config" else "") + f", got {v!r}")
        out[key] = tuple(x for x in items if x) if key == "openocd_config" else v
    ard = data.get("arduino", {})
    if not isinstance(ard, dict) or (ard and not isinstance(ard.get("fqbn"), str)) or \
            not all(isinstance(f, str) for f in ard.get("cflags", [])):
        raise BoardError(f"{where}: [arduino] needs fqbn (a string) and cflags (a list of strings)")
    out["arduino"] = dict(ard)
    return out


def load_board_file(path: str | Path) -> Board:
    p = Path(path)
    try:
        with open(p, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise BoardError(f"{p}: no such board file") from None
    except OSError as e:
        raise BoardError(f"{p}: cannot read the board file: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise BoardError(f"{p}: invalid TOML: {e}") from None
    return parse_board(data, p)


@lru_cache(maxsize=None)
def _all_boards(boards_dir: str) -> tuple[Board, ...]:
    return tuple(load_board_file(p) for p in sorted(Path(boards_dir).glob("*.toml")))


def list_boards(boards_dir: str | Path = BOARDS_DIR) -> list[Board]:
    """Every board in boards/, sorted generic ones first, then by name."""
    boards = _all_boards(str(boards_dir))
    cores = list(CORES)
    return sorted(boards, key=lambda b: (not b.name.startswith("generic-"), cores.index(b.core)
                                         if b.name.startswith("generic-") else 0, b.name.lower()))


def load_board(name: str | Board, boards_dir: str | Path = BOARDS_DIR) -> Board:
    """A board by name (case-insensitive; the file stem works too) or a path to a .toml file."""
    if isinstance(name, Board):
        return name
    if name.endswith(".toml") and Path(name).is_file():
        return load_board_file(name)
    key = name.lower()
    for b in list_boards(boards_dir):
        if b.name.lower() == key or (b.path is not None and b.path.stem.lower() == key):
            return b
    known = ", ".join(b.name for b in list_boards(boards_dir))
    raise BoardError(f"unknown board {name!r} (known: {known})")


__all__ = ["Board", "BoardError", "CORES", "MemoryRegion", "list_boards", "load_board", "load_board_file",
           "parse_board"]
