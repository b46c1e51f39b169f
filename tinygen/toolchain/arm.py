"""Cortex-M build: generated C + kernel library + start-up code -> firmware ELF (arm-none-eabi-gcc).

    fw = build_firmware(compiled_model, load_board("NUCLEO-F411RE"))
    fw.elf            # path of the linked firmware (cached)

Everything is content-hash cached under tinygen.paths.cache_dir()/arm: the kernel library once
per core/FPU/optimization flags (a static archive, linked with --gc-sections so only the kernels a
model calls end up in flash), the firmware once per generated sources and flags.

The firmware is what would run on the board: the linker script and start-up code (vector table,
reset handler copying .data, zeroing .bss, enabling the FPU; the RP2040 second-stage boot loader
or the i.MX RT FlexSPI boot headers where the part needs them) are rendered from the board file
through templates/target/. When a model does not fit the board, the link fails; the firmware is
then linked a second time with enlarged memories (a *measurement build*, never for the board) so
that what the model would need can still be measured and reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .. import __version__
from ..boards import Board
from ..cpus import CORES
from ..errors import ToolchainError
from ..jinja import template_env
from ..paths import KERNELS_DIR, KERNELS_INCLUDE, TEMPLATES_DIR, cache_dir
from ..fsio import cache_entry, write_folder
from ..sanitize import c_identifier
from .host import _hash_files, kernel_headers, kernel_sources

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler import CompiledModel

ARM_PREFIX = os.environ.get("TINYGEN_ARM_PREFIX", "arm-none-eabi-")
WARNINGS = ["-Wall", "-Wextra", "-Werror"]
OPT_LEVELS = ("O2", "Os", "O3", "O1", "O0")
#: flash and RAM lengths of a measurement build (a model that does not fit its board)
MEASURE_LENGTH = 64 << 20
TARGET_TEMPLATES = TEMPLATES_DIR / "target"


def tool(name: str) -> str:
    return ARM_PREFIX + name


@lru_cache(maxsize=None)
def arm_gcc_version() -> str:
    try:
        r = subprocess.run([tool("gcc"), "--version"], capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"{tool('gcc')} not found: install the Debian packages gcc-arm-none-eabi, "
                             f"binutils-arm-none-eabi and libnewlib-arm-none-eabi (./dev.sh setup)") from None
    return r.stdout.splitlines()[0] if r.stdout else "unknown"


def arm_toolchain_missing() -> str | None:
    """None when arm-none-eabi-gcc (with newlib) is usable, else the reason it is not."""
    if shutil.which(tool("gcc")) is None:
        return f"{tool('gcc')} not found (install gcc-arm-none-eabi, binutils-arm-none-eabi, libnewlib-arm-none-eabi)"
    try:
        r = subprocess.run([tool("gcc"), "-mcpu=cortex-m4", "-mthumb", "-print-file-name=libc.a"],
                           capture_output=True, text=True)
    except OSError as e:  # pragma: no cover
        return str(e)
    if r.returncode != 0 or not Path(r.stdout.strip()).is_absolute():
        return "newlib for arm-none-eabi not found (install libnewlib-arm-none-eabi)"
    return None


# -- flags ----------------------------------------------------------------------------------------
def core_flags(board: Board) -> list[str]:
    """-mcpu/-mthumb/-mfloat-abi/-mfpu for the board's core and FPU."""
    flags = [f"-mcpu={board.core}", "-mthumb"]
    if board.fpu == "none":
        flags.append("-mfloat-abi=soft")
    else:
        flags += ["-mfloat-abi=hard", f"-mfpu={board.fpu}"]
    return flags


def compile_flags(board: Board, opt: str = "O2") -> list[str]:
    if opt not in OPT_LEVELS:
        raise ToolchainError(f"unknown optimization level {opt!r} (use one of {', '.join(OPT_LEVELS)})")
    return [*core_flags(board), f"-{opt}", "-std=c99", "-ffunction-sections", "-fdata-sections", *WARNINGS]


