"""MAXIMUM and MINIMUM: elementwise maximum / minimum with broadcasting, for every element type
TFLite Micro takes (int8, int16, int32, int64, float32) (kernels: tg_maximum, tg_minimum).

TFLite Micro (maximum_minimum.cc) has no Prepare: it compares the stored values as they are,
`a > b ? a : b`, whatever the tensors' quantizations say (an int8 model whose two inputs have
different scales gets the raw maximum), and so do we. Ranks up to 8, as TFLite Micro's broadcast
loop, as long as the merged loop nest has at most TG_BCAST_MAX_DIMS dimensions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Op
from ..kernel_library import constant
from ..schema import schema
from .add_sub import Broadcast, broadcast_shape, infer_binary, plan_broadcast
from .base import register, unsupported
from .common import ElementwiseOp, check_dtype

#: TFLite Micro's broadcast loop (BroadcastBinaryOpSimple) takes up to 8 dimensions
MAX_RANK = 8
#: element types and their TG_DTYPE_* constant in tg_nn.h
DTYPE_CONSTANTS = {"int8": "TG_DTYPE_INT8", "int16": "TG_DTYPE_INT16", "int32": "TG_DTYPE_INT32",
                   "int64": "TG_DTYPE_INT64", "float32": "TG_DTYPE_FLOAT32", "bool": "TG_DTYPE_BOOL"}


#: element types of MAXIMUM and MINIMUM
TYPED = ("int8", "int16", "int32", "int64", "float32")


def dtype_code(dtype: str) -> int:
    """The kernels' TG_DTYPE_* code of an element type."""
    return constant(DTYPE_CONSTANTS[dtype])


@dataclass(frozen=True)
class MinMaxArgs:
    dtype: int          # TG_DTYPE_* code
    bcast: Broadcast


def check_broadcast_binary(op: Op, dtypes: tuple[str, ...], max_rank: int = MAX_RANK,
                           out_dtype: str | None = None) -> Broadcast:
    """Two inputs of one element type among `dtypes` and an output of that type (or out_dtype),
    broadcastable shapes, an output of the broadcast shape, a loop nest the kernels can walk;
    returns that nest."""
    if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
        raise unsupported(op, "expects two inputs and one output")
    x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
    check_dtype(op, x1, *dtypes, what="input 1")
    if x2.dtype != x1.dtype:
        raise unsupported(op, f"input 2 {x2.name!r} has type {x2.dtype} but input 1 has {x1.dtype}")
    if y.dtype != (out_dtype or x1.dtype):
        raise unsupported(op, f"output {y.name!r} has type {y.dtype}; expected {out_dtype or x1.dtype}")
    for t in (x1, x2, y):
        if t.size == 0:
            raise unsupported(op, f"tensor {t.name!r} has no elements (shape {list(t.shape)})")
        if t.rank > max_rank:
            raise unsupported(op, f"tensor {t.name!r} has rank {t.rank}; TFLite Micro supports at most {max_rank}")
    b = broadcast_shape(x1.shape, x2.shape)
    if b is None:
        raise unsupported(op, f"input shapes {list(x1.shape)} and {list(x2.shape)} do not broadcast")
    r = max(len(b), y.rank)
    if (1,) * (r - len(b)) + b != (1,) * (r - y.rank) + tuple(y.shape):
        raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)} but the inputs broadcast to {list(b)}")
    try:
        return plan_broadcast(x1.shape, x2.shape, y.shape)
    except ValueError:
        raise unsupported(op, f"broadcasting {list(x1.shape)} against {list(x2.shape)} needs more than "
                              f"{constant('TG_BCAST_MAX_DIMS')} loop dimensions") from None


class _MinMax(ElementwiseOp):
    float_types = True
    template = "ops/maximum_minimum.c.j2"

    def infer(self, op):
        return infer_binary(op)

    def check(self, op):
        check_broadcast_binary(op, TYPED)

    def prepare(self, op):
        x1, x2, y = op.inputs[0], op.inputs[1], op.outputs[0]
        return MinMaxArgs(dtype=dtype_code(x1.dtype), bcast=plan_broadcast(x1.shape, x2.shape, y.shape))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template=self.template)


@register
class Maximum(_MinMax):
    kind = "MAXIMUM"
    options = "MaximumMinimumOptions"
    function = "tg_maximum"

    def write_options(self, a):
        return schema.MaximumMinimumOptionsT()


@register
class Minimum(_MinMax):
    kind = "MINIMUM"
    options = "MaximumMinimumOptions"
    function = "tg_minimum"

    def write_options(self, a):
        return schema.MaximumMinimumOptionsT()
