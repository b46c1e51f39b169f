"""LiteRT (ai-edge-litert, the successor of tflite-runtime) as a cross-check.

Always with the BUILTIN_REF op resolver: the default one applies XNNPACK, which differs from the
reference kernels by up to tens of steps after softmax. Even the reference kernels of LiteRT are
not TFLM: its FULLY_CONNECTED rounds once instead of twice, so models with FULLY_CONNECTED layers
can differ by one or two steps. TFLM stays the oracle; this is a second opinion.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import TinygenError


class LiteRTReference:
    def __init__(self, model: bytes) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError as e:  # pragma: no cover
            raise TinygenError(f"ai-edge-litert is not installed ({e})") from None
        try:
            self.interp = Interpreter(model_content=bytes(model),
                                      experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
            self.interp.allocate_tensors()
        except (RuntimeError, ValueError) as e:
            raise TinygenError(f"LiteRT cannot load the model: {e}") from None
        self.inputs = self.interp.get_input_details()
        self.outputs = self.interp.get_output_details()

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        for d, x in zip(self.inputs, inputs):
            self.interp.set_tensor(d["index"], np.ascontiguousarray(x).reshape(d["shape"]))
        self.interp.invoke()
        return [np.array(self.interp.get_tensor(d["index"])) for d in self.outputs]
