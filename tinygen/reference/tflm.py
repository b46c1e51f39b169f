"""TensorFlow Lite Micro (the `tflite-micro` pip package) as the golden oracle."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from typing import Sequence

import numpy as np

from ..errors import TinygenError
from ..schema import schema


def _arena_bytes(model: bytes) -> int:
    # Generous: TFLM needs every activation (all of them when tensors are preserved) plus its
    # persistent bookkeeping; the weights stay in the flatbuffer.
    return max(1 << 20, 16 * len(model)) + (8 << 20)


class TFLMReference:
    def __init__(self, model: bytes, preserve_all_tensors: bool = False, arena_size: int | None = None) -> None:
        from tflite_micro.python.tflite_micro import runtime

        cfg = (runtime.InterpreterConfig.kPreserveAllTensors if preserve_all_tensors
               else runtime.InterpreterConfig.kAllocationRecording)
        self.model = model
        # Any failure to load is one line saying so; TFLM's own C++ messages (printed on the
        # process's stderr) are captured, not shown on top of it.
        with _captured_stderr() as captured:
            try:
                self.interp = runtime.Interpreter.from_bytes(model, arena_size=arena_size or _arena_bytes(model),
                                                             intrepreter_config=cfg)
                m = schema.Model.GetRootAs(model, 0)
                self.n_outputs = int(m.Subgraphs(0).OutputsLength())
                self.n_inputs = int(m.Subgraphs(0).InputsLength())
                err = None
            except Exception as e:  # RuntimeError, ValueError, struct.error, IndexError... from TFLM's loader
                err = e
        if err is not None:
            raise TinygenError(f"TensorFlow Lite Micro cannot load this model, so there is no reference to compare "
                               f"with ({_why(err, captured())})") from None

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run one inference; returns every graph output."""
        for i, x in enumerate(inputs):
            self.interp.set_input(np.ascontiguousarray(x).reshape(np.shape(x)), i)
        with _captured_stderr() as captured:
            try:
                self.interp.invoke()
                err = None
            except Exception as e:
                err = e
        if err is not None:
            raise TinygenError(f"TensorFlow Lite Micro failed to run the model ({_why(err, captured())})") from None
        return [np.array(self.interp.get_output(i)) for i in range(self.n_outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """An intermediate tensor (needs preserve_all_tensors=True)."""
        return np.array(self.interp.GetTensor(index, 0)["tensor_data"])

    def reset(self) -> None:
        """Restore the initial state of the variable tensors (stateful models: SVDF, LSTM)."""
        self.interp.reset()


def _why(e: BaseException, stderr: str, limit: int = 160) -> str:
    """A short cause: the exception's message, else TFLM's first stderr line."""
    text = " ".join(str(e).split()) or next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "")
    mod = type(e).__module__
    kind = type(e).__name__ if mod == "builtins" else f"{mod}.{type(e).__name__}"
    text = f"{kind}: {text}" if text else kind
    return text if len(text) <= limit else text[:limit - 3] + "..."


@contextmanager
def _captured_stderr():
    """Redirect the process's stderr (file descriptor 2, where TFLM's C++ code prints) to a
    temporary file for the block; yields a function returning what was printed."""
    text = {"v": ""}
    fd = 2
    try:
        sys.stderr.flush()
        saved = os.dup(fd)
    except (OSError, ValueError):  # no file descriptor 2: nothing to capture
        yield lambda: ""
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield lambda: text["v"]
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            text["v"] = tmp.read(1 << 16).decode(errors="replace")


def allocation_report(model: bytes, inputs: Sequence[np.ndarray] | None = None) -> dict[str, int]:
    """TFLM's own arena report (RecordingMicroAllocator, printed by the C++ side on stderr):
    {'total': bytes, 'head': bytes, 'tail': bytes}."""
    ref = TFLMReference(model)
    if inputs is not None:
        ref.run(inputs)
    fd = sys.stderr.fileno()
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            ref.interp.print_allocations()
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    out = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        if m:
            out[key] = int(m.group(1))
    if not out:
        raise TinygenError("TFLM printed no allocation report")
    return out


# -- isolation ----------------------------------------------------------------------------------
# TFLM aborts the whole process on some inputs (e.g. its int8 softmax when a row's sum of
# exponentials overflows, which needs >= 512 classes). User-facing commands therefore run the
# oracle in a worker process, so an abort becomes a clear error instead of killing tinygen.

_WORKER_REFS: dict = {}
#: models kept loaded in a worker (a fuzzing run sends thousands)
_WORKER_KEEP = 8


def _worker_run(model: bytes, preserve: bool, inputs, tensor_indices, reset: bool = False):
    import hashlib

    key = (hashlib.sha256(model).hexdigest(), preserve)
    ref = _WORKER_REFS.get(key)
    if ref is None:
        if len(_WORKER_REFS) >= _WORKER_KEEP:
            _WORKER_REFS.clear()
        ref = _WORKER_REFS[key] = TFLMReference(model, preserve_all_tensors=preserve)
    elif reset:  # a reused interpreter of a stateful model starts over
        ref.reset()
    outs = ref.run(inputs)
    tensors = {i: ref.tensor(i) for i in tensor_indices}
    return outs, tensors


def _new_executor():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


class OraclePool:
    """One TFLM worker process shared by many IsolatedTFLMReference (restarted after an abort)."""

    def __init__(self) -> None:
        self.executor = _new_executor()

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = _new_executor()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "OraclePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class IsolatedTFLMReference:
    """TFLMReference in a separate process (same interface for run/tensor); with `pool`, in that
    pool's worker."""
    def __init__(self, model: bytes, preserve_all_tensors: bool = False, pool: OraclePool | None = None) -> None:
        self.model = model
        self.preserve = preserve_all_tensors
        self._shared = pool
        self._pool = pool.executor if pool is not None else _new_executor()
        self._tensors: dict[int, np.ndarray] = {}
        self.want_tensors: list[int] = []
        self._fresh = True  # the first run starts from the initial state

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            outs, self._tensors = self._pool.submit(_worker_run, self.model, self.preserve,
                                                    [np.asarray(x) for x in inputs], list(self.want_tensors),
                                                    self._fresh).result()
            self._fresh = False
        except BrokenProcessPool:
            self.close()
            raise TinygenError("TensorFlow Lite Micro crashed (the reference process aborted) while running this "
                               "input; no reference output exists for it") from None
        return outs

    def tensor(self, index: int) -> np.ndarray:
        return self._tensors[index]

    def reset(self) -> None:
        """The next run starts from the initial state (stateful models)."""
        self._fresh = True

    def close(self) -> None:
        if self._shared is not None:
            if self._shared.executor is self._pool and getattr(self._pool, "_broken", False):
                self._shared.restart()
            return
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __del__(self) -> None:  # pragma: no cover
        try:
            self.close()
        except Exception:
            pass
