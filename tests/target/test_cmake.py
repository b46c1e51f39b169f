"""The top-level CMakeLists.txt builds the kernel library, a shared model and its firmware for a
board with the arm-none-eabi toolchain; the result boots in the emulator, matches TFLM, and runs
exactly the instructions of tinygen's own build (same flags)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from tests.conftest import ROOT, SHARED_MODELS, needs_shared
from tinygen.boards import load_board
from tinygen.compiler import compile_model
from tinygen.emulator import CortexM
from tinygen.options import CompileOptions
from tinygen.reference import TFLMReference
from tinygen.toolchain.arm import board_layout, build_firmware, compile_flags, core_flags, write_firmware_sources
from tinygen.toolchain.elfinfo import ElfInfo

pytestmark = [needs_shared(), pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")]


@pytest.mark.parametrize("board", ["NUCLEO-F411RE", "Raspberry-Pi-Pico"])
def test_cmake_builds_shared_model_firmware(tmp_path, board):
    model = SHARED_MODELS / "tflm" / "micro_speech_quantized.tflite"
    b = load_board(board)
    cm = compile_model(model, CompileOptions(alignment=b.arena_alignment))
    src = tmp_path / "fw"
    write_firmware_sources(cm, b, src)
    build = tmp_path / "build"
    cfg = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build),
                          f"-DCMAKE_TOOLCHAIN_FILE={ROOT / 'cmake' / 'arm-none-eabi.cmake'}",
                          f"-DTINYGEN_BOARD={board}", f"-DTINYGEN_MODEL_DIR={src}", "-DTINYGEN_FIRMWARE=ON",
                          "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"], capture_output=True, text=True)
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    bld = subprocess.run(["cmake", "--build", str(build), "-j", "2"], capture_output=True, text=True)
    assert bld.returncode == 0, bld.stdout + bld.stderr
    assert (build / "libtgnn.a").exists() and (build / f"lib{cm.name}.a").exists()
    elf_path = build / f"{cm.name}_firmware.elf"

    # the same core flags and warnings as tinygen's own build
    cmds = json.loads((build / "compile_commands.json").read_text())
    want = core_flags(b) + ["-O2", "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror"]
    assert all(all(f in c["command"].split() for f in want) for c in cmds), cmds[0]["command"]
    assert set(compile_flags(b)) - {"-std=c99"} <= set(cmds[0]["command"].split())

    # run it: outputs identical to TFLM, same instruction count as tinygen's build
    elf = ElfInfo(elf_path)
    arena = elf.address(f"{cm.name}_arena")
    g = cm.graph
    x = np.random.default_rng(5).integers(-128, 128, size=g.inputs[0].shape).astype(np.int8)
    res = CortexM(elf, b, board_layout(b)).run([(arena + cm.plan.tensor_offset(g.inputs[0]), x.tobytes())],
                                               [(arena + cm.plan.tensor_offset(g.outputs[0]), g.outputs[0].nbytes)])
    assert res.status == 0
    ours = np.frombuffer(res.outputs[0], dtype=np.int8).reshape(g.outputs[0].shape)
    assert np.array_equal(ours, TFLMReference(model.read_bytes()).run([x])[0])
    fw = build_firmware(cm, b)
    ref = CortexM(ElfInfo(fw.elf), b, fw.layout).run(
        [(ElfInfo(fw.elf).address(f"{cm.name}_arena") + cm.plan.tensor_offset(g.inputs[0]), x.tobytes())])
    assert res.instructions == ref.instructions
    assert elf.flash_bytes == ElfInfo(fw.elf).flash_bytes
