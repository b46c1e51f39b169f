"""The TFLite flatbuffers schema module, taken from a dependency (never vendored).

Both `tflite-micro` and `ai-edge-litert` ship the generated Python schema with the object API.
"""

from __future__ import annotations

try:  # the golden oracle's copy
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # type: ignore
except ImportError:  # pragma: no cover - fallback to LiteRT's copy
    from ai_edge_litert import schema_py_generated as schema  # type: ignore

BUILTIN_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)
}
BUILTIN_CODES: dict[str, int] = {k: v for v, k in BUILTIN_NAMES.items()}

OPTIONS_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.BuiltinOptions).items() if not k.startswith("_") and isinstance(v, int)
}
OPTIONS_CODES: dict[str, int] = {k: v for v, k in OPTIONS_NAMES.items()}

TENSOR_TYPE_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_") and isinstance(v, int)
}

#: TFLite TensorType -> IR dtype (types tinygen can hold in a graph)
TFLITE_TO_DTYPE: dict[str, str] = {
    "INT8": "int8",
    "INT4": "int4",
    "UINT8": "uint8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FLOAT32": "float32",
    "BOOL": "bool",
}
DTYPE_TO_TFLITE: dict[str, int] = {v: getattr(schema.TensorType, k) for k, v in TFLITE_TO_DTYPE.items()}

ACTIVATION_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_") and isinstance(v, int)
}
ACTIVATION_CODES: dict[str, int] = {k: v for v, k in ACTIVATION_NAMES.items()}

PADDING_NAMES: dict[int, str] = {
    v: k for k, v in vars(schema.Padding).items() if not k.startswith("_") and isinstance(v, int)
}
PADDING_CODES: dict[str, int] = {k: v for v, k in PADDING_NAMES.items()}


def options_class(name: str):
    """The object-API class (e.g. Conv2DOptionsT) and accessor class for a BuiltinOptions name."""
    return getattr(schema, name + "T"), getattr(schema, name)
