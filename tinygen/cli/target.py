"""CLI commands for Cortex-M targets: `tinygen run`, `tinygen boards`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from ..backends import backend_kind
from ..boards import list_boards, load_board
from ..compiler import compile_model
from ..errors import TinygenError
from ..reports import write_json
from ..target import (
    RunReport,
    TargetOptions,
    board_compile_options,
    profile_table,
    raise_for_report,
    run_and_print,
)
from ..toolchain.arm import write_firmware_sources
from . import cli, compile_options, console, options_from


def _fmt_size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MB"
    if n % 1024 == 0:
        return f"{n >> 10} KB"
    return f"{n} B"


@cli.command("boards")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the list as JSON.")
def boards_cmd(json_path: Path | None) -> None:
    """List the boards (boards/*.toml) with their flash and SRAM budgets."""
    boards = list_boards()
    if json_path:
        write_json(json_path, {"boards": [b.to_dict() for b in boards]})
    from rich import box

    wide = console.width >= 100
    t = Table(title="Boards", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
              collapse_padding=True)
    cols = [("board", "left"), ("MCU", "left"), ("core", "left"), ("FPU", "left"), ("MHz", "right"),
            ("flash", "right"), ("SRAM", "right"), ("all SRAM", "right")] + ([("boot", "left")] if wide else [])
    for col, just in cols:
        t.add_column(col, justify=just, no_wrap=True)
    fpus = {"none": "-", "fpv4-sp-d16": "SP", "fpv5-sp-d16": "SP", "fpv5-d16": "DP"}
    for b in boards:
        row = [b.name, b.mcu or "-", b.core.replace("cortex-", "").upper().replace("PLUS", "+"),
               fpus.get(b.fpu, b.fpu), f"{b.clock_hz / 1e6:g}", _fmt_size(b.flash_budget),
               _fmt_size(b.sram_budget), _fmt_size(b.sram_total)]
        t.add_row(*row, *([b.boot_kind or "-"] if wide else []))
    console.print(t)
    console.print("Budgets: flash = the flash available to the program; SRAM = the contiguous RAM that holds "
                  ".data, .bss (with the arena) and the stack. `--json FILE` lists every region in bytes.")


@cli.command("run")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", "-b", "board", required=True, help="Board name (see `tinygen boards`) or a board .toml file.")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An input .npy (repeatable); default: random inputs.")
@click.option("--inputs", "n_inputs", default=1, show_default=True, type=click.IntRange(1, 10000),
              help="Number of random inputs when no --input is given.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JSON report (also when the model does not fit or fails).")
@click.option("--opt", type=click.Choice(["O2", "Os", "O3", "O1", "O0"]), default="O2", show_default=True,
              help="Optimization level of the firmware build.")
@click.option("--stack", "stack_bytes", type=click.IntRange(256, 1 << 24),
              help="Stack reservation in bytes (default: the board's).")
@click.option("--max-instructions", type=click.IntRange(1000),
              help="Stop a run after this many instructions (default: 100 x the model's MACs + 1,000,000,000).")
@click.option("--profile", is_flag=True,
              help="Print the per-operator profile: kernel, instructions, MACs, instructions per MAC, estimated "
                   "cycles (also in the JSON report, where it is always included as per_op).")
@click.option("--on", "on", default="unicorn", show_default=True, metavar="BACKEND",
              help="Where to run: unicorn (the reference emulator), qemu (the board's QEMU machine; qemu:MACHINE "
                   "for another), or gdb://HOST:PORT (a debug server attached to the board: pyOCD, OpenOCD, J-Link).")
@compile_options
def run_cmd(model: Path, board: str, input_files, n_inputs: int, seed: int, json_path: Path | None, opt: str,
            stack_bytes: int | None, max_instructions: int | None, profile: bool, on: str, **kw) -> None:
    """Compile MODEL, build firmware for BOARD, run it under the Cortex-M emulator (or QEMU, or on
    the board through a GDB server: --on), compare every output with TensorFlow Lite Micro and the
    host build (bit-identical), and check the board's flash and SRAM budgets. Exit 0 when
    identical and fitting, 1 when not, 2 on errors."""
    tgt = TargetOptions(opt=opt, stack_bytes=stack_bytes, max_instructions=max_instructions,
                        profile=(profile or json_path is not None) and on == "unicorn", on=on)
    try:
        backend_kind(on)
        b = load_board(board)
        options = board_compile_options(options_from(kw), b, stack_bytes)
        rep = run_and_print(model, b, console=console, options=options, target=tgt, n_random=n_inputs,
                            seed=seed, input_files=input_files)
        if profile and rep.per_op:
            console.print(profile_table(rep))
    except TinygenError as e:
        if json_path:  # the report is written in every case
            partial = getattr(e, "report", None) or RunReport(model=str(model), board=board, core="", fpu="", opt=opt)
            partial.error = partial.error or str(e)
            write_json(json_path, partial.to_dict())
        raise
    if json_path:
        write_json(json_path, rep.to_dict())
    try:
        raise_for_report(rep)
    except TinygenError as e:  # the report above already says why
        sys.exit(e.exit_code)


@cli.command("firmware")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", "-b", "board", required=True, help="Board name (see `tinygen boards`) or a board .toml file.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the model's C, the start-up code, the firmware main and board.ld.")
@click.option("--stack", "stack_bytes", type=click.IntRange(256, 1 << 24),
              help="Stack reservation in bytes (default: the board's).")
@compile_options
def firmware_cmd(model: Path, board: str, out_dir: Path, stack_bytes: int | None, **kw) -> None:
    """Write the sources of a firmware for BOARD running MODEL: <name>.c/.h, tg_startup.c
    (vector table, reset handler), tg_main.c (one inference), boot headers where the part needs
    them, and the linker script board.ld. Build them with the top-level CMakeLists.txt
    (-DTINYGEN_MODEL_DIR=DIR -DTINYGEN_FIRMWARE=ON) or your own build."""

    b = load_board(board)
    cm = compile_model(model, board_compile_options(options_from(kw), b, stack_bytes))
    files = write_firmware_sources(cm, b, out_dir, stack_bytes=stack_bytes)
    console.print(f"{model.name} for {b.name}: " + ", ".join(f.name for f in files) + f" in {out_dir}")
