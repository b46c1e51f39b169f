"""Kernel parameter structs: one Python dataclass per C struct of kernels/include/tg_nn.h.

The dataclass is the single source of truth for what the compiler passes to a kernel: its fields
mirror the C struct's fields one for one (same names, same order); nested C structs are nested
dataclasses, fixed-size C arrays are tuples. Code generation renders an instance as a C99
designated initializer (`render_initializer`), and `tinygen.kernel_library.check_struct` checks
the dataclass against the C struct that the compiler's own build of the header declares.

    @cstruct("tg_conv_params")
    @dataclass(frozen=True)
    class ConvParams:
        input_offset: int
        output_offset: int
        stride: HW
        ...

    render_initializer(ConvParams(...))
      -> "{ .input_offset = -128, .output_offset = 5, .stride = { .h = 1, .w = 1 }, ... }"

A field may hold any object whose str() is a C expression (e.g. a per-patch table entry), which
is how patch stages emit one parameter struct for every patch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

#: C type name of a dataclass, set by @cstruct
CTYPE_ATTR = "__ctype__"
#: every @cstruct dataclass defined so far (tests check each against tg_nn.h)
REGISTRY: list[type] = []


def cstruct(ctype: str):
    """Mark a dataclass as the mirror of the C struct `ctype`."""

    def deco(cls):
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"@cstruct({ctype!r}) needs a dataclass")
        setattr(cls, CTYPE_ATTR, ctype)
        REGISTRY.append(cls)
        return cls

    return deco


def ctype_of(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    try:
        return getattr(cls, CTYPE_ATTR)
    except AttributeError:
        raise TypeError(f"{cls.__name__} is not a @cstruct dataclass") from None


@cstruct("tg_hw")
@dataclass(frozen=True)
class HW:
    """A (height, width) pair: strides, paddings, dilations, filter sizes."""

    h: int
    w: int


@cstruct("tg_range")
@dataclass(frozen=True)
class Range:
    """Inclusive clamp range of a quantized output (fused activation)."""

    min: int
    max: int


@cstruct("tg_dims")
@dataclass(frozen=True)
class Dims:
    """A 4-D NHWC shape."""

    n: int
    h: int
    w: int
    c: int

    @staticmethod
    def of(shape: tuple[int, ...]) -> "Dims":
        """4-D shape, lower ranks padded with leading ones."""
        s = tuple(int(v) for v in shape)
        if len(s) > 4:
            raise ValueError(f"shape {list(s)} has more than 4 dimensions")
        return Dims(*((1,) * (4 - len(s)) + s))


@cstruct("tg_quant")
@dataclass(frozen=True)
class Quant:
    """Per-tensor requantization: a Q31 multiplier and a power-of-two shift (> 0: left)."""

    multiplier: int
    shift: int


@cstruct("tg_pc_quant")
@dataclass(frozen=True, eq=False)
class PerChannelQuant:
    """Per-channel requantization: one Q31 multiplier and shift per output channel (int32 arrays,
    placed in flash)."""

    multiplier: np.ndarray
    shift: np.ndarray


def _scalar(v: Any) -> str:
    if v is None:  # an absent array (a pointer field)
        return "NULL"
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        iv = int(v)
        return "(-2147483647 - 1)" if iv == -(2**31) else str(iv)
    if isinstance(v, (float, np.floating)):
        f = float(np.float32(v))
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(f"non-finite float {f} in a kernel parameter struct")
        if f == 0:
            return "-0.0f" if np.signbit(f) else "0.0f"  # keep a negative zero's sign
        return f"{f.hex()}f"
    return str(v)  # a C expression (e.g. a per-patch table entry)


def render_initializer(value: Any, indent: str = "") -> str:
    """A C99 designated initializer for a @cstruct dataclass instance (nested structs and tuples
    included). Leaves are ints, bools or objects whose str() is a C expression."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        ctype_of(value)  # must be a mirror of a C struct
        parts = [f".{f.name} = {render_initializer(getattr(value, f.name))}" for f in dataclasses.fields(value)]
        return "{ " + ", ".join(parts) + " }"
    if isinstance(value, (tuple, list)):
        return "{ " + ", ".join(render_initializer(v) for v in value) + " }"
    return _scalar(value)


def struct_fields(cls: type) -> list[tuple[str, Any]]:
    """(field name, field type annotation) of a @cstruct dataclass, in order."""
    return [(f.name, f.type) for f in dataclasses.fields(cls)]


__all__ = ["CTYPE_ATTR", "Dims", "HW", "PerChannelQuant", "Quant", "REGISTRY", "Range", "cstruct", "ctype_of", "render_initializer", "struct_fields"]
