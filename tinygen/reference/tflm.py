"""TensorFlow Lite Micro (the `tflite-micro` pip package) as the golden oracle."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Sequence

import numpy as np

from ..errors import TinygenError


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
        from ..frontend.schema import schema

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
