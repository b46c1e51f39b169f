"""What a firmware ELF contains: sections and their sizes, symbols, the function at an address,
the bytes to load, and where flash goes (per object file, from the linker map).

Sizes follow arm-none-eabi-size (Berkeley): text = allocated read-only sections, data = allocated
writable sections with contents, bss = allocated sections without contents. Then

    flash bytes       = text + data          (.data's initial values are stored in flash)
    static SRAM bytes = data + bss - stack   (.stack is the linker's stack reservation, not data)
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from ..errors import ToolchainError

STACK_SECTION = ".stack"


@dataclass(frozen=True)
class Section:
    name: str
    addr: int
    size: int
    lma: int
    alloc: bool
    write: bool
    execute: bool
    nobits: bool


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int
    kind: str      # "FUNC", "OBJECT", "NOTYPE", ...
    local: bool


@dataclass(frozen=True)
class Segment:
    paddr: int      # load address (flash for .data)
    vaddr: int
    data: bytes
    memsz: int


class ElfInfo:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            raise ToolchainError(f"{self.path}: no such ELF file") from None
        with f:
            try:
                elf = ELFFile(f)
            except Exception as e:  # pyelftools raises several kinds
                raise ToolchainError(f"{self.path}: not an ELF file ({e})") from None
            if elf["e_machine"] != "EM_ARM":
                raise ToolchainError(f"{self.path}: not an ARM ELF file ({elf['e_machine']})")
            self.entry = int(elf["e_entry"])
            segs = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
            self.sections: list[Section] = []
            for s in elf.iter_sections():
                if not s.name:
                    continue
                flags = s["sh_flags"]
                addr = int(s["sh_addr"])
                lma = addr
                if flags & SH_FLAGS.SHF_ALLOC and s["sh_type"] != "SHT_NOBITS":
                    off = int(s["sh_offset"])
                    for seg in segs:
                        if seg["p_offset"] <= off < seg["p_offset"] + max(seg["p_filesz"], 1):
                            lma = int(seg["p_paddr"]) + off - int(seg["p_offset"])
                            break
                self.sections.append(Section(
                    name=s.name, addr=addr, size=int(s["sh_size"]), lma=lma,
                    alloc=bool(flags & SH_FLAGS.SHF_ALLOC), write=bool(flags & SH_FLAGS.SHF_WRITE),
                    execute=bool(flags & SH_FLAGS.SHF_EXECINSTR), nobits=s["sh_type"] == "SHT_NOBITS"))
            self.segments = [Segment(int(s["p_paddr"]), int(s["p_vaddr"]), s.data(), int(s["p_memsz"]))
                             for s in segs if s["p_filesz"] > 0]
            self.symbols: dict[str, Symbol] = {}
            funcs: list[Symbol] = []
            symtab = elf.get_section_by_name(".symtab")
            if symtab is None:
                raise ToolchainError(f"{self.path}: no symbol table (stripped?)")
            for s in symtab.iter_symbols():
                if not s.name or s["st_info"]["type"] in ("STT_FILE", "STT_SECTION"):
                    continue
                kind = s["st_info"]["type"][4:]
                addr = int(s["st_value"])
                if kind == "FUNC":
                    addr &= ~1  # the thumb bit is not part of the address
                sym = Symbol(s.name, addr, int(s["st_size"]), kind, s["st_info"]["bind"] == "STB_LOCAL")
                if s.name.startswith("$"):  # mapping symbols ($t, $d)
                    continue
                prev = self.symbols.get(s.name)
                if prev is None or (prev.local and not sym.local):
                    self.symbols[s.name] = sym
                if kind == "FUNC":
                    funcs.append(sym)
        funcs.sort(key=lambda s: s.addr)
        self._funcs = funcs
        self._func_addrs = [s.addr for s in funcs]

    # -- symbols ----------------------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        """Bytes of the loaded image at an address (code or constants; .bss reads as zeros)."""
        for seg in self.segments:
            if seg.paddr <= addr and addr + size <= seg.paddr + len(seg.data):
                off = addr - seg.paddr
                return seg.data[off:off + size]
        raise ToolchainError(f"{self.path.name}: no loaded bytes at {addr:#010x}+{size}")

    def symbol(self, name: str) -> Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ToolchainError(f"{self.path.name}: no symbol {name!r}") from None

    def address(self, name: str) -> int:
        return self.symbol(name).addr

    def function_at(self, addr: int) -> str | None:
        """'name+0xoff' of the function containing addr, or None."""
        i = bisect.bisect_right(self._func_addrs, addr) - 1
        while i >= 0:
            f = self._funcs[i]
            if f.addr <= addr < f.addr + max(f.size, 2):
                off = addr - f.addr
                return f.name if off == 0 else f"{f.name}+{off:#x}"
            if f.size:  # sized function that does not contain addr: stop
                break
            i -= 1
        return None

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    # -- sizes --------------------------------------------------------------------------------
    def berkeley(self) -> dict[str, int]:
        text = sum(s.size for s in self.sections if s.alloc and not s.write and not s.nobits)
        data = sum(s.size for s in self.sections if s.alloc and s.write and not s.nobits)
        bss = sum(s.size for s in self.sections if s.alloc and s.nobits)
        return dict(text=text, data=data, bss=bss)

    @property
    def stack_reserved(self) -> int:
        s = self.section(STACK_SECTION)
        return s.size if s else 0

    @property
    def flash_bytes(self) -> int:
        b = self.berkeley()
        return b["text"] + b["data"]

    @property
    def static_sram_bytes(self) -> int:
        b = self.berkeley()
        return b["data"] + b["bss"] - self.stack_reserved

    def section_sizes(self) -> dict[str, int]:
        return {s.name: s.size for s in self.sections if s.alloc}


_MAP_LINE = re.compile(r"^\s*(\.\S+)?\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")


def flash_by_object(map_file: str | Path, flash_origin: int, flash_end: int) -> dict[str, int]:
    """Bytes in flash per input file (archive members as 'libc.a(lib_a-memcpy.o)'), from the
    linker map. Only input sections (not fill), placed or loaded in flash."""
    out: dict[str, int] = {}
    text = Path(map_file).read_text(errors="replace")
    start = text.find("Linker script and memory map")
    if start < 0:
        return out
    pending: str | None = None
    in_data = False
    for line in text[start:].splitlines():
        if line.startswith(".data") or line.startswith(".bss") or line.startswith(".stack") or line.startswith(".noinit"):
            in_data = line.startswith(".data")
        elif line and not line[0].isspace() and line.startswith("."):
            in_data = False
        if line.startswith(" .") and len(line.split()) == 1:
            pending = line.strip()
            continue
        m = _MAP_LINE.match(line)
        if not m:
            pending = None
            continue
        sec = m.group(1) or pending
        pending = None
        addr, size, what = int(m.group(2), 16), int(m.group(3), 16), m.group(4).strip()
        if sec is None or size == 0 or what.startswith("*") or "=" in what:
            continue
        if sec.startswith((".debug", ".comment", ".ARM.attributes")):
            continue
        if not (flash_origin <= addr < flash_end or in_data):
            continue
        if sec.startswith((".bss", ".stack", ".noinit", "COMMON")):
            continue
        obj = Path(what.split("(")[0]).name + ("(" + what.split("(", 1)[1] if "(" in what else "")
        out[obj] = out.get(obj, 0) + size
    return out


__all__ = ["ElfInfo", "Section", "Segment", "Symbol", "flash_by_object"]
