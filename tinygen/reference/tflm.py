"""TensorFlow Lite Micro (the `tflite-micro` pip package) as the golden oracle."""

from __future__ import annotations

import os
import re
import sys
import tempfile
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
        try:
            self.interp = runtime.Interpreter.from_bytes(model, arena_size=arena_size or _arena_bytes(model),
                                                         intrepreter_config=cfg)
        except (RuntimeError, ValueError) as e:
            raise TinygenError(f"TensorFlow Lite Micro cannot load the model: {e}") from None

        m = schema.Model.GetRootAs(model, 0)
        self.n_outputs = int(m.Subgraphs(0).OutputsLength())
        self.n_inputs = int(m.Subgraphs(0).InputsLength())

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run one inference; returns every graph output."""
        for i, x in enumerate(inputs):
            self.interp.set_input(np.ascontiguousarray(x).reshape(np.shape(x)), i)
        try:
            self.interp.invoke()
        except RuntimeError as e:
            raise TinygenError(f"TensorFlow Lite Micro failed to run the model: {e}") from None
        return [np.array(self.interp.get_output(i)) for i in range(self.n_outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """An intermediate tensor (needs preserve_all_tensors=True)."""
        return np.array(self.interp.GetTensor(index, 0)["tensor_data"])

    def reset(self) -> None:
        """Restore the initial state of the variable tensors (stateful models: SVDF, LSTM)."""
        self.interp.reset()


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


def _worker_run(model: bytes, preserve: bool, inputs, tensor_indices, reset: bool = False):
    import hashlib

    key = (hashlib.sha256(model).hexdigest(), preserve)
    ref = _WORKER_REFS.get(key)
    if ref is None:
        ref = _WORKER_REFS[key] = TFLMReference(model, preserve_all_tensors=preserve)
    elif reset:  # a reused interpreter of a stateful model starts over
        ref.reset()
    outs = ref.run(inputs)
    tensors = {i: ref.tensor(i) for i in tensor_indices}
    return outs, tensors


class IsolatedTFLMReference:
    """TFLMReference in a separate process (same interface for run/tensor)."""
    def __init__(self, model: bytes, preserve_all_tensors: bool = False) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.model = model
        self.preserve = preserve_all_tensors
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
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
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __del__(self) -> None:  # pragma: no cover
        try:
            self.close()
        except Exception:
            pass
