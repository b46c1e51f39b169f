"""Hostile board files (issue 12): strings cannot inject into the linker script or start-up
code, a board's name cannot move the build out of the cache, unbounded values are refused before
any compiler runs. The firmware of a board full of hostile free text still builds and boots."""

from __future__ import annotations

import time

from tinygen.boards import load_board
from tinygen.paths import cache_dir
from tinygen.target import run_on_board
from tinygen.toolchain.arm import build_firmware
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import small_conv_model

HOSTILE = '''
name = "hostile.board-1"
description = "*/ } TEXT { /* ??/ \\\\"
mcu = "*/ int injected; /*"
core = "cortex-m4"
fpu = "fpv4-sp-d16"
clock_hz = 100_000_000
irq_count = 240

[flash]
origin = 0x08000000
size = 0x00080000

[[sram]]
name = "SRAM"
origin = 0x20000000
size = 0x00020000
'''


def test_hostile_free_text_builds_boots_and_injects_nothing(tmp_path):
    (tmp_path / "hostile.toml").write_text(HOSTILE)
    board = load_board(str(tmp_path / "hostile.toml"))
    from tinygen.compiler import compile_model

    cm = compile_model(small_conv_model(seed=3))
    fw = build_firmware(cm, board)  # the linker script parses, tg_startup.c compiles (-Werror)
    assert fw.fits_link
    syms = ElfInfo(fw.elf).symbols
    assert "tg_reset_handler" in syms and "injected" not in syms
    assert fw.directory.parent == cache_dir() / "arm"
    assert "hostile_board_1" in fw.directory.name and "/" not in fw.directory.name
    rep = run_on_board(small_conv_model(seed=3), board, n_random=1)
    assert rep.outputs_match_tflm and rep.outputs_match_host


def test_unbounded_irq_count_is_refused_before_any_compiler_runs(tmp_path):
    """Regression: irq_count = 100000000 made the C compiler use 22 GB and get killed."""
    (tmp_path / "big.toml").write_text(HOSTILE.replace("irq_count = 240", "irq_count = 100000000"))
    t0 = time.monotonic()
    try:
        load_board(str(tmp_path / "big.toml"))
    except Exception as e:
        assert "irq_count" in str(e) and "0 to 240" in str(e)
    else:
        raise AssertionError("irq_count = 100000000 was accepted")
    assert time.monotonic() - t0 < 30  # a hang guard (e.g. a huge table built), not a speed target
