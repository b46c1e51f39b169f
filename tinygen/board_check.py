"""Validation of board files (called by boards.parse_board): the strings that reach generated C
and linker scripts, and a documented range for every numeric field.

Board files are input like models: a hostile or mistaken one must give a one-line error, not code
in tg_startup.c, a broken linker script, a build folder outside the cache or a compiler run that
eats all memory. Names (the board's, memory regions') must look like identifiers; free text
(description, mcu) may be anything printable and is sanitized where it is rendered (it only
appears inside comments). The numeric ranges are in RANGES below and in boards/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import TinygenError
from .sanitize import quote_name

#: a board's name (--board, the firmware's cache folder label): letters, digits, . _ + -
BOARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
#: a memory region's name (a linker-script MEMORY name): a C identifier
REGION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
#: free text fields: at most this many characters
FREE_TEXT_MAX = 200

KiB, MiB = 1 << 10, 1 << 20


@dataclass(frozen=True)
class Range:
    lo: int
    hi: int
    meaning: str
    #: the value must be one of these (within lo..hi)
    choices: tuple[int, ...] = ()
    #: the value must be a multiple of this
    multiple: int = 1

    def describe(self) -> str:
        if self.choices:
            return ", ".join(str(c) for c in self.choices)
        s = f"{self.lo:,} to {self.hi:,}"
        return s + (f", a multiple of {self.multiple}" if self.multiple > 1 else "")


#: every numeric board field: (min, max) and why. Documented in boards/README.md.
RANGES: dict[str, Range] = {
    "clock_hz": Range(0, 2_000_000_000, "core clock in Hz (0: not given); no Cortex-M runs above 2 GHz"),
    "stack_bytes": Range(256, 16 * MiB, "default stack reservation (as --stack)", multiple=8),
    "arena_alignment": Range(4, 32, "alignment of the arena's buffers", choices=(4, 8, 16, 32)),
    "flash_wait_states": Range(0, 15, "flash wait states at clock_hz (the cycle estimate)"),
    "region.origin": Range(0, (1 << 32) - 256, "start address of a memory region (32-bit address space)"),
    "region.size": Range(256, 256 * MiB, "bytes of a memory region; the emulator maps each one", multiple=256),
    # boot headers (rendered as C constants)
    "boot.clkdiv": Range(2, 254, "RP2040 QSPI clock divider (even)", multiple=2),
    "boot.serial_clock": Range(1, 9, "i.MX RT FlexSPI serial clock selector"),
    "boot.pads": Range(1, 8, "i.MX RT FlexSPI data pads", choices=(1, 2, 4, 8)),
    "boot.read_command": Range(0, 255, "i.MX RT flash read command byte"),
    "boot.dummy_cycles": Range(0, 63, "i.MX RT read dummy cycles"),
    "boot.page_size": Range(1, 64 * KiB, "i.MX RT flash page bytes"),
    "boot.sector_size": Range(256, 16 * MiB, "i.MX RT flash sector bytes"),
    "boot.block_size": Range(256, 256 * MiB, "i.MX RT flash block bytes"),
}
#: interrupt vectors after the 16 system ones, by architecture (ARMv6-M: 32; ARMv7-M: 240 on the
#: M4/M7; ARMv8-M Mainline: 480)
IRQ_MAX = {"armv6-m": 32, "armv7e-m": 240, "armv7-m": 240, "armv8-m.main": 480, "armv8-m.base": 32}


class BoardError(TinygenError):
    """An unknown board or an invalid board file."""


#: a value out of range or not allowed (see RANGES)
BoardValueError = BoardError


def check_int(value, key: str, where: str, range_key: str | None = None) -> int:
    """`value` as an int within RANGES[range_key or key], else a one-line BoardValueError."""
    r = RANGES[range_key or key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise BoardValueError(f"{where}: '{key}' must be an integer ({r.meaning}: {r.describe()}), "
                              f"got {quote_name(repr(value), 40, quotes=False)}")
    bad = value < r.lo or value > r.hi or (r.choices and value not in r.choices) or value % r.multiple
    if bad:
        raise BoardValueError(f"{where}: '{key}' = {value:,} is out of range ({r.meaning}: {r.describe()})")
    return value


def check_irq_count(value, arch: str, where: str) -> int:
    hi = IRQ_MAX.get(arch, 480)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= hi:
        raise BoardValueError(f"{where}: 'irq_count' must be an integer from 0 to {hi} (interrupt vectors of an "
                              f"{arch} core), got {quote_name(repr(value), 40, quotes=False)}")
    return value


def check_board_name(value, where: str) -> str:
    if not isinstance(value, str) or not BOARD_NAME.fullmatch(value):
        raise BoardValueError(f"{where}: 'name' must be 1-64 letters, digits, '.', '_', '+' or '-' starting with a "
                              f"letter or digit, got {quote_name(repr(value), 60, quotes=False)}")
    return value


def check_region_name(value, where: str) -> str:
    if not isinstance(value, str) or not REGION_NAME.fullmatch(value):
        raise BoardValueError(f"{where}: a memory region's name must be a C identifier of at most 32 characters, "
                              f"got {quote_name(repr(value), 60, quotes=False)}")
    return value


def check_text(value, key: str, where: str) -> str:
    """Free text (description, mcu): a string of printable characters, at most FREE_TEXT_MAX long.
    It is sanitized again where rendered (tinygen.sanitize.c_comment)."""
    if not isinstance(value, str):
        raise BoardValueError(f"{where}: '{key}' must be a string, got {type(value).__name__}")
    if len(value) > FREE_TEXT_MAX:
        raise BoardValueError(f"{where}: '{key}' is {len(value)} characters long, at most {FREE_TEXT_MAX}")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BoardValueError(f"{where}: '{key}' contains control characters (line breaks, tabs...)")
    return value


def check_boot(boot: dict, where: str) -> dict:
    """The [boot] table: every value except `kind` is an integer within its range."""
    out = {}
    for k, v in boot.items():
        if k == "kind":
            out[k] = v
            continue
        rk = f"boot.{k}"
        if rk not in RANGES:
            raise BoardValueError(f"{where}: unknown key boot.{quote_name(k, 40, quotes=False)} (known: "
                                  f"{', '.join(r[5:] for r in RANGES if r.startswith('boot.'))})")
        out[k] = check_int(v, rk, where)
    return out


__all__ = ["BOARD_NAME", "FREE_TEXT_MAX", "IRQ_MAX", "RANGES", "REGION_NAME", "BoardError", "BoardValueError", "Range",
           "check_board_name", "check_boot", "check_int", "check_irq_count", "check_region_name", "check_text"]
