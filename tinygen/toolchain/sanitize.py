"""Host build with AddressSanitizer and UndefinedBehaviorSanitizer.

    models = build_sanitized([cm1, cm2])       # kernels + generated C, -fsanitize=address,undefined
    outs = models[0].run_many(input_sets)      # every set in one child process

The kernel library and the generated C are compiled with `-fsanitize=address,undefined
-fno-sanitize-recover=all` (the first error aborts with its report). Python itself is not built
with ASan, so the library runs in a child process started with the ASan runtime preloaded
(LD_PRELOAD); the child invokes the models on the given inputs and hands the outputs back through
a .npz file. A sanitizer report becomes a SanitizerError quoting its first lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import TinygenError, ToolchainError
from ..ir import c_type, np_dtype
from .host import HOST_CC, HOST_CFLAGS, build_host_library, has_state

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler import CompiledModel

SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]
#: -O0: the sanitizer builds run small inputs, so compile time matters more than speed
SANITIZE_CFLAGS = [f for f in HOST_CFLAGS if f != "-O2"] + ["-O0", *SANITIZE_FLAGS]
#: the child's sanitizer settings: stop at the first error; Python's own allocations are not leaks
ASAN_OPTIONS = "detect_leaks=0:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1"
UBSAN_OPTIONS = "halt_on_error=1:print_stacktrace=1"


class SanitizerError(TinygenError):
    """AddressSanitizer or UndefinedBehaviorSanitizer stopped the host build: a bug in a kernel or
    the generated code."""

    exit_code = 1


@lru_cache(maxsize=None)
def asan_runtime(cc: str = HOST_CC) -> str:
    """Path of the compiler's ASan runtime (to preload into the child)."""
    try:
        r = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"host C compiler {cc!r} not found (install gcc)") from None
    path = r.stdout.strip()
    if not os.path.isabs(path) or not os.path.exists(path):
        raise ToolchainError(f"{cc} has no AddressSanitizer runtime (libasan.so); install libasan (gcc's)")
    return path


def sanitizers_missing(cc: str = HOST_CC) -> str | None:
    """None when the sanitizer build can run here, else why not."""
    try:
        asan_runtime(cc)
    except ToolchainError as e:
        return str(e)
    return None


class SanitizedModel:
    """One compiled model in a sanitized shared object; runs happen in a child process."""

    def __init__(self, cm: "CompiledModel", so_path: Path, cc: str) -> None:
        self.cm = cm
        self.so_path = so_path
        self.cc = cc
        self._cache: dict[str, list[np.ndarray]] = {}
        #: outputs of a stateful model's last run_many, not yet handed out by invoke()
        self._pending: list[list[np.ndarray]] = []

    @staticmethod
    def _key(xs: Sequence[np.ndarray]) -> str:
        h = hashlib.sha256()
        for x in xs:
            a = np.ascontiguousarray(x)
            h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
        return h.hexdigest()

    def run_many(self, sets: Sequence[Sequence[np.ndarray]]) -> list[list[np.ndarray]]:
        """Every input set through the model, in one child process. A model with state runs them
        in order from its initial state; the following invoke() calls return these outputs in
        the same order (equal inputs may give different outputs there)."""
        if has_state(self.cm):
            outs = _run_child(self.so_path, [self.cm], [list(sets)], self.cc)[0]
            self._pending = list(outs)
            return outs
        todo = [xs for xs in sets if self._key(xs) not in self._cache]
        if todo:
            outs = _run_child(self.so_path, [self.cm], [todo], self.cc)[0]
            for xs, o in zip(todo, outs):
                self._cache[self._key(xs)] = o
        return [self._cache[self._key(xs)] for xs in sets]

    def invoke(self, xs: Sequence[np.ndarray]) -> list[np.ndarray]:
        if self._pending:
            return self._pending.pop(0)
        return self.run_many([xs])[0]

    def reset(self) -> None:
        """Every run_many starts a new child process, whose state is the initial one (stateful
        models are run with all their inputs, in order, in one run_many); outputs not handed out
        yet are dropped."""
        self._pending = []


def build_sanitized(cms: Sequence["CompiledModel"], cc: str = HOST_CC) -> list[SanitizedModel]:
    """Compile models and the kernel library with the sanitizers into one shared object."""
    asan_runtime(cc)
    so = build_host_library(cms, cc=cc, cflags=SANITIZE_CFLAGS, ldflags=SANITIZE_FLAGS, tag="asan")
    return [SanitizedModel(cm, so, cc) for cm in cms]


