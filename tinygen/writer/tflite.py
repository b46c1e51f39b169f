"""Graph IR -> .tflite bytes, with the schema's object API (no TensorFlow needed).

Used to build test models and benchmark networks; the result loads in TFLite Micro and LiteRT.
"""

from __future__ import annotations

import flatbuffers
import numpy as np

from ..ir import Graph, Tensor, pack_int4
from ..ops import get_op_def
from ..schema import BUILTIN_CODES, DTYPE_TO_TFLITE, OPTIONS_CODES, schema


def _tensor_t(t: Tensor, buffer_index: int):
    tt = schema.TensorT()
    tt.name = t.name
    tt.shape = np.array(t.shape, dtype=np.int32)
    tt.type = DTYPE_TO_TFLITE[t.dtype]
    tt.buffer = buffer_index
    tt.isVariable = bool(t.is_variable)
    if t.quant is not None:
        q = schema.QuantizationParametersT()
        q.scale = [float(s) for s in t.quant.scale]
        q.zeroPoint = [int(z) for z in t.quant.zero_point]
        q.quantizedDimension = int(t.quant.axis)
        tt.quantization = q
    return tt


def write_tflite(graph: Graph, description: str = "written by tinygen") -> bytes:
    m = schema.ModelT()
    m.version = 3
    m.description = description
    empty = schema.BufferT()
    m.buffers = [empty]
    sg = schema.SubGraphT()
    sg.name = graph.name
    sg.tensors = []
    index: dict[int, int] = {}
    for t in graph.tensors():
        b = schema.BufferT()
        if t.is_const:
            # a uint8 ndarray, or Pack() writes the vector byte by byte
            raw = pack_int4(t.data) if t.dtype == "int4" else np.ascontiguousarray(t.data).tobytes()
            b.data = np.frombuffer(bytes(raw), dtype=np.uint8)
        m.buffers.append(b)  # every tensor has its own buffer; non-constant ones stay empty
        index[id(t)] = len(sg.tensors)
        sg.tensors.append(_tensor_t(t, len(m.buffers) - 1))
    codes: dict[str, int] = {}
    m.operatorCodes = []
    sg.operators = []
    for pos, op in enumerate(graph.ops):
        if op.kind not in codes:
            oc = schema.OperatorCodeT()
            code = BUILTIN_CODES[op.kind]
            oc.builtinCode = code
            oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = 1
            codes[op.kind] = len(m.operatorCodes)
            m.operatorCodes.append(oc)
        o = schema.OperatorT()
        o.opcodeIndex = codes[op.kind]
        o.inputs = np.array([-1 if t is None else index[id(t)] for t in op.inputs], dtype=np.int32)
        o.outputs = np.array([index[id(t)] for t in op.outputs], dtype=np.int32)
        d = get_op_def(op.kind)
        opts = d.write_options(op.attrs)
        if opts is not None and d.options is not None:
            o.builtinOptionsType = OPTIONS_CODES[d.options]
            o.builtinOptions = opts
        sg.operators.append(o)
    sg.inputs = np.array([index[id(t)] for t in graph.inputs], dtype=np.int32)
    sg.outputs = np.array([index[id(t)] for t in graph.outputs], dtype=np.int32)
    m.subgraphs = [sg]
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
