"""Host build: generated C + kernel library -> shared object, called from Python through cffi.

The kernel library is compiled once into a static archive, cached by the hash of its sources and
flags; each model is compiled into a shared object cached by the hash of its generated C. Several
models can share one shared object (one compiler run), which is how the random-graph tests stay
fast.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import cffi
import numpy as np

from ..errors import GuardError, ToolchainError
from ..fsio import cache_entry
from ..ir import c_type, np_dtype
from ..guard import ArenaGuard
from ..paths import KERNELS_DIR, KERNELS_INCLUDE, TEMPLATES_DIR, cache_dir

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler import CompiledModel

HOST_CC = os.environ.get("TINYGEN_HOST_CC", "gcc")
WARNINGS = ["-Wall", "-Wextra", "-Werror"]
HOST_CFLAGS = ["-std=c99", "-O2", "-fPIC", *WARNINGS]
HOST_SUPPORT = TEMPLATES_DIR / "host"


def kernel_sources() -> list[Path]:
    return sorted((KERNELS_DIR / "src").rglob("*.c"))


def kernel_headers() -> list[Path]:
    return sorted(KERNELS_DIR.rglob("*.h"))


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"{what}: compiler {cmd[0]!r} not found") from None
    if r.returncode != 0:
        first = next((ln for ln in r.stderr.splitlines() if "error" in ln), r.stderr.strip()[:300])
        raise ToolchainError(f"{what} failed: {first}\n{r.stderr}")


@lru_cache(maxsize=None)
def _cc_version(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    except (FileNotFoundError, IndexError):
        raise ToolchainError(f"host C compiler {cc!r} not found (install gcc)") from None


def _hash_files(paths: Sequence[Path], extra: Sequence[str] = ()) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.relative_to(KERNELS_DIR) if p.is_relative_to(KERNELS_DIR) else p.name).encode())
        h.update(p.read_bytes())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()[:20]


def build_kernel_library(cc: str = HOST_CC, cflags: Sequence[str] = HOST_CFLAGS) -> Path:
    """Compile kernels/ into libtgnn.a (cached)."""
    srcs = kernel_sources()
    key = _hash_files(srcs + kernel_headers(), [cc, _cc_version(cc), *cflags])
    final = cache_dir() / "host" / f"kernels-{key}"
    lib = final / "libtgnn.a"
    if lib.exists():
        return lib
    inc = ["-I", str(KERNELS_INCLUDE)]
    with cache_entry(final) as tmp:
        def one(src: Path) -> Path:
            obj = tmp / (src.relative_to(KERNELS_DIR / "src").as_posix().replace("/", "__")[:-2] + ".o")
            _run([cc, *cflags, *inc, "-c", str(src), "-o", str(obj)], f"compiling kernel {src.name}")
            return obj

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
            objs = list(ex.map(one, srcs))
        _run(["ar", "rcs", str(tmp / "libtgnn.a"), *map(str, objs)], "archiving the kernel library")
    return lib


def _cdecl(cm: "CompiledModel") -> str:
    g = cm.graph
    ins = [f"const {c_type(t.dtype)} *" for t in g.inputs]
    outs = [f"{c_type(t.dtype)} *" for t in g.outputs]
    decl = f"int {cm.name}_invoke({', '.join(ins + outs)});\n"
    if cm.options.io_in_arena:
        decl += f"int {cm.name}_run(void);\nvoid *{cm.name}_input(int);\nvoid *{cm.name}_output(int);\n"
    if has_state(cm):
        decl += f"void {cm.name}_reset(void);\n"
    return decl


def has_state(cm: "CompiledModel") -> bool:
    """The model keeps state between inferences (variable tensors: SVDF, LSTM)."""
    return any(t.is_variable for t in cm.graph.tensors())


class HostModel:
    """One compiled model inside a loaded host shared object."""

    def __init__(self, cm: "CompiledModel", ffi: cffi.FFI, lib, so_path: Path) -> None:
        self.cm = cm
        self.ffi = ffi
        self.lib = lib
        self.so_path = so_path
        self._invoke = getattr(lib, f"{cm.name}_invoke")
        #: operators whose canaries were checked (guard builds), over every run
        self.guard_checks = 0
        self._reset = getattr(lib, f"{cm.name}_reset") if has_state(cm) else None

    @property
    def stateful(self) -> bool:
        return self._reset is not None

    def reset(self) -> None:
        """Restore the model's initial state (variable tensors); nothing for stateless models.
        The shared object may be loaded once per process and reused, so a caller wanting a fresh
        start after earlier inferences resets first."""
        if self._reset is not None:
            self._reset()

    def _ptr(self, arr: np.ndarray, dtype: str):
        return self.ffi.from_buffer(f"{c_type(dtype)}[]", arr)

    def invoke(self, inputs: Sequence[np.ndarray], on_trace=None) -> list[np.ndarray]:
        """Run once. A guard build (CompileOptions.guard) checks the arena's canaries after every
        operator and raises GuardError naming the operator that wrote out of bounds. `on_trace`:
        called with (op position, tflite tensor index, bytes) for every operator output."""
        g = self.cm.graph
        if len(inputs) != len(g.inputs):
            raise ValueError(f"model has {len(g.inputs)} inputs, got {len(inputs)}")
        ins = []
        for x, t in zip(inputs, g.inputs):
            a = np.ascontiguousarray(x, dtype=np_dtype(t.dtype))
            if a.size != t.size:
                raise ValueError(f"input {t.name!r} needs {t.size} values ({list(t.shape)}), got {a.size}")
            ins.append(a)
        outs = [np.zeros(t.shape, dtype=np_dtype(t.dtype)) for t in g.outputs]
        guard = ArenaGuard(self.cm) if self.cm.plan.guard > 0 else None
        hooks = []
        if guard is not None or on_trace is not None:
            @self.ffi.callback("void(int, int, const void *, int)")
            def trace_cb(op, tensor, data, nbytes):
                if guard is not None:
                    guard.after(op)
                if on_trace is not None:
                    on_trace(op, tensor, bytes(self.ffi.buffer(data, nbytes)))

            hooks.append(trace_cb)
            self.lib.tg_host_trace = trace_cb
        if guard is not None:
            @self.ffi.callback("void(void *, int)")
            def enter_cb(arena, nbytes):
                guard.enter(np.frombuffer(self.ffi.buffer(arena, nbytes), dtype=np.uint8))

            hooks.append(enter_cb)
            self.lib.tg_host_guard_enter = enter_cb
        try:
            status = self._invoke(*[self._ptr(a, t.dtype) for a, t in zip(ins, g.inputs)],
                                  *[self._ptr(a, t.dtype) for a, t in zip(outs, g.outputs)])
        finally:
            self.lib.tg_host_trace = self.ffi.NULL
            self.lib.tg_host_guard_enter = self.ffi.NULL
        if guard is not None:
            self.guard_checks += guard.checked
            if guard.violation is not None:
                raise GuardError(f"{self.cm.name}: {guard.violation}")
            if guard.mem is None and len(g.ops) > 0:
                raise GuardError(f"{self.cm.name}: the guard build never reported its arena")
        if status != 0:
            raise RuntimeError(f"{self.cm.name}_invoke returned {status}")
        return [o.reshape(t.shape) for o, t in zip(outs, g.outputs)]

    def trace(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[tuple[int, int, bytes]]]:
        """Run once and record every operator output: [(op position, tflite tensor index, bytes)]."""
        records: list[tuple[int, int, bytes]] = []
        outs = self.invoke(inputs, on_trace=lambda op, tensor, data: records.append((op, tensor, data)))
        return outs, records

def _build_models(cms: Sequence["CompiledModel"], tmp: Path, lib_a: Path, cc: str, cflags: Sequence[str],
                  ldflags: Sequence[str]) -> None:
    srcs = []
    for cm in cms:
        for fname, text in cm.files.items():
            (tmp / fname).write_text(text)
            if fname.endswith(".c"):
                srcs.append(str(tmp / fname))
    srcs.append(str(HOST_SUPPORT / "tg_host_trace.c"))
    flags = [*cflags, "-I", str(KERNELS_INCLUDE), "-I", str(tmp), "-I", str(HOST_SUPPORT),
             "-include", str(HOST_SUPPORT / "tg_host_trace.h")]

    def one(i_src):  # one compiler per file, in parallel
        i, src = i_src
        obj = str(tmp / f"{i}.o")
        _run([cc, *flags, "-c", src, "-o", obj], f"host build of {Path(src).name}")
        return obj

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        objs = list(ex.map(one, enumerate(srcs)))
    _run([cc, "-shared", "-Wl,-Bsymbolic", *ldflags, *objs, str(lib_a), "-o", str(tmp / "models.so")],
         "linking the host build")


def build_host_library(cms: Sequence["CompiledModel"], cc: str = HOST_CC, cflags: Sequence[str] = HOST_CFLAGS,
                       ldflags: Sequence[str] = (), tag: str = "") -> Path:
    """Compile models (and the kernel library, with the same flags) into one shared object
    (cached by the hash of everything that goes in); its path."""
    names = [cm.name for cm in cms]
    if len(set(names)) != len(names):
        raise ValueError("models built together need distinct names")
    lib_a = build_kernel_library(cc, tuple(cflags))
    h = hashlib.sha256()
    h.update(lib_a.parent.name.encode())
    h.update("\0".join([*cflags, "|", *ldflags]).encode())
    for f in (HOST_SUPPORT / "tg_host_trace.h", HOST_SUPPORT / "tg_host_trace.c"):
        h.update(f.read_bytes())
    for cm in cms:
        for fname, text in sorted(cm.files.items()):
            h.update(fname.encode())
            h.update(text.encode())
    key = h.hexdigest()[:24]
    final = cache_dir() / "host" / f"models{'-' + tag if tag else ''}-{key}"
    so = final / "models.so"
    if not so.exists():
        with cache_entry(final) as tmp:
            _build_models(cms, tmp, lib_a, cc, cflags, ldflags)
    return so


def build_host(cms: Sequence["CompiledModel"], cc: str = HOST_CC) -> list[HostModel]:
    """Compile models (and the kernel library) into one shared object and load it."""
    so = build_host_library(cms, cc)
    ffi = cffi.FFI()
    ffi.cdef("typedef void (*tg_trace_fn)(int op, int tensor, const void *data, int nbytes);\n"
             "typedef void (*tg_guard_fn)(void *arena, int nbytes);\n"
             "extern tg_trace_fn tg_host_trace;\nextern tg_guard_fn tg_host_guard_enter;\n"
             + "".join(_cdecl(cm) for cm in cms))
    lib = ffi.dlopen(str(so))
    return [HostModel(cm, ffi, lib, so) for cm in cms]