def _signature(cm: "CompiledModel") -> dict:
    g = cm.graph
    return dict(name=cm.name,
                inputs=[dict(ctype=c_type(t.dtype), dtype=np.dtype(np_dtype(t.dtype)).str, shape=list(t.shape))
                        for t in g.inputs],
                outputs=[dict(ctype=c_type(t.dtype), dtype=np.dtype(np_dtype(t.dtype)).str, shape=list(t.shape))
                         for t in g.outputs])


def _run_child(so: Path, cms: Sequence["CompiledModel"], sets: Sequence[Sequence[Sequence[np.ndarray]]],
               cc: str) -> list[list[list[np.ndarray]]]:
    """Run sets[k] through cms[k] in a child process with the ASan runtime preloaded."""
    with tempfile.TemporaryDirectory(prefix="tinygen-asan-") as d:
        d = Path(d)
        arrays = {}
        for k, model_sets in enumerate(sets):
            for i, xs in enumerate(model_sets):
                for j, x in enumerate(xs):
                    arrays[f"m{k}_s{i}_i{j}"] = np.ascontiguousarray(x)
        np.savez(d / "in.npz", **arrays)
        spec = dict(so=str(so), models=[dict(_signature(cm), sets=len(s)) for cm, s in zip(cms, sets)])
        (d / "spec.json").write_text(json.dumps(spec))
        env = dict(os.environ, LD_PRELOAD=asan_runtime(cc), ASAN_OPTIONS=ASAN_OPTIONS, UBSAN_OPTIONS=UBSAN_OPTIONS)
        r = subprocess.run([sys.executable, "-m", "tinygen.toolchain.sanitize", str(d)], capture_output=True,
                           text=True, env=env, timeout=600)
        if r.returncode != 0 or not (d / "out.npz").exists():
            report = [ln for ln in r.stderr.splitlines() if ln.strip() and not ln.startswith("==") or "ERROR" in ln]
            first = next((ln for ln in report if "runtime error" in ln or "ERROR: AddressSanitizer" in ln),
                         report[0] if report else f"exit code {r.returncode}")
            raise SanitizerError(f"sanitizer build of {', '.join(cm.name for cm in cms)} stopped: {first.strip()}"
                                 f"\n{r.stderr[-4000:]}")
        with np.load(d / "out.npz") as z:
            out = []
            for k, (cm, model_sets) in enumerate(zip(cms, sets)):
                n_out = len(cm.graph.outputs)
                out.append([[z[f"m{k}_s{i}_o{j}"] for j in range(n_out)] for i in range(len(model_sets))])
            return out


def _child(d: Path) -> None:  # runs under the ASan runtime: keep it small
    import cffi

    spec = json.loads((d / "spec.json").read_text())
    ffi = cffi.FFI()
    decls = []
    for m in spec["models"]:
        params = [f"const {io['ctype']} *" for io in m["inputs"]] + [f"{io['ctype']} *" for io in m["outputs"]]
        decls.append(f"int {m['name']}_invoke({', '.join(params)});")
    ffi.cdef("\n".join(decls))
    lib = ffi.dlopen(spec["so"])
    results = {}
    with np.load(d / "in.npz") as z:
        for k, m in enumerate(spec["models"]):
            fn = getattr(lib, f"{m['name']}_invoke")
            for i in range(m["sets"]):
                ins = [np.ascontiguousarray(z[f"m{k}_s{i}_i{j}"], dtype=np.dtype(io["dtype"]))
                       for j, io in enumerate(m["inputs"])]
                outs = [np.zeros(io["shape"], dtype=np.dtype(io["dtype"])) for io in m["outputs"]]
                status = fn(*[ffi.from_buffer(f"{io['ctype']}[]", a) for a, io in zip(ins, m["inputs"])],
                            *[ffi.from_buffer(f"{io['ctype']}[]", a) for a, io in zip(outs, m["outputs"])])
                if status != 0:
                    raise SystemExit(f"{m['name']}_invoke returned {status}")
                for j, o in enumerate(outs):
                    results[f"m{k}_s{i}_o{j}"] = o
    np.savez(d / "out.npz", **results)


if __name__ == "__main__":  # pragma: no cover - the child process
    _child(Path(sys.argv[1]))
