"""Tensors of the graph IR: shape, element type, quantization and (for constants) data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: element type name -> (numpy dtype, C type)
DTYPES: dict[str, tuple[np.dtype, str]] = {
    "int8": (np.dtype(np.int8), "int8_t"),
    # packed 4-bit weights (TFLite TensorType.INT4): held unpacked as int8 values in [-8, 7] in the
    # IR; stored two per byte (see PACKED_BITS, Tensor.nbytes, pack_int4/unpack_int4)
    "int4": (np.dtype(np.int8), "int8_t"),
    "uint8": (np.dtype(np.uint8), "uint8_t"),
    "int16": (np.dtype(np.int16), "int16_t"),
    "int32": (np.dtype(np.int32), "int32_t"),
    "int64": (np.dtype(np.int64), "int64_t"),
    "float32": (np.dtype(np.float32), "float"),
    "bool": (np.dtype(np.bool_), "uint8_t"),
}


#: element types stored with fewer than 8 bits per value, packed: dtype -> bits per value
PACKED_BITS: dict[str, int] = {"int4": 4}


def pack_int4(values: np.ndarray) -> np.ndarray:
    """int4 values (int8 in [-8, 7], flattened in order) -> TFLite's packed bytes: value 2i in the
    low nibble of byte i, value 2i + 1 in the high nibble; an odd count leaves the last high nibble
    zero (what TFLite Micro's UnpackDenseInt4IntoInt8 reads)."""
    v = np.asarray(values).astype(np.int16).reshape(-1)
    if v.size and (v.min() < -8 or v.max() > 7):
        raise ValueError("int4 values must lie in [-8, 7]")
    if v.size % 2:
        v = np.concatenate([v, np.zeros(1, np.int16)])
    nib = (v & 0xF).astype(np.uint8)
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8)


def unpack_int4(packed: np.ndarray, count: int) -> np.ndarray:
    """TFLite's packed int4 bytes -> `count` int8 values (low nibble first, sign-extended)."""
    b = np.asarray(packed, dtype=np.uint8).reshape(-1)
    out = np.empty(b.size * 2, np.int8)
    out[0::2] = ((b & 0xF).astype(np.int8) << 4) >> 4
    out[1::2] = b.view(np.int8) >> 4
    return out[:count]


def np_dtype(dtype: str) -> np.dtype:
    return DTYPES[dtype][0]


def c_type(dtype: str) -> str:
    return DTYPES[dtype][1]


@dataclass(eq=False)
class Quant:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per channel along `axis`."""

    scale: np.ndarray  # float32, shape (1,) or (channels,)
    zero_point: np.ndarray  # int64, same length as scale
    axis: int = 0

    def __post_init__(self) -> None:
        self.scale = np.asarray(self.scale, dtype=np.float32).reshape(-1)
        self.zero_point = np.asarray(self.zero_point, dtype=np.int64).reshape(-1)
        if self.zero_point.size == 1 and self.scale.size > 1:
            self.zero_point = np.repeat(self.zero_point, self.scale.size)

    @property
    def per_channel(self) -> bool:
        return self.scale.size > 1

    @property
    def s(self) -> float:
        """The per-tensor scale, as the float32 value widened to a Python float."""
        return float(self.scale[0])

    @property
    def zp(self) -> int:
        return int(self.zero_point[0])

    def same_as(self, other: "Quant | None") -> bool:
        return (
            other is not None
            and np.array_equal(self.scale, other.scale)
            and np.array_equal(self.zero_point, other.zero_point)
        )


@dataclass(eq=False)
class Tensor:
    """A value of the graph. Identity is object identity; `name` is for people and comments."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quant | None = None
    data: np.ndarray | None = None
    #: index of the tensor in the source .tflite subgraph (to compare with TFLM), if any
    source_index: int | None = None
    #: a variable tensor: state that an operator (SVDF, LSTM) reads and updates, kept from one
    #: inference to the next in a persistent buffer outside the arena (see tinygen.codegen)
    is_variable: bool = False

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}")
        if self.data is not None:
            self.data = np.ascontiguousarray(self.data, dtype=np_dtype(self.dtype)).reshape(self.shape)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def is_static(self) -> bool:
        """Its memory is not planned in the arena: a constant (flash) or a variable (persistent
        state, its own static buffer)."""
        return self.data is not None or self.is_variable

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def itemsize(self) -> int:
        return np_dtype(self.dtype).itemsize

    @property
    def nbytes(self) -> int:
        bits = PACKED_BITS.get(self.dtype)
        if bits is not None:  # packed (int4): whole bytes holding size values
            return (self.size * bits + 7) // 8
        return self.size * self.itemsize

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:  # short, for error messages and debugging
        kind = "const " if self.is_const else ("variable " if self.is_variable else "")
        return f"<{kind}{self.dtype}{list(self.shape)} {self.name!r}>"
