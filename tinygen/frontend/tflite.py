"""TFLite flatbuffer -> graph IR.

Uses the schema's accessor API with explicit bounds checks on every vector before iterating, so a
corrupted file gives a one-line ModelFormatError instead of a crash, a hang or a huge allocation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError, TinygenError, UnsupportedError
from ..ir import Graph, ModelSource, Op, Quant, Tensor
from ..ir.tensor import PACKED_BITS, np_dtype, unpack_int4
from ..ops import get_op_def, unsupported
from ..sanitize import quote_name
from ..schema import (
    BUILTIN_NAMES,
    OPTIONS_NAMES,
    TENSOR_TYPE_NAMES,
    TFLITE_TO_DTYPE,
    options_class,
    schema,
)

MAX_TENSOR_BYTES = 1 << 28  # 256 MiB: far beyond any microcontroller; guards against corrupt shapes


def read_model_file(path: str | Path) -> bytes:
    """The bytes of a model file, or a one-line TinygenError saying why not."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise TinygenError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise TinygenError(f"{p}: is a directory, expected a .tflite file") from None
    except OSError as e:
        raise TinygenError(f"{p}: cannot read: {e.strerror or e}") from None


def load_tflite(path: str | Path) -> Graph:
    p = Path(path)
    return parse_tflite(read_model_file(p), name=p.stem, source=str(p))


def parse_tflite(data: bytes, name: str = "model", source: str | None = None) -> Graph:
    where = source or name
    if len(data) < 8:
        raise ModelFormatError(f"{where}: not a TFLite model: file is {len(data)} bytes long")
    if data[4:8] != b"TFL3":
        raise ModelFormatError(f"{where}: not a TFLite model: missing the 'TFL3' flatbuffer identifier")
    reader = _Reader(bytes(data), where)
    try:
        graph = reader.read()
    except TinygenError:
        raise
    except (RecursionError, MemoryError) as e:
        raise ModelFormatError(f"{where}: corrupt TFLite flatbuffer ({type(e).__name__} while {reader.context})") from None
    except Exception as e:  # flatbuffers raises struct.error, IndexError, ValueError... on corrupt data
        raise ModelFormatError(f"{where}: corrupt TFLite flatbuffer ({type(e).__name__}: {str(e)[:80]} while {reader.context})") from None
    graph.name = name
    graph.source = ModelSource(file_name=Path(source).name if source else f"{name}.tflite",
                               sha256=hashlib.sha256(data).hexdigest(), nbytes=len(data))
    return graph


