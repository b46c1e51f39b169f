"""One (model, board) pair of a sweep: compile and plan, link, emulate; one row of results.

This is what a worker runs (a local process or a Ray task). It never raises for a problem with the
pair: a model that cannot be read, compiled, built or run gives a row whose `error` is the one-line
message, and the sweep goes on. Every field but `seconds` depends only on the model's bytes, the
board and the settings, so the same pair gives the same row on any worker.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace

from .. import __version__
from ..options import CompileOptions

#: how far a pair is taken: "plan" (compile and plan memory), "link" (+ firmware for the board),
#: "emulate" (+ one inference under the emulator, compared with TFLM)
STAGES = ("plan", "link", "emulate")

#: the row's fields, in order (every row has all of them; None where a stage did not measure it)
FIELDS = (
    "model", "model_sha256", "board", "stage", "key",
    "fits", "flash_bytes", "const_bytes", "arena_bytes", "arena_no_patches_bytes", "static_sram_bytes",
    "sram_peak_bytes", "patches", "mac_overhead_percent", "macs",
    "instructions", "cycles_estimate", "latency_ms_estimate", "bit_exact",
    "error", "transient", "seconds",
)

#: fields that vary from run to run (timing): left out when rows are compared
VOLATILE_FIELDS = ("seconds",)


@dataclass(frozen=True)
class SweepSettings:
    """What every pair of a sweep shares: compile options (before the board's are applied), the
    stage, and the firmware/emulation settings."""

    options: CompileOptions = CompileOptions()
    stage: str = "link"
    #: firmware optimization level (link and emulate)
    opt: str = "O2"
    #: random input sets compared with TFLM (emulate)
    inputs: int = 1
    seed: int = 0
    #: recorded in the key: results of another tinygen version are not reused
    version: str = __version__

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {self.stage!r}")

    def key_dict(self) -> dict:
        """Everything that can change a row, as JSON-able values (part of the resume key)."""
        d = asdict(self)
        d["options"] = {k: v for k, v in self.options.to_dict().items()}
        if self.stage != "emulate":
            d.pop("inputs")
            d.pop("seed")
        if self.stage == "plan":
            d.pop("opt")
        return d


def empty_row(name: str, sha256: str | None, board: str, settings: SweepSettings, key: str) -> dict:
    row = dict.fromkeys(FIELDS)
    row.update(model=name, model_sha256=sha256, board=board, stage=settings.stage, key=key, transient=False)
    return row


def one_line(e: BaseException) -> str:
    """An exception as the one line the CLI would print (internal errors name their type)."""
    from ..errors import TinygenError

    text = str(e).strip()
    line = text.splitlines()[0] if text else ""
    if isinstance(e, TinygenError):
        return line or type(e).__name__
    return f"internal error: {type(e).__name__}" + (f": {line}" if line else "")


def _patches_label(cm_or_report_patches: dict | None) -> str:
    p = cm_or_report_patches
    if not p:
        return "off"
    if p.get("applied"):
        return f"{p['k']}:{p['grid'][0]}x{p['grid'][1]}"
    return "none"


def evaluate_pair(data: bytes, name: str, sha256: str, board: str, settings: SweepSettings, key: str) -> dict:
    """The row of one pair (never raises for the pair's own problems)."""
    t0 = time.perf_counter()
    row = empty_row(name, sha256, board, settings, key)
    try:
        if settings.version != __version__:
            raise RuntimeError(f"this worker runs tinygen {__version__}, the sweep {settings.version}")
        _evaluate(data, board, settings, row)
    except Exception as e:  # noqa: BLE001: a failing pair is a row, the sweep goes on
        row["error"] = one_line(e)
    row["seconds"] = round(time.perf_counter() - t0, 3)
    return row


def _evaluate(data: bytes, board_name: str, settings: SweepSettings, row: dict) -> None:
    from ..boards import load_board
    from ..target import board_compile_options, patch_sram_budget

    board = load_board(board_name)
    options = board_compile_options(replace(settings.options, name=settings.options.name or "model"), board)
    if settings.stage == "emulate":
        _emulate(data, board, options, settings, row)
        return

    from ..compiler import compile_model

    cm = compile_model(data, options)  # the C is generated (not built): its constants are the flash estimate
    patches = cm.patches.to_dict() if cm.patches is not None else None
    row.update(const_bytes=cm.const_bytes, arena_bytes=cm.arena_bytes, macs=cm.macs,
               arena_no_patches_bytes=patches["peak_without_patches_bytes"] if patches else cm.arena_bytes,
               patches=_patches_label(patches),
               mac_overhead_percent=round(patches["mac_overhead_percent"], 3)
               if patches and patches.get("applied") else None)
    if settings.stage == "plan":
        # without a firmware: the arena against the SRAM an arena may use on the board (its main RAM
        # less the stack and a little static data: the policy of --patches auto), the constants
        # against its flash
        row["fits"] = cm.arena_bytes <= patch_sram_budget(board) and cm.const_bytes <= board.flash_budget
        return

    from ..toolchain.arm import build_firmware
    from ..toolchain.elfinfo import ElfInfo

    fw = build_firmware(cm, board, opt=settings.opt)
    elf = ElfInfo(fw.elf)
    # peak SRAM without running: static data (with the arena) plus the whole stack reservation,
    # which is what the linker checks; --emulate measures the stack actually used
    row.update(flash_bytes=elf.flash_bytes, static_sram_bytes=elf.static_sram_bytes,
               sram_peak_bytes=elf.static_sram_bytes + elf.stack_reserved,
               fits=fw.fits_link and elf.flash_bytes <= board.flash_budget
               and elf.static_sram_bytes + elf.stack_reserved <= board.sram_budget)


def _emulate(data: bytes, board, options: CompileOptions, settings: SweepSettings, row: dict) -> None:
    from ..target import TargetOptions, run_on_board

    rep = run_on_board(data, board, options=options, n_random=settings.inputs, seed=settings.seed,
                       target=TargetOptions(opt=settings.opt, check_host=False))
    p = rep.patches
    row.update(fits=rep.fits, flash_bytes=rep.flash_bytes, const_bytes=rep.const_bytes, arena_bytes=rep.arena_bytes,
               arena_no_patches_bytes=p["peak_without_patches_bytes"] if p else rep.arena_bytes,
               static_sram_bytes=rep.static_sram_bytes, sram_peak_bytes=rep.sram_peak_bytes,
               patches=_patches_label(p),
               mac_overhead_percent=round(p["mac_overhead_percent"], 3) if p and p.get("applied") else None,
               macs=rep.macs, instructions=rep.instructions, cycles_estimate=rep.cycles_estimate,
               latency_ms_estimate=rep.latency_ms_estimate, bit_exact=rep.outputs_match_reference)
