"""Standalone projects that do not need tinygen installed: `tinygen export`.

    export_project("model.tflite", "NUCLEO-F411RE", "out/", fmt="cmake")     # or fmt="arduino"

Both formats hold the generated model, only the kernels it uses (found in the linker map of the
model's firmware: the archive members that were pulled in), their headers, a sample input with
TensorFlow Lite Micro's outputs for it, and code that runs one inference on it and prints the
outputs, whether they equal TFLM's, and the DWT cycle count (templates/export/).

- `cmake`: CMakeLists.txt + arm-none-eabi toolchain file, the board's start-up code and linker
  script (board/), main.c. Builds <name>.elf/.hex/.bin with CMake and arm-none-eabi-gcc.
- `arduino`: a library in the Arduino 1.5 library format: library.properties, src/ (sources,
  compiled recursively by the Arduino builder; the kernels keep their folders so their relative
  includes hold) and examples/<Name>/<Name>.ino, which prints through Serial.

The project is written into a temporary directory beside the output and renamed into place: an
error leaves nothing half-written.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .boards import Board, load_board
from .errors import BudgetError, TinygenError
from .options import CompileOptions
from .paths import KERNELS_DIR

FORMATS = ("cmake", "arduino")
_KIND = {"int8": 0, "uint8": 1, "int16": 2, "int32": 3, "float32": 4}


class ExportError(TinygenError):
    """The project cannot be exported (bad format, output in the way)."""


@dataclass
class ExportResult:
    directory: Path
    fmt: str
    name: str
    files: list[str]
    kernels: list[str]


def used_kernel_sources(map_file: str | Path, flash_origin: int, flash_end: int) -> list[Path]:
    """Kernel sources (relative to kernels/src) whose objects the firmware's link pulled from the
    kernel library (libtgnn.a members named <family>__<file>.o)."""
    from .toolchain.elfinfo import flash_by_object

    members = set()
    for obj in flash_by_object(map_file, flash_origin, flash_end):
        m = re.search(r"libtgnn\.a\(([^)]+)\.o\)$", obj)
        if m:
            members.add(m.group(1))
    out = []
    for mem in sorted(members):
        rel = Path(*mem.split("__")).with_suffix(".c")
        if not (KERNELS_DIR / "src" / rel).is_file():
            raise ExportError(f"kernel object {mem}.o has no source kernels/src/{rel}")
        out.append(rel)
    return out


def _rows(data: bytes, per_row: int = 16) -> list[str]:
    hexes = [f"0x{b:02x}," for b in data]
    return [" ".join(hexes[i:i + per_row]) for i in range(0, len(hexes), per_row)] or ["0x00,"]


def _io(tensors, arrays) -> list[dict]:
    from .ir import np_dtype

    out = []
    for t, a in zip(tensors, arrays):
        data = np.ascontiguousarray(np.asarray(a).reshape(t.shape), dtype=np_dtype(t.dtype)).tobytes()
        out.append(dict(nbytes=len(data), size=int(t.size), kind=_KIND.get(t.dtype, 0), rows=_rows(data)))
    return out


def export_project(model: str | Path, board: str | Board, out_dir: str | Path, fmt: str = "cmake",
                   options: CompileOptions | None = None, input_files: Sequence[str | Path] = (), seed: int = 0,
                   opt: str = "O2", stack_bytes: int | None = None) -> ExportResult:
    from .check import load_input_file, random_inputs
    from .codegen.emit import template_env
    from .compiler import compile_model
    from .reference import TFLMReference
    from .toolchain.arm import build_firmware, core_flags, render_support_sources

    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    b = load_board(board)
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty directory")
    p = Path(model)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise TinygenError(f"{p}: no such model file") from None
    except IsADirectoryError:
        raise TinygenError(f"{p}: is a directory, not a .tflite file") from None
    opts = options or CompileOptions(alignment=b.arena_alignment)
    cm = compile_model(p, opts)
    name = cm.name
    fw = build_firmware(cm, b, opt=opt, stack_bytes=stack_bytes)
    if not fw.fits_link:
        raise BudgetError(f"{p.name} does not fit {b.name} ({fw.link_message}): nothing exported")
    kernels = used_kernel_sources(fw.map_file, b.flash.origin, b.flash.end)

    g = cm.graph
    if input_files:
        xs = [load_input_file(f, g)[0] for f in input_files]
        if len(xs) != len(g.inputs):
            raise TinygenError(f"{len(xs)} --input files for a model with {len(g.inputs)} inputs")
        source = "Sample input from " + ", ".join(Path(f).name for f in input_files) + "."
    else:
        xs = random_inputs(g, 1, seed)[0]
        source = f"Sample input: random (seed {seed})."
    expected = TFLMReference(data).run(xs)
    ctx = dict(version=__version__, name=name, NAME=name.upper(), board_name=b.name, source=source,
               inputs=_io(g.inputs, xs), outputs=_io(g.outputs, expected), dwt_unlock=b.core == "cortex-m7",
               qemu_machine=b.qemu_machine, flash_origin=b.flash.origin, model_file=p.name,
               board_description=b.description or b.name, arena_bytes=cm.arena_bytes)
    env = template_env()

    def render(t: str, **extra) -> str:
        return env.get_template(f"export/{t}").render(**ctx, **extra)

    files: dict[str, str | bytes] = {}
    common = {"tg_console.h": render("tg_console.h.j2"), "tg_console.c": render("tg_console.c.j2"),
              "tg_sample.h": render("tg_sample.h.j2"), "tg_sample.c": render("tg_sample.c.j2"),
              "tg_report.h": render("tg_report.h.j2"), "tg_report.c": render("tg_report.c.j2")}
    kernel_headers = sorted(q.relative_to(KERNELS_DIR / "src") for q in (KERNELS_DIR / "src").rglob("*.h"))
    #: tg_nn.h and the headers it includes (tg_nn_precision.h)
    public_headers = sorted((KERNELS_DIR / "include").glob("*.h"))
    if fmt == "cmake":
        for f, text in cm.files.items():
            files[f"model/{f}"] = text
        for h in public_headers:
            files[f"kernels/include/{h.name}"] = h.read_bytes()
        for rel in kernel_headers + kernels:
            files[f"kernels/src/{rel.as_posix()}"] = (KERNELS_DIR / "src" / rel).read_bytes()
        support = render_support_sources(b, None, int(stack_bytes or b.stack_bytes))
        for f, text in support.items():
            files[f"board/{f}"] = text
        for f, text in common.items():
            files[f"src/{f}"] = text
        board_sources = sorted(f for f in support if f.endswith(".c"))
        files["src/main.c"] = render("cmake/main.c.j2")
        files["CMakeLists.txt"] = render("cmake/CMakeLists.txt.j2", core_flags=core_flags(b), opt_flag=f"-{opt}",
                                         board_sources=board_sources)
        files["arm-none-eabi.cmake"] = render("cmake/arm-none-eabi.cmake.j2")
        files["README.md"] = render("cmake/README.md.j2", kernel_count=len(kernels),
                                    boot_files=[f for f in board_sources if f != "tg_startup.c"])
    else:
        lib = arduino_library_name(name)
        arch = ",".join(b.arduino.get("architectures", ["*"])) if b.arduino else "*"
        root = lib
        files[f"{root}/library.properties"] = render("arduino/library.properties.j2", lib_name=lib,
                                                     lib_version="1.0.0", architectures=arch)
        files[f"{root}/src/{lib}.h"] = render("arduino/library.h.j2", lib_name=lib,
                                              LIB_GUARD=re.sub(r"\W", "_", lib).upper() + "_H")
        for f, text in cm.files.items():
            files[f"{root}/src/{f}"] = text
        for h in public_headers:
            files[f"{root}/src/{h.name}"] = h.read_bytes()
        for rel in kernel_headers + kernels:
            files[f"{root}/src/{rel.as_posix()}"] = (KERNELS_DIR / "src" / rel).read_bytes()
        for f, text in common.items():
            files[f"{root}/src/{f}"] = text
        example = f"{lib}_inference"
        files[f"{root}/examples/{example}/{example}.ino"] = render("arduino/sketch.ino.j2", lib_name=lib,
                                                                    example=example)
    _write_tree(out, files)
    return ExportResult(directory=out, fmt=fmt, name=name, files=sorted(files), kernels=[k.as_posix() for k in kernels])


def arduino_library_name(name: str) -> str:
    """Library names: letters, digits, spaces, '_', '.', '-', starting with a letter or digit, at
    most 63 characters, not starting with "Arduino" (reserved for Arduino's own)."""
    lib = "tinygen_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return lib[:63]


def _write_tree(out: Path, files: dict[str, str | bytes]) -> None:
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tinygen-export-", dir=parent))
    try:
        for rel, content in files.items():
            dst = tmp / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                dst.write_bytes(content)
            else:
                dst.write_text(content)
        if out.exists():
            out.rmdir()  # empty (checked above)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = ["ExportError", "ExportResult", "FORMATS", "arduino_library_name", "export_project", "used_kernel_sources"]
