"""CLI commands that end on a real board: `tinygen flash`, `tinygen export`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..errors import BudgetError, TinygenError
from ..options import CompileOptions
from ..reports import write_json
from ..target import board_compile_options
from . import cli, compile_options, console, options_from


@cli.command("flash")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", "-b", "board", required=True, help="Board name (see `tinygen boards`) or a board .toml file.")
@click.option("--probe", "probe", default=None, metavar="PROBE",
              help="pyocd, openocd, uf2 (copy to the Pico's RPI-RP2 drive) or gdb://HOST:PORT (a GDB server "
                   "attached to the board). Default: the board's pyOCD target, else its OpenOCD configuration.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for <name>.elf, .hex, .bin, .uf2 (Pico) and <name>.flash.json.")
@click.option("--dry-run", is_flag=True, help="Write the images and print the command, do not program the board.")
@click.option("--check", is_flag=True,
              help="After flashing, run the inference on the board through a GDB server and compare its outputs "
                   "with TFLM and the host build (cycles from the DWT counter).")
@click.option("--drive", type=click.Path(file_okay=False, path_type=Path),
              help="With --probe uf2: the mounted RPI-RP2 drive (default: found among the mounts).")
@click.option("--opt", type=click.Choice(["O2", "Os", "O3", "O1", "O0"]), default="O2", show_default=True,
              help="Optimization level of the firmware build.")
@click.option("--stack", "stack_bytes", type=click.IntRange(256, 1 << 24),
              help="Stack reservation in bytes (default: the board's).")
@click.option("--inputs", "n_inputs", default=1, show_default=True, type=click.IntRange(1, 10000),
              help="With --check: number of random inputs.")
@click.option("--seed", default=0, show_default=True, help="With --check: seed of the random inputs.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --check: write the run report as JSON.")
@compile_options
def flash_cmd(model: Path, board: str, probe: str | None, out_dir: Path, dry_run: bool, check: bool,
              drive: Path | None, opt: str, stack_bytes: int | None, n_inputs: int, seed: int,
              json_path: Path | None, **kw) -> None:
    """Build the firmware of MODEL for BOARD, write its images (.elf, .hex, .bin with its base
    address, .uf2 for the Pico) and program the board with PROBE. Exit 0 when programmed (and,
    with --check, the outputs are bit-identical), 1 when --check finds a mismatch, 2 on errors."""
    from ..boards import load_board
    from ..compiler import compile_model
    from ..flash import (
        default_probe,
        describe_gdb_load,
        flash_gdb,
        gdbserver_argv,
        image_segments,
        probe_argv,
        probe_kind,
        run_tool,
        shell_line,
        write_images,
    )
    from ..toolchain.arm import build_firmware
    from ..toolchain.elfinfo import ElfInfo

    b = load_board(board)
    probe = probe or default_probe(b)
    kind = probe_kind(probe)
    if check and kind == "uf2":
        raise TinygenError("--check needs a debug connection; a UF2 copy has none (use --probe pyocd, openocd or "
                           "gdb://HOST:PORT)")
    options = board_compile_options(options_from(kw), b, stack_bytes)
    cm = compile_model(model, options)
    fw = build_firmware(cm, b, opt=opt, stack_bytes=stack_bytes)
    if not fw.fits_link:
        raise BudgetError(f"the firmware does not fit {b.name} ({fw.link_message}): nothing to flash")
    images = write_images(fw.elf, b, out_dir, cm.name)
    console.print(f"{cm.name} for {b.name}: {images.bytes:,} bytes from {images.bin_base:#010x}: "
                  + ", ".join(p.name for p in (images.elf, images.hex, images.bin, images.uf2) if p is not None)
                  + f" in {out_dir}")
    if kind == "gdb":
        line = describe_gdb_load(probe, images, image_segments(ElfInfo(images.elf), b))
    else:
        argv = probe_argv(probe, b, images)
        if kind == "uf2" and drive is not None:
            argv[-1] = str(drive).rstrip("/") + "/"
        line = shell_line(argv)
    if dry_run:
        console.print(line, soft_wrap=True)
        if check:
            if kind in ("pyocd", "openocd"):
                console.print(shell_line(gdbserver_argv(probe, b, 3333)) + "   # then --on gdb://127.0.0.1:3333",
                              soft_wrap=True)
            else:
                console.print(f"then the run protocol on {probe}", soft_wrap=True)
        return
    t0 = time.perf_counter()
    if kind == "gdb":
        be = flash_gdb(probe, b, images)
        console.print(f"flashed {be.loaded_bytes:,} bytes through {probe}, verified, reset "
                      f"({time.perf_counter() - t0:.1f} s)")
    elif kind == "uf2":
        from ..flash import copy_uf2

        target = copy_uf2(images, drive)
        console.print(f"copied {images.uf2.name} to {target.parent}: the Pico reboots into it")
    else:
        run_tool(argv)
        console.print(f"flashed with {argv[0]} ({time.perf_counter() - t0:.1f} s)")
    if check:
        _check_on_board(model, b, probe, kind, cm, opt, stack_bytes, n_inputs, seed, json_path, options)


def _check_on_board(model, b, probe, kind, cm, opt, stack_bytes, n_inputs, seed, json_path,
                    options: CompileOptions) -> None:
    from ..target import RunReport, TargetOptions, raise_for_report, run_and_print

    server = None
    url = probe
    try:
        if kind in ("pyocd", "openocd"):
            server, url = _start_gdbserver(probe, b)
        tgt = TargetOptions(opt=opt, stack_bytes=stack_bytes, on=url)
        try:
            rep = run_and_print(model, b, console=console, options=options, target=tgt,
                                n_random=n_inputs, seed=seed)
        except TinygenError as e:
            if json_path:
                partial = getattr(e, "report", None) or RunReport(model=str(model), board=b.name, core="", fpu="",
                                                                  opt=opt)
                partial.error = partial.error or str(e)
                write_json(json_path, partial.to_dict())
            raise
    finally:
        if server is not None:
            _stop(server)
    if json_path:
        write_json(json_path, rep.to_dict())
    try:
        raise_for_report(rep)
    except TinygenError as e:
        sys.exit(e.exit_code)


def _start_gdbserver(probe: str, b):
    import subprocess

    from ..emulator.gdb_rsp import GdbError, GdbRemote
    from ..emulator.qemu import free_port
    from ..flash import FlashError, _tool, gdbserver_argv

    port = free_port()
    argv = gdbserver_argv(probe, b, port)
    exe = _tool(argv)
    proc = subprocess.Popen([exe, *argv[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20.0
    while True:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            from ..flash import _last_error

            raise FlashError(f"{argv[0]} gdbserver exited: {_last_error(out)}")
        try:
            GdbRemote("127.0.0.1", port, connect_timeout=0.3).close()
            return proc, f"gdb://127.0.0.1:{port}"
        except GdbError:
            if time.monotonic() > deadline:
                _stop(proc)
                raise FlashError(f"{argv[0]} gdbserver did not listen on 127.0.0.1:{port}") from None


def _stop(proc) -> None:
    import subprocess

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@cli.command("export")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", "-b", "board", required=True, help="Board name (see `tinygen boards`) or a board .toml file.")
@click.option("--format", "fmt", type=click.Choice(["cmake", "arduino"]), default="cmake", show_default=True,
              help="cmake: a firmware project (CMake + arm-none-eabi-gcc); arduino: an Arduino library with an example.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to create (must not exist, or be empty).")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The sample input (.npy, one per model input); default: a random one.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random sample input.")
@click.option("--opt", type=click.Choice(["O2", "Os", "O3", "O1", "O0"]), default="O2", show_default=True,
              help="Optimization level written into the CMake project.")
@click.option("--stack", "stack_bytes", type=click.IntRange(256, 1 << 24),
              help="Stack reservation in bytes (default: the board's).")
@compile_options
def export_cmd(model: Path, board: str, fmt: str, out_dir: Path, input_files, seed: int, opt: str,
               stack_bytes: int | None, **kw) -> None:
    """Write a standalone project for MODEL on BOARD that does not need tinygen: the generated
    model, the kernels it uses, a sample input with TFLM's outputs, and a main (CMake) or an
    example sketch (Arduino library) that runs one inference and prints the outputs and cycles."""
    from ..boards import load_board
    from ..export import export_project

    b = load_board(board)
    res = export_project(model, b, out_dir, fmt=fmt, options=board_compile_options(options_from(kw), b, stack_bytes),
                         input_files=input_files, seed=seed, opt=opt, stack_bytes=stack_bytes)
    console.print(f"{model.name} for {b.name}: {fmt} project in {out_dir} ({len(res.files)} files, kernels: "
                  + (", ".join(Path(k).stem for k in res.kernels) or "none") + ")", soft_wrap=True)
    if fmt == "cmake":
        console.print(f"build: cmake -S {out_dir} -B {out_dir}/build -DCMAKE_TOOLCHAIN_FILE={out_dir}/arm-none-eabi.cmake"
                      f" && cmake --build {out_dir}/build", soft_wrap=True)
