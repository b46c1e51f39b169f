"""Flash images of a firmware, and programming a board with a debug probe.

    images = write_images(fw.elf, board, out_dir, "model")   # .elf, .hex, .bin (+ base), .uf2 (Pico)
    argv = probe_argv("pyocd", board, images)                 # the command that programs the board
    flash(images, board, "openocd")                           # runs it (one-line errors)

Probes:
- `pyocd`: `pyocd load --target <pyocd_target> --format hex X.hex` (pyOCD from PyPI:
  `pip install tinygen[flash]`); it erases, programs, verifies by CRC and resets.
- `openocd`: `openocd -f <openocd_config>... -c "program {X.elf} verify reset exit"` (Debian's
  openocd).
- `gdb://HOST:PORT`: tinygen's own GDB client (tinygen.emulator.gdb_rsp): reset and halt, write the
  ELF's segments (flash through the server's vFlash commands), read them back, reset.
- `uf2`: copy X.uf2 to the mounted RPI-RP2 drive of a Raspberry Pi Pico held in BOOTSEL mode.

Image formats are written here, not through objcopy: Intel HEX (data records of 16 bytes,
extended linear address records at each 64 KB boundary, the ELF entry as start linear address,
end-of-file record) and UF2 (512-byte blocks of 256 payload bytes, RP2040 family ID), both small
and fully specified; writing them ourselves keeps the dependencies to pyelftools.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import struct
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .boards import Board
from .errors import TinygenError
from .toolchain.elfinfo import ElfInfo

PROBES = ("pyocd", "openocd", "uf2")  # and gdb://HOST:PORT

UF2_MAGIC_START0 = 0x0A324655  # "UF2\n"
UF2_MAGIC_START1 = 0x9E5D5157
UF2_MAGIC_END = 0x0AB16F30
UF2_FLAG_FAMILY_ID = 0x00002000
UF2_FAMILY_RP2040 = 0xE48BFF56
UF2_PAYLOAD = 256


class FlashError(TinygenError):
    """A flashing tool or probe is missing, or programming failed."""


@dataclass
class FlashImages:
    elf: Path
    hex: Path
    bin: Path
    #: the address the first byte of the .bin goes to
    bin_base: int
    uf2: Path | None
    entry: int
    bytes: int
    sha256: str

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


# -- image formats ---------------------------------------------------------------------------------
def image_segments(elf: ElfInfo, board: Board) -> list[tuple[int, bytes]]:
    """The ELF's loadable bytes, merged; every byte must go to the board's flash."""
    from .backends import flash_segments

    segs = flash_segments(elf)
    if not segs:
        raise FlashError(f"{elf.path.name}: nothing to flash (no loadable segment)")
    for addr, data in segs:
        if not (board.flash.origin <= addr and addr + len(data) <= board.flash.end):
            raise FlashError(f"{elf.path.name}: {len(data)} bytes at {addr:#010x} lie outside the flash of {board.name} "
                             f"({board.flash.origin:#010x}..{board.flash.end:#010x})")
    return segs


def to_bin(segments: Sequence[tuple[int, bytes]], fill: int = 0xFF) -> tuple[int, bytes]:
    """(base address, bytes) from the lowest to the highest loaded address, gaps filled."""
    base = min(a for a, _ in segments)
    end = max(a + len(d) for a, d in segments)
    out = bytearray([fill]) * (end - base)
    for a, d in segments:
        out[a - base:a - base + len(d)] = d
    return base, bytes(out)


def _hex_record(kind: int, addr16: int, data: bytes) -> str:
    body = bytes((len(data), (addr16 >> 8) & 0xFF, addr16 & 0xFF, kind)) + data
    return ":" + body.hex().upper() + f"{(-sum(body)) & 0xFF:02X}"


def to_intel_hex(segments: Sequence[tuple[int, bytes]], entry: int | None = None) -> str:
    lines = []
    upper = None
    for addr, data in sorted(segments):
        off = 0
        while off < len(data):
            a = addr + off
            if a >> 16 != upper:
                upper = a >> 16
                lines.append(_hex_record(0x04, 0, upper.to_bytes(2, "big")))
            n = min(16, len(data) - off, 0x10000 - (a & 0xFFFF))
            lines.append(_hex_record(0x00, a & 0xFFFF, data[off:off + n]))
            off += n
    if entry is not None:
        lines.append(_hex_record(0x05, 0, entry.to_bytes(4, "big")))
    lines.append(_hex_record(0x01, 0, b""))
    return "\n".join(lines) + "\n"


def parse_intel_hex(text: str) -> list[tuple[int, bytes]]:
    """Data records of an Intel HEX file as (address, bytes), in file order (checksums checked)."""
    out, upper = [], 0
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith(":"):
            raise FlashError(f"hex line {n}: no ':'")
        raw = bytes.fromhex(line[1:])
        if sum(raw) & 0xFF or len(raw) != raw[0] + 5:
            raise FlashError(f"hex line {n}: bad checksum or length")
        count, addr, kind, data = raw[0], int.from_bytes(raw[1:3], "big"), raw[3], raw[4:4 + raw[0]]
        if kind == 0x00:
            out.append(((upper << 16) + addr, bytes(data)))
        elif kind == 0x04:
            upper = int.from_bytes(data, "big")
        elif kind == 0x01:
            break
        del count
    return out


def to_uf2(base: int, data: bytes, family: int = UF2_FAMILY_RP2040) -> bytes:
    """UF2 blocks: 256 payload bytes each at consecutive addresses from base (256-aligned)."""
    if base % UF2_PAYLOAD:
        raise FlashError(f"UF2: the image must start on a {UF2_PAYLOAD}-byte boundary, not {base:#x}")
    n = -(-len(data) // UF2_PAYLOAD)
    blocks = []
    for i in range(n):
        chunk = data[i * UF2_PAYLOAD:(i + 1) * UF2_PAYLOAD].ljust(UF2_PAYLOAD, b"\xff")
        head = struct.pack("<8I", UF2_MAGIC_START0, UF2_MAGIC_START1, UF2_FLAG_FAMILY_ID, base + i * UF2_PAYLOAD,
                           UF2_PAYLOAD, i, n, family)
        blocks.append(head + chunk.ljust(476, b"\x00") + struct.pack("<I", UF2_MAGIC_END))
    return b"".join(blocks)


def write_images(elf_path: str | Path, board: Board, out_dir: str | Path, name: str) -> FlashImages:
    """Write <name>.elf, .hex, .bin, .uf2 (RP2040 boards) and <name>.flash.json into out_dir, all
    or nothing (built in a temporary directory on the same file system, then renamed)."""
    elf = ElfInfo(elf_path)
    segs = image_segments(elf, board)
    base, binary = to_bin(segs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tinygen-flash-", dir=out))
    try:
        files = {f"{name}.elf": Path(elf_path).read_bytes(), f"{name}.bin": binary,
                 f"{name}.hex": to_intel_hex(segs, elf.entry).encode()}
        uf2 = None
        if board.boot_kind == "rp2040-boot2":
            files[f"{name}.uf2"] = to_uf2(base, binary)
            uf2 = out / f"{name}.uf2"
        images = FlashImages(elf=out / f"{name}.elf", hex=out / f"{name}.hex", bin=out / f"{name}.bin", bin_base=base,
                             uf2=uf2, entry=elf.entry, bytes=len(binary), sha256=hashlib.sha256(binary).hexdigest())
        manifest = dict(images.to_dict(), board=board.name, bin_base_hex=f"{base:#010x}",
                        segments=[dict(address=a, bytes=len(d)) for a, d in segs])
        files[f"{name}.flash.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
        for fname, data in files.items():
            (tmp / fname).write_bytes(data)
        for fname in files:
            os.replace(tmp / fname, out / fname)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return images


# -- probes ----------------------------------------------------------------------------------------
def probe_kind(probe: str) -> str:
    p = probe.strip()
    if p in PROBES:
        return p
    if p.startswith("gdb://"):
        from .emulator.gdb_rsp import parse_gdb_url

        parse_gdb_url(p)
        return "gdb"
    raise FlashError(f"unknown probe {probe!r} (use pyocd, openocd, uf2 or gdb://HOST:PORT)")


def default_probe(board: Board) -> str:
    if board.boot_kind == "rp2040-boot2" and not board.pyocd_target:
        return "uf2"
    if board.pyocd_target:
        return "pyocd"
    if board.openocd_config:
        return "openocd"
    raise FlashError(f"board {board.name} names no flashing tool (pyocd_target, openocd_config): give --probe "
                     "gdb://HOST:PORT for a debug server attached to it")


def _tcl_word(s: str) -> str:
    if any(c in s for c in "{}\\"):
        raise FlashError(f"OpenOCD cannot take the path {s!r} (braces or backslashes)")
    return "{" + s + "}"


def probe_argv(probe: str, board: Board, images: FlashImages) -> list[str]:
    """The command that programs the board (pyocd, openocd) or copies the UF2 file (uf2)."""
    kind = probe_kind(probe)
    if kind == "pyocd":
        if not board.pyocd_target:
            raise FlashError(f"board {board.name} has no pyocd_target: pyOCD does not know which part to program")
        return ["pyocd", "load", "--no-wait", "--target", board.pyocd_target, "--format", "hex", str(images.hex)]
    if kind == "openocd":
        if not board.openocd_config:
            raise FlashError(f"board {board.name} has no openocd_config (OpenOCD 0.12 has no configuration for it)")
        argv = ["openocd"]
        for cfg in board.openocd_config:
            argv += ["-f", cfg]
        return argv + ["-c", f"program {_tcl_word(str(images.elf))} verify reset exit"]
    if kind == "uf2":
        if images.uf2 is None:
            raise FlashError(f"board {board.name} does not boot UF2 files (only the Raspberry Pi Pico here)")
        return ["cp", str(images.uf2), str(find_uf2_drive() or "<RPI-RP2 drive>") + os.sep]
    raise FlashError("a gdb:// probe is driven by tinygen itself, not by a command")


def gdbserver_argv(probe: str, board: Board, port: int) -> list[str]:
    """A GDB server on 127.0.0.1:port for --check after pyocd/openocd flashing."""
    kind = probe_kind(probe)
    if kind == "pyocd":
        return ["pyocd", "gdbserver", "--no-wait", "--target", board.pyocd_target, "--port", str(port),
                "--telnet-port", "0"]
    if kind == "openocd":
        argv = ["openocd"]
        for cfg in board.openocd_config:
            argv += ["-f", cfg]
        return argv + ["-c", "bindto 127.0.0.1", "-c", f"gdb_port {port}", "-c", "telnet_port disabled", "-c",
                       "tcl_port disabled", "-c", "init", "-c", "reset halt"]
    raise FlashError(f"--check needs a debug connection; {probe} has none (use pyocd, openocd or gdb://HOST:PORT)")


_INSTALL = {"pyocd": "pip install 'tinygen[flash]' (pyOCD)", "openocd": "apt-get install openocd",
            "cp": "coreutils"}


def _tool(argv: list[str]) -> str:
    import sys

    # on PATH, or installed beside this Python (pyOCD as tinygen's [flash] extra, venv not activated)
    path = shutil.which(argv[0]) or shutil.which(argv[0], path=str(Path(sys.executable).parent))
    if path is None:
        raise FlashError(f"{argv[0]} not found: {_INSTALL.get(argv[0], 'install it')}")
    return path


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for key in ("no connected debug probes", "open failed", "no probe", "error", "failed"):
        hit = [ln for ln in lines if key in ln.lower()]
        if hit:
            return hit[0]
    return lines[-1] if lines else "(no message)"


def run_tool(argv: list[str], timeout: float = 600.0) -> None:
    exe = _tool(argv)
    try:
        r = subprocess.run([exe, *argv[1:]], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FlashError(f"{argv[0]} did not finish within {timeout:g} s") from None
    if r.returncode != 0:
        msg = _last_error(r.stderr + "\n" + r.stdout)
        hint = " (is the board connected through a debug probe?)" if any(
            k in msg.lower() for k in ("probe", "open failed", "no device", "unable to find")) else ""
        raise FlashError(f"{argv[0]} failed: {msg}{hint}")


def find_uf2_drive(roots: Sequence[str | Path] | None = None) -> Path | None:
    """The mounted RPI-RP2 drive (its INFO_UF2.TXT says Board-ID: RPI-RP2), or None."""
    candidates: list[Path] = []
    if roots is None:
        try:
            with open("/proc/mounts") as f:
                candidates = [Path(line.split()[1].replace("\\040", " ")) for line in f if len(line.split()) > 1]
        except OSError:
            candidates = []
        for top in ("/media", "/run/media", "/Volumes"):
            p = Path(top)
            if p.is_dir():
                candidates += [d for d in p.glob("*") if d.is_dir()] + [d for d in p.glob("*/*") if d.is_dir()]
    else:
        candidates = [Path(r) for r in roots]
    for d in candidates:
        info = d / "INFO_UF2.TXT"
        try:
            if info.is_file() and "RPI-RP2" in info.read_text(errors="replace"):
                return d
        except OSError:
            continue
    return None


def copy_uf2(images: FlashImages, drive: str | Path | None = None) -> Path:
    d = Path(drive) if drive else find_uf2_drive()
    if d is None or not d.is_dir():
        raise FlashError("no RPI-RP2 drive is mounted (hold BOOTSEL while plugging the Pico in, or give --drive)")
    if not (d / "INFO_UF2.TXT").is_file():
        raise FlashError(f"{d} is not a UF2 boot drive (no INFO_UF2.TXT)")
    target = d / images.uf2.name
    with open(images.uf2, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
        dst.flush()
        os.fsync(dst.fileno())
    return target


def describe_gdb_load(url: str, images: FlashImages, segments: Sequence[tuple[int, bytes]]) -> str:
    parts = ", ".join(f"{len(d)} B at {a:#010x}" for a, d in segments)
    return (f"{url}: reset and halt; write {parts} (vFlash in the server's flash regions); read back and compare; "
            f"reset  [{images.elf}]")


def flash_gdb(url: str, board: Board, images: FlashImages):
    """Load, verify and reset through a GDB server, then detach (the servers let the core run on).
    Returns the GdbBackend (for its loaded_bytes); raises on any failure."""
    from .backends import GdbBackend
    from .emulator.gdb_rsp import GdbRemote, parse_gdb_url

    host, port = parse_gdb_url(url)
    elf = ElfInfo(images.elf)
    gdb = GdbRemote(host, port)
    try:
        be = GdbBackend(gdb, elf, board, f"gdb://{host}:{port}", load=True)
        be.reset()
        gdb.detach()
        return be
    finally:
        gdb.close()


def shell_line(argv: Sequence[str]) -> str:
    return shlex.join(list(argv))


__all__ = ["FlashError", "FlashImages", "PROBES", "copy_uf2", "default_probe", "describe_gdb_load", "find_uf2_drive",
           "flash_gdb", "gdbserver_argv", "image_segments", "parse_intel_hex", "probe_argv", "probe_kind", "run_tool",
           "shell_line", "to_bin", "to_intel_hex", "to_uf2", "write_images"]
