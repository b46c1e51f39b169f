"""BROADCAST_ARGS: the broadcast shape of two int32 or int64 shape vectors (kernel:
tg_broadcast_args).

TFLite Micro (broadcast_args.cc, reference broadcast_args.h): both inputs and the output of one
type, int32 or int64, all 1-D; sizes aligned at their ends, a 1 (or a missing dimension) takes the
other's size; sizes that do not broadcast abort the process (TFLITE_CHECK), where the generated
code returns an error status. The sizes pass through C++ int (an int64 size keeps its low 32
bits). The output's length comes from the model (the longer input's, checked here).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import OpDef, register, unsupported
from .common import check_dtype
from .maximum_minimum import dtype_code


@dataclass(frozen=True)
class BroadcastArgsArgs:
    dtype: int
    len1: int
    len2: int
    out_len: int


@register
class BroadcastArgs(OpDef):
    kind = "BROADCAST_ARGS"
    moves_values = True
    function = "tg_broadcast_args"

    def infer(self, op):
        return [(max(op.inputs[0].size, op.inputs[1].size),)]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
            raise unsupported(op, "expects two shape inputs and one output")
        s1, s2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, s1, "int32", "int64", what="input 1")
        for t, what in ((s2, "input 2"), (y, "output")):
            if t.dtype != s1.dtype:
                raise unsupported(op, f"{what} {t.name!r} has type {t.dtype} but input 1 has {s1.dtype}")
        for t, what in ((s1, "input 1"), (s2, "input 2"), (y, "output")):
            if t.rank != 1:
                raise unsupported(op, f"{what} {t.name!r} has shape {list(t.shape)}; TFLite Micro requires a vector")
        if y.size != max(s1.size, s2.size):
            raise unsupported(op, f"output {y.name!r} has {y.size} elements; the shapes have {s1.size} and {s2.size}")

    def prepare(self, op):
        s1, s2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return BroadcastArgsArgs(dtype=dtype_code(s1.dtype), len1=s1.size, len2=s2.size, out_len=y.size)

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), function="tg_broadcast_args", template="ops/broadcast_args.c.j2")
