"""Pass `check`: every operator is supported exactly (types, shapes, options), before any C exists."""

from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import Graph
from ..ops import get_op_def, op_def, unsupported
from ..sanitize import quote_name

#: exceptions that mean "this operator's operands make no sense", turned into UnsupportedError
MALFORMED = (IndexError, KeyError, ValueError, TypeError, AttributeError, ZeroDivisionError, OverflowError)

#: element types a graph input or output may have (the operators decide what they accept)
GRAPH_IO_DTYPES = ("int8", "int16", "int32", "int64", "float32", "bool")


def run(graph: Graph) -> None:
    if not graph.ops:
        raise UnsupportedError("the model has no operators")
    for op in graph.ops:
        if op.unsupported is not None:
            raise unsupported(op, op.unsupported)
        if get_op_def(op.kind) is None:
            raise unsupported(op, f"operator type {op.kind} is not supported by tinygen")
    _refuse_float_compute(graph)
    for op in graph.ops:
        try:
            op_def(op).check(op)
        except UnsupportedError:
            raise
        except MALFORMED as e:  # a corrupt or nonsensical operator: still one clear line
            raise unsupported(op, f"malformed operator ({type(e).__name__}: {e})") from None
    for t in list(graph.inputs) + list(graph.outputs):
        if t.dtype not in GRAPH_IO_DTYPES:
            raise UnsupportedError(f"graph input/output {quote_name(t.name)} has type {t.dtype}; tinygen supports "
                                   f"{', '.join(GRAPH_IO_DTYPES)} (int8 models; float32 around QUANTIZE/DEQUANTIZE; "
                                   "other types where an operator takes or produces them: values moved by slices "
                                   "and gathers, ARG_MAX's int32, EQUAL's bool...)")


_FLOAT_BOUNDARY_OPS = ("QUANTIZE", "DEQUANTIZE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE")


def _refuse_float_compute(graph: Graph) -> None:
    """A float model (computing in float32) gets one clear message instead of a per-op type error."""
    for op in graph.ops:
        d = op_def(op)
        if op.kind in _FLOAT_BOUNDARY_OPS or d.moves_values or d.float_types:
            continue  # the operator's own check() decides which types it takes
        for t in list(op.inputs) + list(op.outputs):
            if t is not None and t.dtype == "float32":
                raise unsupported(op, f"computes in float32 (tensor {quote_name(t.name)}); tinygen needs an int8-quantized "
                                      "model (full-integer post-training quantization)")