class _Reader:
    def __init__(self, data: bytes, where: str) -> None:
        self.data = data
        self.where = where
        self.context = "reading the model header"

    # -- bounds-checked helpers -------------------------------------------------------------
    def _len(self, n: int, elem_size: int, what: str) -> int:
        if n < 0 or n * elem_size > len(self.data):
            raise ModelFormatError(f"{self.where}: corrupt TFLite flatbuffer: {what} claims {n} entries in a {len(self.data)}-byte file")
        return n

    @staticmethod
    def _arr(v) -> np.ndarray:
        # generated accessors return 0 when a vector field is absent
        if isinstance(v, int):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(v)

    def _str(self, b) -> str:
        if b is None:
            return ""
        try:
            return b.decode("utf-8", errors="replace")
        except AttributeError:
            return str(b)

    # -- model --------------------------------------------------------------------------------
    def read(self) -> Graph:
        m = schema.Model.GetRootAs(self.data, 0)
        self.model = m
        self.context = "reading subgraphs"
        nsub = self._len(m.SubgraphsLength(), 4, "the subgraph list")
        if nsub == 0:
            raise ModelFormatError(f"{self.where}: the model has no subgraph")
        self.context = "reading buffers"
        self.nbuf = self._len(m.BuffersLength(), 4, "the buffer list")
        self.context = "reading operator codes"
        ncodes = self._len(m.OperatorCodesLength(), 4, "the operator-code list")
        self.opcodes: list[tuple[str, str]] = []
        for i in range(ncodes):
            oc = m.OperatorCodes(i)
            code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
            kind = BUILTIN_NAMES.get(code, f"BUILTIN_{code}")
            custom = self._str(oc.CustomCode()) if kind == "CUSTOM" else ""
            self.opcodes.append((kind, custom))
        sg = m.Subgraphs(0)
        return self.read_subgraph(sg)

    def read_subgraph(self, sg) -> Graph:
        self.context = "reading tensors"
        ntens = self._len(sg.TensorsLength(), 4, "the tensor list")
        self.tensors: list[Tensor | None] = [None] * ntens
        self.sg = sg
        self.context = "reading graph inputs/outputs"
        g_in = [int(i) for i in self._arr(sg.InputsAsNumpy())]
        g_out = [int(i) for i in self._arr(sg.OutputsAsNumpy())]
        self.context = "reading operators"
        nops = self._len(sg.OperatorsLength(), 4, "the operator list")

        ops: list[Op] = []
        for idx in range(nops):
            self.context = f"reading operator {idx}"
            ops.append(self.read_op(idx, sg.Operators(idx)))
        if not g_in:
            raise ModelFormatError(f"{self.where}: the model declares no input tensor")
        if not g_out:
            raise ModelFormatError(f"{self.where}: the model declares no output tensor")
        self.context = "reading graph inputs/outputs"
        inputs = [self.tensor(i, "graph input") for i in g_in]
        outputs = [self.tensor(i, "graph output") for i in g_out]
        for t in inputs:
            if t.is_const:
                raise ModelFormatError(f"{self.where}: graph input {quote_name(t.name)} is a constant tensor")
        return Graph(name="model", ops=ops, inputs=inputs, outputs=outputs)

    def read_op(self, idx: int, o) -> Op:
        opc = int(o.OpcodeIndex())
        if not 0 <= opc < len(self.opcodes):
            raise ModelFormatError(f"{self.where}: operator {idx} refers to operator code {opc}, but the model has {len(self.opcodes)}")
        kind, custom = self.opcodes[opc]
        in_idx = [int(i) for i in self._arr(o.InputsAsNumpy())]
        out_idx = [int(i) for i in self._arr(o.OutputsAsNumpy())]
        inputs = [None if i < 0 else self.tensor(i, f"input of operator {idx}") for i in in_idx]
        outputs = [self.tensor(i, f"output of operator {idx}") for i in out_idx]
        op = Op(kind=kind, inputs=inputs, outputs=outputs, source_index=idx)
        if custom:
            op.kind = "CUSTOM"
        opdef = get_op_def(kind)
        if opdef is None:
            # kept in the graph (so it can be inspected); the `check` pass refuses it before any C
            op.unsupported = (f"custom operator {custom!r}" if custom else f"operator type {kind}") + \
                " is not supported by tinygen"
            return op
        opts = None
        otype = int(o.BuiltinOptionsType())
        if otype != 0:
            oname = OPTIONS_NAMES.get(otype)
            if oname is None:
                raise ModelFormatError(f"{self.where}: operator {idx} ({kind}) has unknown builtin options type {otype}")
            if opdef.options is not None and oname != opdef.options:
                raise ModelFormatError(f"{self.where}: operator {idx} ({kind}) carries {oname}, expected {opdef.options}")
            table = o.BuiltinOptions()
            if table is not None:
                t_cls, acc_cls = options_class(oname)
                acc = acc_cls()
                acc.Init(table.Bytes, table.Pos)
                opts = t_cls.InitFromObj(acc)
        if not outputs:
            raise ModelFormatError(f"{self.where}: operator {idx} ({kind}) has no output")
        for t in outputs:
            if t.is_const:
                raise ModelFormatError(f"{self.where}: operator {idx} ({kind}) writes constant tensor {quote_name(t.name)}")
        try:
            op.attrs = opdef.parse(opts, inputs, outputs)
        except UnsupportedError:
            raise
        except (IndexError, AttributeError, TypeError, ValueError) as e:
            raise unsupported(op, f"cannot read its options or operands ({e})") from None
        return op

    def tensor(self, i: int, role: str) -> Tensor:
        if not 0 <= i < len(self.tensors):
            raise ModelFormatError(f"{self.where}: {role} refers to tensor {i}, but the subgraph has {len(self.tensors)} tensors")
        t = self.tensors[i]
        if t is None:
            t = self.read_tensor(i)
            self.tensors[i] = t
        return t

    def read_tensor(self, i: int) -> Tensor:
        tt = self.sg.Tensors(i)
        name = self._str(tt.Name()) or f"tensor_{i}"
        shape_arr = self._arr(tt.ShapeAsNumpy())
        shape = tuple(int(d) for d in shape_arr)
        if any(d < 0 for d in shape):
            raise UnsupportedError(f"tensor {i} ({quote_name(name)}) has a dynamic or negative dimension in shape {list(shape)}")
        ttype = int(tt.Type())
        tname = TENSOR_TYPE_NAMES.get(ttype, f"type {ttype}")
        dtype = TFLITE_TO_DTYPE.get(tname)
        if dtype is None:
            raise UnsupportedError(f"tensor {i} ({quote_name(name)}) has element type {tname}, which tinygen does not support")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        bits = PACKED_BITS.get(dtype)
        nbytes = (count * bits + 7) // 8 if bits else count * np_dtype(dtype).itemsize
        if nbytes > MAX_TENSOR_BYTES:
            raise UnsupportedError(f"tensor {i} ({quote_name(name)}) with shape {list(shape)} needs {nbytes} bytes, far beyond any microcontroller")
        quant = None
        q = tt.Quantization()
        if q is not None:
            scale = self._arr(q.ScaleAsNumpy()).astype(np.float32)
            zp = self._arr(q.ZeroPointAsNumpy()).astype(np.int64)
            # As TFLM (found by fuzzing): a tensor is quantized only when it has scales *and* zero
            # points; with scales alone TFLM reads it as not quantized, so must we.
            if scale.size and zp.size:
                if zp.size not in (1, scale.size):
                    raise ModelFormatError(f"{self.where}: tensor {i} ({quote_name(name)}) has {scale.size} scales but {zp.size} zero points")
                axis = int(q.QuantizedDimension())
                # Some published models carry an invalid quantized_dimension on bias tensors; TFLM ignores it.
                if scale.size == 1 or not 0 <= axis < max(len(shape), 1):
                    axis = 0
                quant = Quant(scale=scale, zero_point=zp, axis=axis)
        data = None
        # A variable tensor (operator state) starts from its zero point whatever its buffer holds:
        # TFLM resets variables when it allocates the model and ignores initial data.
        is_variable = bool(tt.IsVariable())
        b = int(tt.Buffer())
        if b != 0 and not is_variable:
            if not 0 <= b < self.nbuf:
                raise ModelFormatError(f"{self.where}: tensor {i} ({quote_name(name)}) refers to buffer {b}, but the model has {self.nbuf}")
            raw = self.buffer_bytes(b)
            if raw is not None and len(raw):
                if len(raw) != nbytes:
                    raise ModelFormatError(f"{self.where}: tensor {i} ({quote_name(name)}) has {len(raw)} bytes of data but shape {list(shape)} x {dtype} needs {nbytes}")
                if dtype == "int4":  # two values per byte (TFLite's packing), held unpacked in the IR
                    data = unpack_int4(np.frombuffer(raw, dtype=np.uint8), count).reshape(shape)
                else:
                    data = np.frombuffer(raw, dtype=np_dtype(dtype)).reshape(shape).copy()
        return Tensor(name=name, shape=shape, dtype=dtype, quant=quant, data=data, source_index=i,
                      is_variable=is_variable)

    def buffer_bytes(self, b: int) -> bytes | None:
        buf = self.model.Buffers(b)
        if buf is None:
            return None
        n = int(buf.DataLength())
        if n:
            self._len(n, 1, f"buffer {b}")
            return buf.DataAsNumpy().tobytes()
        off, size = int(buf.Offset()), int(buf.Size())
        if off > 1:  # data stored after the flatbuffer (models > 2 GB layout)
            if off + size > len(self.data):
                raise ModelFormatError(f"{self.where}: buffer {b} points past the end of the file")
            return self.data[off:off + size]
        return None
