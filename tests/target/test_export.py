"""tinygen export: the CMake project builds with CMake and arm-none-eabi-gcc alone and its firmware,
run in QEMU, prints outputs bit-identical to TFLM; the Arduino library follows the library format
and its sources compile with the flags of each board's Arduino core."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SHARED_MODELS
from tinygen.boards import list_boards, load_board
from tinygen.emulator.qemu import qemu_missing, run_semihosted
from tinygen.export import arduino_library_name, export_project
from tinygen.reference import TFLMReference

from ._util import small_conv_model
from .test_qemu import cli

needs_cmake = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
needs_qemu = pytest.mark.skipif(qemu_missing() is not None, reason=f"QEMU unavailable: {qemu_missing()}")
ROOT = Path(__file__).resolve().parents[2]


def _outputs(text: str) -> dict[int, list[int]]:
    return {int(m.group(1)): [int(v) for v in m.group(2).split()]
            for m in re.finditer(r"^tinygen: output (\d+):([- 0-9]*)$", text, flags=re.M)}


def _cmake_build(src: Path, *defs: str) -> Path:
    build = src / "build"
    for cmd in (["cmake", "-S", str(src), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={src / 'arm-none-eabi.cmake'}",
                 *defs], ["cmake", "--build", str(build), "-j", "2"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "warning:" not in r.stdout + r.stderr, r.stdout + r.stderr
    return build


KWS = SHARED_MODELS / "mlperf_tiny" / "kws_ref_model.tflite"


@needs_cmake
@needs_qemu
@pytest.mark.parametrize("board,label", [("qemu-mps2-an386", "kws"), ("NUCLEO-F411RE", "kws"),
                                         ("qemu-mps2-an505", "small"), ("qemu-microbit", "small")])
def test_cmake_export_builds_and_runs_in_qemu(board, label, tmp_path):
    if label == "kws" and not KWS.is_file():
        pytest.skip(f"shared models not found at {SHARED_MODELS} (set TINYGEN_SHARED)")
    b = load_board(board)
    path = KWS
    if label == "small":
        path = tmp_path / "small.tflite"
        path.write_bytes(small_conv_model(seed=8))
    out = tmp_path / f"proj-{label}"
    res = export_project(path, b, out, fmt="cmake", seed=3)
    # standalone: nothing refers to tinygen's checkout or its build cache
    for f in out.rglob("*"):
        if f.is_file():
            text = f.read_text(errors="replace")
            assert str(ROOT) not in text and ".cache/tinygen" not in text, f
    assert (out / "board" / "board.ld").is_file() and (out / "board" / "tg_startup.c").is_file()
    assert sorted(p.relative_to(out / "kernels" / "src").as_posix() for p in (out / "kernels" / "src").rglob("*.c")) \
        == res.kernels
    build = _cmake_build(out, "-DTG_SEMIHOSTING=ON")
    elf = build / f"{res.name}.elf"
    assert elf.is_file() and (build / f"{res.name}.hex").is_file() and (build / f"{res.name}.bin").is_file()
    r = run_semihosted(b.qemu_machine, ["-kernel", str(elf)], timeout=60)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    assert "tinygen: status 0" in text and "tinygen: outputs match TFLM" in text, text
    # the printed values are TFLM's for the exported sample input
    from tinygen.check import random_inputs
    from tinygen.compiler import compile_model

    g = compile_model(path).graph
    want = TFLMReference(path.read_bytes()).run(random_inputs(g, 1, 3)[0])
    assert _outputs(text) == {i: w.astype(int).ravel().tolist() for i, w in enumerate(want)}
    dwt = b.core not in ("cortex-m0", "cortex-m0plus")
    assert ("DWT cycle counter reads 0" in text) == dwt and ("no DWT cycle counter" in text) != dwt


@needs_cmake
def test_cmake_export_without_semihosting_builds_for_every_board(tmp_path):
    """The default build (text kept in tg_console_log[]) links for each board family."""
    model = tmp_path / "m.tflite"
    model.write_bytes(small_conv_model(seed=2))
    for board in ["Raspberry-Pi-Pico", "MIMXRT1060-EVK", "NUCLEO-H743ZI"]:
        out = tmp_path / board
        export_project(model, board, out, fmt="cmake")
        build = _cmake_build(out)
        assert (build / "m.elf").is_file()


ARDUINO_BOARDS = [b.name for b in list_boards() if b.arduino]


def test_every_arduino_board_is_listed():
    assert sorted(ARDUINO_BOARDS) == sorted(["Arduino-Nano-33-BLE", "Raspberry-Pi-Pico", "NUCLEO-F411RE", "NUCLEO-H743ZI",
                                             "NUCLEO-L4R5ZI", "STM32F746G-DISCO"])


#: a stand-in for the Arduino core's Arduino.h: only what the example sketch uses, to check the
#: sketch against the library's headers (the real cores are not installable here)
ARDUINO_H = """
#pragma once
#include <stdint.h>
#include <stddef.h>
unsigned long millis(void);
struct SerialStandIn {
  void begin(unsigned long baud);
  size_t print(const char *s);
  size_t println(const char *s);
  explicit operator bool() const;
};
extern SerialStandIn Serial;
"""


@pytest.mark.parametrize("board", ARDUINO_BOARDS)
def test_arduino_library_compiles_with_the_cores_flags(board, tmp_path):
    b = load_board(board)
    model = tmp_path / "my model.tflite"
    model.write_bytes(small_conv_model(seed=5))
    out = tmp_path / "export"
    res = export_project(model, b, out, fmt="arduino")
    lib = arduino_library_name(res.name)
    root = out / lib
    # the 1.5 library format: library.properties, src/, examples/<Example>/<Example>.ino
    props = dict(line.split("=", 1) for line in (root / "library.properties").read_text().splitlines() if line)
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url", "architectures"):
        assert props.get(key), key
    assert props["name"] == lib and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,62}", lib)
    assert not lib.lower().startswith("arduino") and re.fullmatch(r"\d+\.\d+\.\d+", props["version"])
    assert props["category"] in {"Display", "Communication", "Signal Input/Output", "Sensors", "Device Control",
                                 "Timing", "Data Storage", "Data Processing", "Other"}
    assert props["architectures"] == ",".join(b.arduino["architectures"])
    assert props["includes"] == f"{lib}.h" and (root / "src" / f"{lib}.h").is_file()
    examples = list((root / "examples").iterdir())
    assert len(examples) == 1 and (examples[0] / f"{examples[0].name}.ino").is_file()
    assert not (root / "src" / "main.c").exists() and not list(root.rglob("*.ld"))
    # every C source compiles with the core's flags (the builder adds -I<library>/src)
    srcs = sorted((root / "src").rglob("*.c"))
    assert len(srcs) == len(res.kernels) + 4  # model, tg_console, tg_report, tg_sample
    for src in srcs:
        r = subprocess.run(["arm-none-eabi-gcc", *b.arduino["cflags"], "-c", "-I", str(root / "src"), str(src), "-o",
                            str(tmp_path / (src.stem + ".o"))], capture_output=True, text=True)
        assert r.returncode == 0 and "warning" not in r.stderr, (src.name, r.stderr)
    # the sketch, as C++ against the library headers and a stand-in Arduino.h
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "Arduino.h").write_text(ARDUINO_H)
    sketch = examples[0] / f"{examples[0].name}.ino"
    cxx = [f for f in b.arduino["cflags"] if not f.startswith("-std=")] + ["-std=gnu++17"]
    r = subprocess.run(["arm-none-eabi-g++", *cxx, "-fsyntax-only", "-x", "c++", "-include", "Arduino.h", "-I",
                        str(tmp_path / "core"), "-I", str(root / "src"), str(sketch)], capture_output=True, text=True)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_export_errors_leave_nothing(tmp_path, capsys):
    model = tmp_path / "m.tflite"
    model.write_bytes(small_conv_model(seed=1))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    assert cli(["export", str(model), "--board", "generic-m4", "-o", str(busy)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an empty directory" in err[0]
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    # a model that does not fit the board: exit 1, no project, no temporary directory left
    big = tmp_path / "big.tflite"
    big.write_bytes(small_conv_model(seed=1, shape=(1, 96, 96, 16), channels=32))
    assert cli(["export", str(big), "--board", "qemu-microbit", "-o", str(tmp_path / "p")]) == 1
    assert "does not fit" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.tflite", "busy", "m.tflite"]
    assert cli(["export", str(model), "--board", "generic-m4", "-o", str(tmp_path / "q"), "--format", "zip"]) == 2
    assert not (tmp_path / "q").exists()
