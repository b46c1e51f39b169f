"""Deterministic C literals for constant arrays."""

from __future__ import annotations

import math

import numpy as np

_PER_LINE = {"int8": 24, "uint8": 24, "int16": 16, "int32": 8, "float32": 6, "int64": 6}


def c_int(v: int, dtype: str = "int32") -> str:
    v = int(v)
    if dtype == "int32" and v == -(2**31):
        return "(-2147483647 - 1)"
    if dtype == "int64":
        if v == -(2**63):
            return "(-9223372036854775807LL - 1)"
        return f"{v}LL"
    return str(v)


def c_float(v: float) -> str:
    """Exact float literal (C99 hexadecimal floating constant)."""
    f = float(np.float32(v))
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError("non-finite constant")
    if f == 0:
        return "-0.0f" if math.copysign(1.0, f) < 0 else "0.0f"  # keep a negative zero's sign
    return f"{f.hex()}f"


def c_array_body(a: np.ndarray, dtype: str) -> str:
    vals = a.reshape(-1)
    if vals.size == 0:
        return "    0"
    per = _PER_LINE.get(dtype, 8)
    if dtype == "float32":
        items = [c_float(v) for v in vals.tolist()]
    elif dtype in ("int32", "int64"):
        items = [c_int(v, dtype) for v in vals.tolist()]
    else:
        items = [str(int(v)) for v in vals.tolist()]
    lines = ["    " + ", ".join(items[i:i + per]) for i in range(0, len(items), per)]
    return ",\n".join(lines)