def link_flags(board: Board, opt: str = "O2") -> list[str]:
    flags = [*core_flags(board), f"-{opt}", "-nostartfiles", "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments"]
    if opt == "Os":
        flags.append("--specs=nano.specs")  # newlib-nano: the size-optimized C library
    return flags


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"{what}: {cmd[0]!r} not found (install gcc-arm-none-eabi)") from None
    if r.returncode != 0:
        lines = r.stderr.splitlines()
        first = next((ln for ln in lines if "error" in ln), lines[0] if lines else "(no message)")
        raise ToolchainError(f"{what} failed: {first}\n{r.stderr}")
    return r


def _key(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


# -- kernel library --------------------------------------------------------------------------------
def build_kernel_library(board: Board, opt: str = "O2") -> Path:
    """Compile kernels/ for the board's core and FPU into libtgnn.a (cached per flags)."""
    cflags = compile_flags(board, opt)
    cc = tool("gcc")
    srcs = kernel_sources()
    key = _hash_files(srcs + kernel_headers(), [cc, arm_gcc_version(), *cflags])
    tag = board.core + ("" if board.fpu == "none" else "-" + board.fpu) + "-" + opt
    final = cache_dir() / "arm" / f"kernels-{tag}-{key}"
    lib = final / "libtgnn.a"
    if lib.exists():
        return lib
    with cache_entry(final) as tmp:
        def one(src: Path) -> Path:
            obj = tmp / (src.relative_to(KERNELS_DIR / "src").as_posix().replace("/", "__")[:-2] + ".o")
            _run([cc, *cflags, "-I", str(KERNELS_INCLUDE), "-c", str(src), "-o", str(obj)],
                 f"compiling kernel {src.relative_to(KERNELS_DIR)} for {board.core}")
            return obj

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            objs = list(ex.map(one, srcs))
        _run([tool("ar"), "rcs", str(tmp / "libtgnn.a"), *map(str, objs)], "archiving the kernel library")
    return lib


# -- generated sources ----------------------------------------------------------------------------
def _env():
    return template_env()


def _vector_align(n_vectors: int) -> int:
    size = 4 * n_vectors
    align = 128
    while align < size:
        align *= 2
    return align


def crc32_rp2040(data: bytes) -> int:
    """CRC-32 as the RP2040 boot ROM checks it: polynomial 0x04c11db7, initial 0xffffffff, most
    significant bit first, no final XOR (CRC-32/MPEG-2)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def rp2040_boot2(clkdiv: int = 4) -> bytes:
    """The 256-byte RP2040 second-stage boot loader (252 bytes of code + CRC32), built from
    templates/target/rp2040_boot2.c.j2 and cached."""
    if not 2 <= clkdiv <= 254 or clkdiv % 2:
        raise ToolchainError(f"RP2040 boot2: the SSI clock divider must be even, 2..254 (got {clkdiv})")
    src = _env().get_template("target/rp2040_boot2.c.j2").render(version=__version__, clkdiv=clkdiv)
    cc = tool("gcc")
    final = cache_dir() / "arm" / f"boot2-{_key(src, cc, arm_gcc_version())}"
    out = final / "boot2.bin"
    if out.exists():
        return out.read_bytes()
    with cache_entry(final) as tmp:
        (tmp / "boot2.c").write_text(src)
        _run([cc, "-mcpu=cortex-m0plus", "-mthumb", *WARNINGS, "-nostdlib", "-nostartfiles", "-Wl,--entry=tg_boot2_entry",
              "-Wl,-Ttext=0x20041f00", "-Wl,--no-warn-rwx-segments", str(tmp / "boot2.c"), "-o", str(tmp / "boot2.elf")],
             "building the RP2040 boot loader")
        _run([tool("objcopy"), "-O", "binary", "-j", ".text", str(tmp / "boot2.elf"), str(tmp / "code.bin")],
             "extracting the RP2040 boot loader")
        code = (tmp / "code.bin").read_bytes()
        if len(code) > 252:
            raise ToolchainError(f"RP2040 boot2 is {len(code)} bytes, more than 252")
        code = code + bytes(252 - len(code))
        (tmp / "boot2.bin").write_bytes(code + crc32_rp2040(code).to_bytes(4, "little"))
    return out.read_bytes()


@dataclass(frozen=True)
class Layout:
    """Where the linker may place things (the board's memories, or enlarged for measuring)."""
    flash_origin: int
    flash_length: int
    ram_origin: int
    ram_length: int
    measure: bool = False

    def to_dict(self) -> dict:
        return dict(flash_origin=self.flash_origin, flash_length=self.flash_length, ram_origin=self.ram_origin,
                    ram_length=self.ram_length, measure=self.measure)


def board_layout(board: Board, measure: bool = False) -> Layout:
    ram = board.main_ram
    if not measure:
        return Layout(board.flash.origin, board.flash.size, ram.origin, ram.size)
    return Layout(board.flash.origin, max(board.flash.size, MEASURE_LENGTH), ram.origin, max(ram.size, MEASURE_LENGTH),
                  measure=True)


def render_support_sources(board: Board, name: str | Sequence[str] | None, stack_bytes: int,
                           measure: bool = False) -> dict[str, str]:
    """Start-up code, firmware main (when `name`, the model's C prefix, is given; with several
    names, main runs each model in turn), boot headers and linker script: {file name: text}. With
    the models' <name>.c/.h and the kernel library they make the firmware."""
    env = _env()
    core = CORES[board.core]
    common = dict(version=__version__, board=board, boot_kind=board.boot_kind, boot=board.boot)
    handlers = ["tg_default_handler,"] * board.irq_count
    rows = [" ".join(handlers[i:i + 4]) for i in range(0, len(handlers), 4)]
    files = {
        "tg_startup.c": env.get_template("target/startup.c.j2").render(
            irq_count=board.irq_count, irq_rows=rows, fault_vectors=core["fault_vectors"], secure=core["secure"],
            stack_limit_register=board.arch == "armv8-m.main", **common),
    }
    if name is not None:
        names = [name] if isinstance(name, str) else list(name)
        files["tg_main.c"] = env.get_template("target/main.c.j2").render(
            names=names, dwt=board.core not in ("cortex-m0", "cortex-m0plus"), **common)
    if board.boot_kind == "rp2040-boot2":
        blob = rp2040_boot2(int(board.boot.get("clkdiv", 4)))
        hexes = [f"0x{b:02x}," for b in blob]
        files["tg_boot2.c"] = env.get_template("target/rp2040_boot2_image.c.j2").render(
            rows=[" ".join(hexes[i:i + 12]) for i in range(0, len(hexes), 12)], **common)
    elif board.boot_kind == "imxrt-flexspi-nor":
        pads = int(board.boot.get("pads", 4))
        if pads not in (1, 2, 4, 8):
            raise ToolchainError(f"board {board.name}: boot.pads must be 1, 2, 4 or 8")
        boot = dict(dict(serial_clock=6, pads=4, read_command=0xEB, dummy_cycles=6, page_size=256, sector_size=4096,
                         block_size=65536), **board.boot)
        files["tg_boot.c"] = env.get_template("target/imxrt_boot.c.j2").render(
            **dict(common, boot=boot), pad_log2={1: 0, 2: 1, 4: 2, 8: 3}[pads])
    layout = board_layout(board, measure)
    ram = board.main_ram
    main_names = set(board.main_ram_names)
    files["board.ld"] = env.get_template("target/linker.ld.j2").render(
        board_file=board.path.name if board.path else board.name, ram=ram, measure=measure,
        flash_length=layout.flash_length, ram_length=layout.ram_length, stack_bytes=stack_bytes,
        other_regions=[] if measure else [r for r in board.sram if r.name not in main_names],
        vector_align=_vector_align(16 + board.irq_count), **common)
    return files


# -- firmware --------------------------------------------------------------------------------------
@dataclass
class Firmware:
    """A linked firmware for one model and board."""
    elf: Path
    map_file: Path
    board: Board
    model_name: str
    opt: str
    stack_bytes: int
    layout: Layout
    #: the firmware links for the board's real memories (False: `elf` is a measurement build)
    fits_link: bool = True
    #: the linker's complaint when it did not fit
    link_message: str = ""
    directory: Path | None = None
    cflags: list[str] = field(default_factory=list)
    build_seconds: float = 0.0


_OVERFLOW = re.compile(r"(region `?\S+'? overflowed by \d+ bytes|will not fit in region|section \S+ .*overlaps)")


def _link(objs: Sequence[Path], lib: Path, ld: Path, out: Path, mapf: Path, lflags: list[str]) -> subprocess.CompletedProcess:
    cmd = [tool("gcc"), *lflags, "-T", str(ld), f"-Wl,-Map={mapf}", *map(str, objs), str(lib), "-lm", "-lc", "-lgcc",
           "-o", str(out)]
    try:
        return subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"{cmd[0]!r} not found (install gcc-arm-none-eabi)") from None


#: a profiling build calls this function between operators (see templates/model.c.j2, TG_PROFILE)
PROFILE_HEADER = """/* tg_profile.h: included first by the model's C in a profiling build (tinygen run --profile) */
#include <stdint.h>
void tg_profile_mark(int32_t op);
#define TG_PROFILE(op) tg_profile_mark(op)
"""
PROFILE_SOURCE = """/* tg_profile.c: the marker a profiling build calls before each operator and after the last;
 * the emulator records the instruction count at every call. */
#include "tg_profile.h"
void tg_profile_mark(int32_t op) __attribute__((noinline, noipa));
void tg_profile_mark(int32_t op)
{
    (void)op;
    __asm volatile ("" ::: "memory");
}
"""


def build_firmware(cm: "CompiledModel", board: Board, opt: str = "O2", stack_bytes: int | None = None,
                   profile: bool = False) -> Firmware:
    """Compile the model, the start-up code and the firmware main for the board; link them with the
    kernel library and newlib. Cached by the hash of every source and flag. With profile=True, a
    profiling build: the model calls tg_profile_mark(op) between operators (a measurement build,
    a few instructions per operator slower)."""
    stack = int(stack_bytes if stack_bytes is not None else board.stack_bytes)
    sources = dict(cm.files)
    if profile:
        c = f"{cm.name}.c"
        sources[c] = '#include "tg_profile.h"\n' + sources[c]
        sources["tg_profile.h"] = PROFILE_HEADER
        sources["tg_profile.c"] = PROFILE_SOURCE
    sources.update(render_support_sources(board, cm.name, stack))
    return build_program(board, sources, opt=opt, stack_bytes=stack, name=cm.name + ("-profile" if profile else ""),
                         with_support=False)


def build_program(board: Board, sources: dict[str, str], opt: str = "O2", stack_bytes: int | None = None,
                  name: str = "program", with_support: bool = True) -> Firmware:
    """Link C sources (which define main()) with the board's start-up code, boot headers, linker
    script, the kernel library and newlib. With with_support=False, `sources` must already hold
    them (see render_support_sources)."""
    import time

    t0 = time.perf_counter()
    stack = int(stack_bytes if stack_bytes is not None else board.stack_bytes)
    if stack < 256 or stack % 8:
        raise ToolchainError(f"stack size {stack} must be a multiple of 8, at least 256 bytes")
    sources = dict(sources)
    if with_support:
        support = render_support_sources(board, None, stack)
        clash = set(support) & set(sources)
        if clash:
            raise ToolchainError(f"source names clash with the generated start-up files: {sorted(clash)}")
        sources.update(support)
    lib = build_kernel_library(board, opt)
    cflags = compile_flags(board, opt)
    lflags = link_flags(board, opt)
    key = _key(lib.parent.name, arm_gcc_version(), *cflags, *lflags, str(stack),
               *[f"{k}\0{v}" for k, v in sorted(sources.items())])
    # the folder name is for people; the key alone identifies the build (names from board files
    # and callers never become path components as they are)
    label = f"{c_identifier(name, 'program')[:24]}-{c_identifier(board.name, 'board')[:24]}"
    final = cache_dir() / "arm" / f"fw-{label}-{opt}-{key}"
    info_path = final / "build.json"
    if not info_path.exists():
        with cache_entry(final) as tmp:
            _build_into(tmp, sources, lib, board, name if not with_support else None, stack, cflags, lflags)
    info = json.loads(info_path.read_text())
    return Firmware(elf=final / info["elf"], map_file=final / info["map"], board=board, model_name=name, opt=opt,
                    stack_bytes=stack, layout=Layout(**info["layout"]), fits_link=info["fits_link"],
                    link_message=info["link_message"], directory=final, cflags=cflags,
                    build_seconds=time.perf_counter() - t0)


def _build_into(d: Path, sources: dict[str, str], lib: Path, board: Board, name: str | None, stack: int,
                cflags: list[str], lflags: list[str]) -> None:
    for fname, text in sources.items():
        (d / fname).write_text(text)
    cfiles = sorted(f for f in sources if f.endswith(".c"))

    def one(fname: str) -> Path:
        obj = d / (fname[:-2] + ".o")
        _run([tool("gcc"), *cflags, "-I", str(KERNELS_INCLUDE), "-I", str(d), "-c", str(d / fname), "-o", str(obj)],
             f"compiling {fname} for {board.name} ({board.core})")
        return obj

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        objs = list(ex.map(one, cfiles))
    r = _link(objs, lib, d / "board.ld", d / "firmware.elf", d / "firmware.map", lflags)
    info = dict(elf="firmware.elf", map="firmware.map", layout=board_layout(board).to_dict(), fits_link=True,
                link_message="")
    if r.returncode != 0:
        m = _OVERFLOW.search(r.stderr)
        if not m:
            lines = r.stderr.splitlines()
            first = next((ln for ln in lines if "error" in ln or "undefined" in ln), lines[0] if lines else "")
            raise ToolchainError(f"linking the firmware for {board.name} failed: {first}\n{r.stderr}")
        msgs = [re.sub(r"^\S*\.elf ", "", ln.split(": ", 1)[-1]) for ln in r.stderr.splitlines()
                if _OVERFLOW.search(ln)]
        (d / "board-measure.ld").write_text(render_support_sources(board, name, stack, measure=True)["board.ld"])
        r2 = _link(objs, lib, d / "board-measure.ld", d / "firmware-measure.elf", d / "firmware-measure.map", lflags)
        if r2.returncode != 0:
            raise ToolchainError(f"linking the measurement build for {board.name} failed:\n{r2.stderr}")
        info.update(elf="firmware-measure.elf", map="firmware-measure.map",
                    layout=board_layout(board, measure=True).to_dict(), fits_link=False,
                    link_message="; ".join(dict.fromkeys(msgs)))
    (d / "build.json").write_text(json.dumps(info, indent=1))


def write_firmware_sources(cm: "CompiledModel", board: Board, out_dir: str | Path,
                           stack_bytes: int | None = None) -> list[Path]:
    """Write everything a firmware needs besides the kernel library into out_dir: the model's
    <name>.c/.h, tg_startup.c, tg_main.c, boot headers where the part needs them, board.ld,
    together or not at all."""
    files = dict(cm.files)
    files.update(render_support_sources(board, cm.name, int(stack_bytes or board.stack_bytes)))
    return write_folder(out_dir, files)  # all of them or none (tinygen.fsio)


def size_berkeley(elf: str | Path) -> dict[str, int]:
    """arm-none-eabi-size's Berkeley numbers: {'text', 'data', 'bss'}."""
    r = _run([tool("size"), "-B", str(elf)], "arm-none-eabi-size")
    line = r.stdout.strip().splitlines()[1].split()
    return dict(text=int(line[0]), data=int(line[1]), bss=int(line[2]))


__all__ = ["Firmware", "Layout", "arm_toolchain_missing", "board_layout", "build_firmware", "build_kernel_library",
           "build_program", "compile_flags", "core_flags", "crc32_rp2040", "link_flags", "render_support_sources", "rp2040_boot2",
           "size_berkeley", "write_firmware_sources"]
