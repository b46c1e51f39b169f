"""SELECT_V2: out = condition ? x : y elementwise, with three-way broadcasting (kernel: tg_select).

TFLite Micro (select.cc): a bool condition, x and y of one type (int8, int16 or float32) whose
values are copied as stored (no requantization), shapes that broadcast (ranks up to 8); the
output has the broadcast shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cstruct import cstruct
from ..ir import Op
from ..kernel_library import constant
from ..schema import schema
from .base import register, unsupported
from .common import ElementwiseOp, check_dtype

MAX_RANK = 8
DTYPES = ("int8", "int16", "float32")


@cstruct("tg_broadcast3")
@dataclass(frozen=True)
class Broadcast3:
    """The loop nest of a three-input broadcast: merged output dimensions and each input's element
    strides (0 where it is broadcast)."""

    rank: int
    shape: tuple[int, ...]
    stride_cond: tuple[int, ...]
    stride_x: tuple[int, ...]
    stride_y: tuple[int, ...]


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    r = max(len(s) for s in shapes)
    ext = [(1,) * (r - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*ext):
        n = max(dims)
        if any(d not in (1, n) for d in dims):
            return None
        out.append(n)
    return tuple(out)


def plan_broadcast3(shapes: list[tuple[int, ...]], out: tuple[int, ...]) -> Broadcast3:
    """Merge the output dimensions into as few loops as possible (as add_sub.plan_broadcast):
    adjacent dimensions merge when every input is broadcast along both or along neither."""
    r = len(out)
    ext = [(1,) * (r - len(s)) + tuple(s) for s in shapes]
    loops: list[list] = []  # [extent, pattern]
    for k, n in enumerate(out):
        if n == 1:
            continue
        pattern = tuple(e[k] == 1 for e in ext)
        if loops and loops[-1][1] == pattern:
            loops[-1][0] *= n
        else:
            loops.append([n, pattern])
    if not loops:
        loops = [[1, (False, False, False)]]
    strides = [[0] * len(loops) for _ in shapes]
    acc = [1] * len(shapes)
    for i in range(len(loops) - 1, -1, -1):
        n, pattern = loops[i]
        for j, bcast in enumerate(pattern):
            if not bcast:
                strides[j][i] = acc[j]
                acc[j] *= n
    if len(loops) > constant("TG_BCAST_MAX_DIMS"):
        raise ValueError(f"broadcast needs {len(loops)} loop dimensions")
    return Broadcast3(rank=len(loops), shape=tuple(n for n, _ in loops), stride_cond=tuple(strides[0]),
                      stride_x=tuple(strides[1]), stride_y=tuple(strides[2]))


@dataclass(frozen=True)
class SelectArgs:
    elem_size: int
    bcast: Broadcast3


@register
class SelectV2(ElementwiseOp):
    kind = "SELECT_V2"
    options = "SelectV2Options"
    function = "tg_select"
    float_types = True
    input_names = ("condition", "x", "y")

    def write_options(self, a):
        return schema.SelectV2OptionsT()

    def infer(self, op):
        b = broadcast_shapes(*(t.shape for t in op.inputs))
        if b is None:
            raise unsupported(op, "input shapes do not broadcast")
        return [b]

    def check(self, op):
        if len(op.inputs) != 3 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, "expects a condition, two inputs and one output")
        c, x, y, out = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
        check_dtype(op, c, "bool", what="condition")
        check_dtype(op, x, *DTYPES, what="x")
        if y.dtype != x.dtype or out.dtype != x.dtype:
            raise unsupported(op, f"x, y and output types differ ({x.dtype}, {y.dtype}, {out.dtype})")
        for t in (c, x, y, out):
            if t.size == 0 or t.rank > MAX_RANK:
                raise unsupported(op, f"tensor {t.name!r} has shape {list(t.shape)} (no elements or rank > {MAX_RANK})")
        b = broadcast_shapes(c.shape, x.shape, y.shape)
        if b is None:
            raise unsupported(op, f"shapes {list(c.shape)}, {list(x.shape)}, {list(y.shape)} do not broadcast")
        r = max(len(b), out.rank)
        if (1,) * (r - len(b)) + b != (1,) * (r - out.rank) + tuple(out.shape):
            raise unsupported(op, f"output {out.name!r} has shape {list(out.shape)} but the inputs broadcast to {list(b)}")
        try:
            plan_broadcast3([c.shape, x.shape, y.shape], out.shape)
        except ValueError:
            raise unsupported(op, f"broadcasting needs more than {constant('TG_BCAST_MAX_DIMS')} loop dimensions") from None

    def prepare(self, op):
        c, x, y, out = op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]
        return SelectArgs(elem_size=x.itemsize, bcast=plan_broadcast3([c.shape, x.shape, y.shape], out.shape))

    def overlap_gaps(self, op: Op):
        out = op.outputs[0]
        return [(i, 0, 0) for i in (1, 2) if not op.inputs[i].is_static and tuple(op.inputs[i].shape) == tuple(out.shape)]
