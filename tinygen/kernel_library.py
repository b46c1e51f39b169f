"""The C kernel library as the compiler sees it: its header's types, constants and functions,
callable at compile time through cffi.

The compiler never copies a C formula or limit into Python. It asks the library:
  - scratch sizes: `buffer_size("tg_conv_s8_get_buffer_size", ...)` calls the kernel's own query;
  - limits: `constant("TG_LOOP_NEST_MAX_DIMS")` reads the header's #define;
  - parameter structs: `check_struct(ConvParams)` compares a @cstruct dataclass (tinygen.cstruct)
    with the C struct the header declares, field by field (names, order, nesting, array lengths),
    so the Python mirror and the C struct cannot drift apart.

The library is compiled once for the host (tinygen.toolchain.host, cached by the hash of its
sources) and loaded as a shared object; the header is read through the C preprocessor.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import typing
import uuid
from functools import lru_cache
from typing import Any

import numpy as np

from .cstruct import CTYPE_ATTR, ctype_of
from .errors import ToolchainError
from .paths import KERNELS_INCLUDE
from .toolchain.host import HOST_CC, _run, build_kernel_library

HEADER = KERNELS_INCLUDE / "tg_nn.h"
#: the public headers: tg_nn.h and the ones it includes (their #defines are read too)
HEADERS = (HEADER, KERNELS_INCLUDE / "tg_nn_precision.h")


@lru_cache(maxsize=None)
def _declarations() -> str:
    """tg_nn.h through the preprocessor (declarations only, for cffi), plus its integer #defines."""
    try:
        r = subprocess.run([HOST_CC, "-E", "-P", "-D__attribute__(x)=", "-I", str(KERNELS_INCLUDE), str(HEADER)],
                           capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"host C compiler {HOST_CC!r} not found (install gcc)") from None
    if r.returncode != 0:
        raise ToolchainError(f"preprocessing {HEADER.name} failed: {r.stderr.strip()[:300]}")
    text = r.stdout
    start = text.find("typedef enum")  # skip the standard headers' declarations
    defines = [d for h in HEADERS for d in re.findall(r"^#define (TG_[A-Z0-9_]+) (\d+)\s*$", h.read_text(), flags=re.M)]
    return "\n".join(f"#define {n} {v}" for n, v in defines) + "\n" + text[start:]


class KernelLibrary:
    """The host build of the kernel library with every declaration of tg_nn.h."""

    def __init__(self) -> None:
        lib_a = build_kernel_library()
        so = lib_a.parent / "libtgnn_all.so"
        if not so.exists():
            # a name of its own per process: two processes linking into one temporary file would
            # publish a half-written library to the first one's dlopen (a crash)
            tmp = so.with_name(f"{so.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            _run([HOST_CC, "-shared", "-Wl,--whole-archive", str(lib_a), "-Wl,--no-whole-archive", "-o", str(tmp)],
                 "linking the kernel library for compile-time queries")
            tmp.replace(so)
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(_declarations())
        self.lib = self.ffi.dlopen(str(so))

    # -- values -----------------------------------------------------------------------------------
    def new(self, value: Any):
        """A pointer to a new C struct holding a @cstruct dataclass instance (its array fields NULL:
        the compile-time queries read a layer's shapes and parameters, never its constants)."""
        return self.ffi.new(f"{ctype_of(value)} *", _as_cdata_init(value, self.ffi.NULL))

    def buffer_size(self, function: str, *args: Any) -> int:
        """Call a `*_get_buffer_size` query; dataclass arguments are passed as struct pointers."""
        fn = getattr(self.lib, function)
        return int(fn(*[self.new(a) if dataclasses.is_dataclass(a) else a for a in args]))

    def constant(self, name: str) -> int:
        return int(getattr(self.lib, name))


def _as_cdata_init(value: Any, null: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _as_cdata_init(getattr(value, f.name), null) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_as_cdata_init(v, null) for v in value]
    if isinstance(value, np.ndarray) or value is None:
        return null  # an array field (a pointer in C): not passed to a compile-time query
    return value


@lru_cache(maxsize=None)
def library() -> KernelLibrary:
    return KernelLibrary()


def buffer_size(function: str, *args: Any) -> int:
    """Scratch bytes a kernel needs, from its own `*_get_buffer_size` function."""
    return library().buffer_size(function, *args)


def constant(name: str) -> int:
    """An integer #define of tg_nn.h (e.g. TG_LOOP_NEST_MAX_DIMS)."""
    return library().constant(name)


# -- parameter structs ------------------------------------------------------------------------------

class StructMismatch(ToolchainError):
    """A @cstruct dataclass does not mirror its C struct."""


_INT_KINDS = ("int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int",
              "long", "char", "short", "unsigned int")


def _check_field(ffi, owner: str, name: str, ctype, annotation: Any) -> None:
    where = f"{owner}.{name}"
    origin = typing.get_origin(annotation)
    if ctype.kind == "struct":
        if not (isinstance(annotation, type) and dataclasses.is_dataclass(annotation)):
            raise StructMismatch(f"{where}: the C field is a struct {ctype.cname}, the Python field is {annotation!r}")
        _check(ffi, annotation, ctype)
    elif ctype.kind == "array":
        if origin is not tuple:
            raise StructMismatch(f"{where}: the C field is an array {ctype.cname}, the Python field is {annotation!r}")
        args = typing.get_args(annotation)
        if not (len(args) == 2 and args[1] is Ellipsis) and len(args) != ctype.length:
            raise StructMismatch(f"{where}: the C array has {ctype.length} entries, the Python tuple {len(args)}")
    elif ctype.kind == "pointer":
        # an array in flash, or optionally absent (np.ndarray | None: None renders as NULL)
        if annotation is not np.ndarray and set(typing.get_args(annotation)) != {np.ndarray, type(None)}:
            raise StructMismatch(f"{where}: the C field is a pointer {ctype.cname}, the Python field must be an "
                                 f"np.ndarray (placed in flash), not {annotation!r}")
    elif ctype.kind == "primitive":
        want = float if ctype.cname in ("float", "double") else int
        if annotation not in (want, bool) or (want is float and annotation is bool):
            raise StructMismatch(f"{where}: the C field is {ctype.cname}, the Python field is {annotation!r}")
    else:
        raise StructMismatch(f"{where}: unsupported C field kind {ctype.kind}")


def _check(ffi, cls: type, ctype) -> None:
    fields = ctype.fields or []
    hints = typing.get_type_hints(cls)
    py = [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]
    cnames = [n for n, _ in fields]
    if [n for n, _ in py] != cnames:
        raise StructMismatch(f"{cls.__name__} mirrors {ctype.cname} but its fields {[n for n, _ in py]} differ from "
                             f"the C fields {cnames}")
    for (name, ann), (_, cfield) in zip(py, fields):
        _check_field(ffi, ctype.cname, name, cfield.type, ann)


@lru_cache(maxsize=None)
def check_struct(cls: type) -> None:
    """Raise StructMismatch unless the @cstruct dataclass `cls` mirrors its C struct in tg_nn.h."""
    lib = library()
    name = getattr(cls, CTYPE_ATTR, None)
    if name is None:
        raise StructMismatch(f"{cls.__name__} is not a @cstruct dataclass")
    try:
        ctype = lib.ffi.typeof(name)
    except Exception:
        raise StructMismatch(f"{cls.__name__} mirrors {name}, which tg_nn.h does not declare") from None
    _check(lib.ffi, cls, ctype)


__all__ = ["KernelLibrary", "StructMismatch", "buffer_size", "check_struct", "constant", "library"]
