"""Graph builders and hypothesis cases for the data-movement and spatial operators: SLICE,
STRIDED_SLICE, SPLIT, SPLIT_V, PACK, UNPACK, SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD, GATHER,
RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, TRANSPOSE_CONV, GATHER_ND, EMBEDDING_LOOKUP, FILL,
ZEROS_LIKE, SHAPE, REVERSE_V2, BROADCAST_TO, SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND.

The cases cover every element type TFLite Micro accepts for each operator (int8 mostly; float32,
int16 and int32 where it takes them), negative axes, masks, strides of both signs, every mirror
mode, batch dimensions, align_corners/half_pixel_centers, and transposed convolutions whose output
size differs from the usual one (TFLite Micro accepts any). Generators only draw models TFLite
Micro can run: cases it would run out of bounds (and which tinygen refuses) are not drawn.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from hypothesis import strategies as st

from ..ir import Quant, Tensor
from ..ops.base import NoAttrs
from ..ops.gather import GatherAttrs
from ..ops.mirror_pad import MirrorPadAttrs
from ..ops.pack import PackAttrs
from ..ops.resize import ResizeAttrs, bilinear_table
from ..ops.slice import StridedSliceAttrs
from ..ops.space_depth import BlockAttrs
from ..ops.split import SplitAttrs, UnpackAttrs
from ..ops.transpose_conv import TransposeConvAttrs
from .builder import _U8_STD, GraphBuilder, builder_method
from .strategies import activations, case, paddings, seeds

_W_STD = 73.0


def _same_quant(x: Tensor) -> Quant | None:
    if x.quant is None:
        return None
    return Quant(scale=x.quant.scale.copy(), zero_point=x.quant.zero_point.copy(), axis=x.quant.axis)


def _i32(b: GraphBuilder, v, name: str, dtype: str = "int32") -> Tensor:
    return b.const(np.asarray(v, dtype=np.int64 if dtype == "int64" else np.int32), dtype, name=b._name(name))


def _moved(b: GraphBuilder, kind: str, inputs, attrs, x: Tensor, n_outputs: int = 1,
           out_shape=None) -> list[Tensor]:
    """An operator moving x's values: outputs of x's type and quantization."""
    b.op(kind, inputs, attrs, _same_quant(x), out_dtype=x.dtype, out_shape=out_shape, n_outputs=n_outputs)
    outs = b.ops[-1].outputs
    for i, y in enumerate(outs[1:], 1):
        y.quant = _same_quant(x)
        y.name = b._name(f"{kind.lower()}_out{i}")
    for y in outs:
        b.spread[id(y)] = b.spread.get(id(x), _U8_STD)
    return list(outs)


# -- builder methods -----------------------------------------------------------------------------
def _slice(self: GraphBuilder, x: Tensor, begin: Sequence[int], size: Sequence[int], index_dtype: str = "int32") -> Tensor:
    """SLICE (GraphBuilder.slice)."""
    return _moved(self, "SLICE", [x, _i32(self, begin, "begin", index_dtype), _i32(self, size, "size", index_dtype)],
                  NoAttrs(), x)[0]


_slice.__name__ = "slice"
builder_method(_slice)


@builder_method
def strided_slice(self: GraphBuilder, x: Tensor, begin: Sequence[int], end: Sequence[int], strides: Sequence[int],
                  begin_mask: int = 0, end_mask: int = 0, shrink_axis_mask: int = 0) -> Tensor:
    attrs = StridedSliceAttrs(begin_mask=begin_mask, end_mask=end_mask, shrink_axis_mask=shrink_axis_mask)
    ins = [x, _i32(self, begin, "begin"), _i32(self, end, "end"), _i32(self, strides, "strides")]
    return _moved(self, "STRIDED_SLICE", ins, attrs, x)[0]


@builder_method
def split(self: GraphBuilder, x: Tensor, num: int, axis: int) -> list[Tensor]:
    return _moved(self, "SPLIT", [_i32(self, [axis], "axis"), x], SplitAttrs(num_splits=num), x, n_outputs=num)


@builder_method
def split_v(self: GraphBuilder, x: Tensor, sizes: Sequence[int], axis: int) -> list[Tensor]:
    ins = [x, _i32(self, sizes, "size_splits"), _i32(self, [axis], "axis")]
    return _moved(self, "SPLIT_V", ins, SplitAttrs(num_splits=len(sizes)), x, n_outputs=len(sizes))


@builder_method
def pack(self: GraphBuilder, xs: Sequence[Tensor], axis: int) -> Tensor:
    return _moved(self, "PACK", list(xs), PackAttrs(values_count=len(xs), axis=axis), xs[0])[0]


@builder_method
def unpack(self: GraphBuilder, x: Tensor, axis: int) -> list[Tensor]:
    n = x.shape[axis]
    return _moved(self, "UNPACK", [x], UnpackAttrs(num=n, axis=axis), x, n_outputs=n)


@builder_method
def space_to_depth(self: GraphBuilder, x: Tensor, block: int) -> Tensor:
    return _moved(self, "SPACE_TO_DEPTH", [x], BlockAttrs(block_size=block), x)[0]


@builder_method
def depth_to_space(self: GraphBuilder, x: Tensor, block: int) -> Tensor:
    return _moved(self, "DEPTH_TO_SPACE", [x], BlockAttrs(block_size=block), x)[0]


@builder_method
def mirror_pad(self: GraphBuilder, x: Tensor, paddings: Sequence[Sequence[int]], mode: str = "REFLECT",
               index_dtype: str = "int32") -> Tensor:
    return _moved(self, "MIRROR_PAD", [x, _i32(self, paddings, "paddings", index_dtype)], MirrorPadAttrs(mode=mode), x)[0]


@builder_method
def gather(self: GraphBuilder, x: Tensor, positions, axis: int = 0, batch_dims: int = 0) -> Tensor:
    """positions: a Tensor (int32, e.g. a graph input) or an array (an int32 constant)."""
    p = positions if isinstance(positions, Tensor) else _i32(self, positions, "positions")
    return _moved(self, "GATHER", [x, p], GatherAttrs(axis=axis, batch_dims=batch_dims), x)[0]


@builder_method
def resize_nearest_neighbor(self: GraphBuilder, x: Tensor, size: Sequence[int], align_corners: bool = False,
                            half_pixel_centers: bool = False) -> Tensor:
    return _moved(self, "RESIZE_NEAREST_NEIGHBOR", [x, _i32(self, size, "size")],
                  ResizeAttrs(align_corners=align_corners, half_pixel_centers=half_pixel_centers), x)[0]


@builder_method
def resize_bilinear(self: GraphBuilder, x: Tensor, size: Sequence[int], align_corners: bool = False,
                    half_pixel_centers: bool = False) -> Tensor:
    return _moved(self, "RESIZE_BILINEAR", [x, _i32(self, size, "size")],
                  ResizeAttrs(align_corners=align_corners, half_pixel_centers=half_pixel_centers), x)[0]


@builder_method
def gather_nd(self: GraphBuilder, x: Tensor, indices) -> Tensor:
    """indices: a Tensor (int32, e.g. a graph input) or an array (an int32 constant)."""
    idx = indices if isinstance(indices, Tensor) else _i32(self, indices, "indices")
    return _moved(self, "GATHER_ND", [x, idx], NoAttrs(), x)[0]


@builder_method
def embedding_lookup(self: GraphBuilder, table: Tensor, ids) -> Tensor:
    """ids: a Tensor (int32, e.g. a graph input) or an array (an int32 constant)."""
    i = ids if isinstance(ids, Tensor) else _i32(self, ids, "ids")
    return _moved(self, "EMBEDDING_LOOKUP", [i, table], NoAttrs(), table)[0]


@builder_method
def fill(self: GraphBuilder, dims: Sequence[int], value: Tensor) -> Tensor:
    """value: a scalar Tensor (a constant or computed)."""
    return _moved(self, "FILL", [_i32(self, dims, "dims"), value], NoAttrs(), value)[0]


@builder_method
def zeros_like(self: GraphBuilder, x: Tensor) -> Tensor:
    return _moved(self, "ZEROS_LIKE", [x], NoAttrs(), x)[0]


@builder_method
def shape_of(self: GraphBuilder, x: Tensor) -> Tensor:
    """SHAPE (an int32 vector)."""
    y = self.op("SHAPE", [x], NoAttrs(), None, out_dtype="int32")
    return y


@builder_method
def reverse_v2(self: GraphBuilder, x: Tensor, axes: Sequence[int]) -> Tensor:
    return _moved(self, "REVERSE_V2", [x, _i32(self, axes, "axis")], NoAttrs(), x)[0]


@builder_method
def broadcast_to(self: GraphBuilder, x: Tensor, shape: Sequence[int], index_dtype: str = "int32") -> Tensor:
    return _moved(self, "BROADCAST_TO", [x, _i32(self, shape, "shape", index_dtype)], NoAttrs(), x)[0]


@builder_method
def space_to_batch_nd(self: GraphBuilder, x: Tensor, block: Sequence[int], paddings: Sequence[Sequence[int]]) -> Tensor:
    return _moved(self, "SPACE_TO_BATCH_ND", [x, _i32(self, block, "block_shape"), _i32(self, paddings, "paddings")],
                  NoAttrs(), x)[0]


@builder_method
def batch_to_space_nd(self: GraphBuilder, x: Tensor, block: Sequence[int], crops: Sequence[Sequence[int]]) -> Tensor:
    return _moved(self, "BATCH_TO_SPACE_ND", [x, _i32(self, block, "block_shape"), _i32(self, crops, "crops")],
                  NoAttrs(), x)[0]


def transpose_conv_size(n: int, k: int, stride: int, padding: str) -> int:
    """The output size TensorFlow gives a transposed convolution of input size n."""
    return n * stride if padding == "SAME" else (n - 1) * stride + k


@builder_method
def transpose_conv(self: GraphBuilder, x: Tensor, out_channels: int, kernel=(3, 3), stride=(2, 2),
                   padding: str = "SAME", activation: str = "NONE", per_channel: bool = True, bias: bool = True,
                   output_hw: Sequence[int] | None = None, out_quant: Quant | None = None) -> Tensor:
    """Output height/width default to TensorFlow's for the padding (any others are allowed)."""
    w = self.weights((out_channels, kernel[0], kernel[1], x.shape[3]), per_channel)
    b = self.bias(out_channels, x.quant.s, w.quant.scale) if bias else None
    if output_hw is None:
        output_hw = (transpose_conv_size(x.shape[1], kernel[0], stride[0], padding),
                     transpose_conv_size(x.shape[2], kernel[1], stride[1], padding))
    shape = _i32(self, [x.shape[0], output_hw[0], output_hw[1], out_channels], "output_shape")
    if out_quant is None:
        taps = math.ceil(kernel[0] / stride[0]) * math.ceil(kernel[1] / stride[1]) * x.shape[3]
        real_std = math.sqrt(taps) * self.spread.get(id(x), _U8_STD) * _W_STD * x.quant.s * float(np.mean(w.quant.scale))
        out_quant = self.output_quant_for(real_std)
    y = self.op("TRANSPOSE_CONV", [shape, w, x] + ([b] if b is not None else []),
                TransposeConvAttrs(padding=padding, stride=tuple(stride), activation=activation), out_quant)
    self.spread[id(y)] = 128.0 / 3.0
    return y


# -- hypothesis cases ------------------------------------------------------------------------------
def _shape(draw, rank: int, lo: int = 1, hi: int = 6, max_elems: int = 600) -> list[int]:
    shape = [draw(st.integers(lo, hi)) for _ in range(rank)]
    while int(np.prod(shape)) > max_elems:
        i = int(np.argmax(shape))
        shape[i] = max(lo, shape[i] // 2)
    return shape


def _input(b: GraphBuilder, c: dict, shape=None) -> Tensor:
    return b.input(tuple(shape if shape is not None else c["shape"]), dtype=c.get("dtype", "int8"))


@st.composite
def _slice_strategy(draw):
    rank = draw(st.integers(1, 5))
    shape = _shape(draw, rank)
    begin = [draw(st.integers(0, n - 1)) for n in shape]
    size = [draw(st.sampled_from([-1, draw(st.integers(1, n - b))])) for n, b in zip(shape, begin)]
    return dict(kind="SLICE", shape=shape, begin=begin, size=size,
                index_dtype=draw(st.sampled_from(["int32", "int32", "int64"])),
                dtype=draw(st.sampled_from(["int8", "int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _slice_add(b, c):
    return [b.slice(_input(b, c), c["begin"], c["size"], index_dtype=c["index_dtype"])]


def _strided_ok(shape, begin, end, strides, bm, em, sm) -> bool:
    """Non-empty on every axis, with shrunk axes selecting one element (what TFLite Micro runs)."""
    for d, n in enumerate(shape):
        s = strides[d]
        b = None if bm >> d & 1 else begin[d]
        if sm >> d & 1:
            if s < 0 or not -n <= begin[d] < n:
                return False
            continue
        e = None if em >> d & 1 else end[d]
        if len(range(*slice(b, e, s).indices(n))) == 0:
            return False
    return True


@st.composite
def _strided_slice_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank, hi=7)
    strides = [draw(st.sampled_from([1, 1, 1, 2, 3, -1, -2])) for _ in range(rank)]
    begin = [draw(st.integers(-n - 2, n + 1)) for n in shape]
    end = [draw(st.integers(-n - 2, n + 1)) for n in shape]
    bm, em = draw(st.integers(0, 2**rank - 1)), draw(st.integers(0, 2**rank - 1))
    sm = draw(st.sampled_from([0, 0, draw(st.integers(0, 2**rank - 1))]))
    if sm == 2**rank - 1:  # keep one axis: no rank-0 output
        sm &= ~1
    for d in range(rank):  # shrunk axes: a valid index, stride 1 (as converters write them)
        if sm >> d & 1:
            strides[d] = 1
            begin[d] = draw(st.integers(-shape[d], shape[d] - 1))
    for d in range(rank):  # make empty axes non-empty
        if not _strided_ok(shape[d:d + 1], begin[d:d + 1], end[d:d + 1], strides[d:d + 1], bm >> d & 1,
                           em >> d & 1, sm >> d & 1):
            bm |= 1 << d
            em |= 1 << d
    return dict(kind="STRIDED_SLICE", shape=shape, begin=begin, end=end, strides=strides, begin_mask=bm,
                end_mask=em, shrink_axis_mask=sm,
                dtype=draw(st.sampled_from(["int8", "int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _strided_slice_add(b, c):
    return [b.strided_slice(_input(b, c), c["begin"], c["end"], c["strides"], c["begin_mask"], c["end_mask"],
                            c["shrink_axis_mask"])]


@st.composite
def _split_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank)
    axis = draw(st.integers(-rank, rank - 1))
    num = draw(st.integers(1, 4))
    shape[axis] = num * draw(st.integers(1, 3))
    return dict(kind="SPLIT", shape=shape, axis=axis, num=num,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _split_add(b, c):
    return b.split(_input(b, c), c["num"], c["axis"])


@st.composite
def _split_v_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank)
    axis = draw(st.integers(-rank, rank - 1))
    sizes = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 4)))]
    shape[axis] = sum(sizes)
    written = list(sizes)
    if draw(st.booleans()):
        written[draw(st.integers(0, len(sizes) - 1))] = -1
    return dict(kind="SPLIT_V", shape=shape, axis=axis, sizes=written,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _split_v_add(b, c):
    return b.split_v(_input(b, c), c["sizes"], c["axis"])


@st.composite
def _pack_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank, max_elems=200)
    n = draw(st.integers(1, 5))
    consts = [draw(st.integers(0, 4)) == 0 for _ in range(n)]
    consts[draw(st.integers(0, n - 1))] = False  # at least one graph input
    return dict(kind="PACK", shape=shape, n=n, axis=draw(st.integers(-rank - 1, rank)), consts=consts,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _pack_add(b, c):
    xs = []
    q = b.quant() if c["dtype"] in ("int8", "int16") else None
    for is_const in c["consts"]:
        if is_const and c["dtype"] == "int8":
            xs.append(b.const_int8(tuple(c["shape"]), scale=q.s, zero_point=q.zp))
        else:
            xs.append(b.input(tuple(c["shape"]), dtype=c["dtype"], scale=q.s if q else None,
                              zero_point=q.zp if q else None))
    return [b.pack(xs, c["axis"])]


@st.composite
def _unpack_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank)
    axis = draw(st.integers(-rank, rank - 1))
    shape[axis] = draw(st.integers(1, 5))
    return dict(kind="UNPACK", shape=shape, axis=axis,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _unpack_add(b, c):
    return b.unpack(_input(b, c), c["axis"])


def _block_strategy(kind: str):
    @st.composite
    def s(draw):
        bs = draw(st.sampled_from([1, 2, 2, 2, 3, 4]))
        n = draw(st.integers(1, 2))
        if kind == "SPACE_TO_DEPTH":
            shape = [n, bs * draw(st.integers(1, 4)), bs * draw(st.integers(1, 4)), draw(st.integers(1, 5))]
        else:
            shape = [n, draw(st.integers(1, 5)), draw(st.integers(1, 5)), bs * bs * draw(st.integers(1, 3))]
        return dict(kind=kind, shape=shape, block=bs, dtype=draw(st.sampled_from(["int8", "int8", "float32"])),
                    seed=draw(seeds))
    return s()


def _block_add(b, c):
    fn = b.space_to_depth if c["kind"] == "SPACE_TO_DEPTH" else b.depth_to_space
    return [fn(_input(b, c), c["block"])]


@st.composite
def _mirror_pad_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank, max_elems=300)
    mode = draw(st.sampled_from(["REFLECT", "SYMMETRIC"]))
    most = [n - 1 if mode == "REFLECT" else n for n in shape]
    pads = [[draw(st.integers(0, min(m, 3))), draw(st.integers(0, min(m, 3)))] for m in most]
    if rank == 4 and draw(st.booleans()):  # image style: H and W only
        pads[0], pads[3] = [0, 0], [0, 0]
    return dict(kind="MIRROR_PAD", shape=shape, paddings=pads, mode=mode,
                index_dtype=draw(st.sampled_from(["int32", "int32", "int64"])),
                dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))


def _mirror_pad_add(b, c):
    return [b.mirror_pad(_input(b, c), c["paddings"], c["mode"], index_dtype=c["index_dtype"])]


@st.composite
def _gather_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank, max_elems=300)
    axis = draw(st.integers(0, rank - 1))
    batch_dims = draw(st.integers(0, axis))
    prank = draw(st.integers(batch_dims, batch_dims + 2))
    pshape = shape[:batch_dims] + [draw(st.integers(1, 4)) for _ in range(prank - batch_dims)]
    positions = draw(st.lists(st.integers(0, shape[axis] - 1), min_size=int(np.prod(pshape, dtype=np.int64)),
                              max_size=int(np.prod(pshape, dtype=np.int64))))
    neg_axis, neg_batch = draw(st.booleans()), draw(st.booleans()) and prank > 0
    return dict(kind="GATHER", shape=shape, positions=np.array(positions, dtype=np.int32).reshape(pshape).tolist(),
                pshape=pshape, axis=axis - rank if neg_axis else axis,
                batch_dims=batch_dims - prank if neg_batch else batch_dims,
                dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))


def _gather_add(b, c):
    pos = np.array(c["positions"], dtype=np.int32).reshape(c["pshape"])
    return [b.gather(_input(b, c), pos, axis=c["axis"], batch_dims=c["batch_dims"])]


def _bilinear_ok(in_hw, out_hw, align, half) -> bool:
    return all(int(bilinear_table(o, i, align, half)[:, 0].max()) < i for i, o in zip(in_hw, out_hw))


def _resize_strategy(kind: str):
    @st.composite
    def s(draw):
        shape = [draw(st.integers(1, 2)), draw(st.integers(1, 8)), draw(st.integers(1, 8)), draw(st.integers(1, 5))]
        style = draw(st.sampled_from(["x2", "random", "random", "down"]))
        if style == "x2":
            size = [shape[1] * 2, shape[2] * 2]
        elif style == "down":
            size = [draw(st.integers(1, shape[1])), draw(st.integers(1, shape[2]))]
        else:
            size = [draw(st.integers(1, 17)), draw(st.integers(1, 17))]
        align, half = draw(st.booleans()), draw(st.booleans())
        if kind == "RESIZE_BILINEAR":
            if align and half:
                half = False
            if not _bilinear_ok(shape[1:3], size, align, half):
                align = half = False
                size = [shape[1] * 2, shape[2] * 2]
            dtype = "int8"
        else:
            dtype = draw(st.sampled_from(["int8", "int8", "int16", "float32"]))
        return dict(kind=kind, shape=shape, size=size, align_corners=align, half_pixel_centers=half, dtype=dtype,
                    seed=draw(seeds))
    return s()


def _resize_add(b, c):
    fn = b.resize_bilinear if c["kind"] == "RESIZE_BILINEAR" else b.resize_nearest_neighbor
    return [fn(_input(b, c), c["size"], c["align_corners"], c["half_pixel_centers"])]


@st.composite
def _transpose_conv_strategy(draw):
    k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = draw(paddings)
    shape = [draw(st.integers(1, 2)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 6))]
    out = [transpose_conv_size(shape[1], k[0], stride[0], pad), transpose_conv_size(shape[2], k[1], stride[1], pad)]
    if draw(st.integers(0, 3)) == 0:  # another output size (TFLite Micro accepts any)
        out = [max(1, o + draw(st.integers(-s, s))) for o, s in zip(out, stride)]
    return dict(kind="TRANSPOSE_CONV", shape=shape, cout=draw(st.integers(1, 6)), kernel=k, stride=stride,
                padding=pad, output_hw=out, activation=draw(activations), per_channel=draw(st.booleans()),
                bias=draw(st.booleans()), seed=draw(seeds))


def _transpose_conv_add(b, c):
    return [b.transpose_conv(_input(b, c), c["cout"], kernel=c["kernel"], stride=c["stride"], padding=c["padding"],
                             activation=c["activation"], per_channel=c["per_channel"], bias=c["bias"],
                             output_hw=c["output_hw"])]


@st.composite
def _gather_nd_strategy(draw):
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank, max_elems=300)
    nd = draw(st.integers(1, rank))
    lead = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 2)))]
    n = int(np.prod(lead, dtype=np.int64)) if lead else 1
    tuples = []
    for _ in range(n):
        t = [draw(st.integers(0, shape[j] - 1)) for j in range(nd)]
        room = shape[nd - 2] - 1 - t[-2] if nd > 1 else 0  # rows left below t[-2] in dimension nd - 2
        if room > 0 and draw(st.integers(0, 5)) == 0:  # past its own dimension, inside the params (TFLM allows)
            t[-1] += shape[nd - 1] * draw(st.integers(1, room))
        tuples.append(t)
    return dict(kind="GATHER_ND", shape=shape, indices=np.array(tuples, dtype=np.int32).reshape(lead + [nd]).tolist(),
                ishape=lead + [nd], dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))


def _gather_nd_add(b, c):
    return [b.gather_nd(_input(b, c), np.array(c["indices"], dtype=np.int32).reshape(c["ishape"]))]


@st.composite
def _embedding_strategy(draw):
    rows = draw(st.integers(1, 30))
    shape = [rows] + _shape(draw, draw(st.integers(1, 3)), max_elems=64)
    n = draw(st.integers(1, 12))
    return dict(kind="EMBEDDING_LOOKUP", shape=shape, ids=draw(st.lists(st.integers(0, rows - 1), min_size=n, max_size=n)),
                dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))


def _embedding_add(b, c):
    """The table is the graph input, the ids constant (random run-time ids would be out of range;
    a constant table with ids from an input is a targeted test)."""
    return [b.embedding_lookup(_input(b, c), np.array(c["ids"], dtype=np.int32))]


@st.composite
def _fill_strategy(draw):
    return dict(kind="FILL", dims=_shape(draw, draw(st.integers(1, 4)), max_elems=300),
                runtime=draw(st.booleans()), dtype=draw(st.sampled_from(["int8", "int8", "int32", "float32"])),
                seed=draw(seeds))


def _fill_add(b, c):
    if c["runtime"]:  # the value computed at run time: one element of an input vector
        v = b.strided_slice(b.input((3,), dtype=c["dtype"]), [1], [2], [1], shrink_axis_mask=1)
    else:
        data = np.asarray(b.rng.integers(-100, 100), dtype=np.dtype(c["dtype"] if c["dtype"] != "float32" else "f4"))
        v = b.const(data.reshape(()), c["dtype"], b.quant() if c["dtype"] == "int8" else None)
        b.input((1,), dtype=c["dtype"])  # a graph needs an input
    return [b.fill(c["dims"], v)]


@st.composite
def _zeros_like_strategy(draw):
    return dict(kind="ZEROS_LIKE", shape=_shape(draw, draw(st.integers(1, 4))),
                dtype=draw(st.sampled_from(["int8", "int32", "float32"])), seed=draw(seeds))


def _zeros_like_add(b, c):
    return [b.zeros_like(_input(b, c))]


@st.composite
def _shape_strategy(draw):
    return dict(kind="SHAPE", shape=_shape(draw, draw(st.integers(1, 5))),
                dtype=draw(st.sampled_from(["int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _shape_add(b, c):
    return [b.shape_of(_input(b, c))]


@st.composite
def _reverse_strategy(draw):
    rank = draw(st.integers(1, 5))
    shape = _shape(draw, rank)
    a = draw(st.integers(0, rank - 1))
    b = draw(st.integers(a, rank - 1))
    axes = draw(st.permutations(list(range(a, b + 1))))
    axes = [d - rank if draw(st.booleans()) else d for d in axes]
    return dict(kind="REVERSE_V2", shape=shape, axes=axes,
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _reverse_add(b, c):
    return [b.reverse_v2(_input(b, c), c["axes"])]


@st.composite
def _broadcast_to_strategy(draw):
    out_rank = draw(st.integers(1, 5))
    out = _shape(draw, out_rank, hi=5, max_elems=500)
    in_rank = draw(st.integers(1, out_rank))
    shape = [n if draw(st.booleans()) else 1 for n in out[out_rank - in_rank:]]
    return dict(kind="BROADCAST_TO", shape=shape, out=out, index_dtype=draw(st.sampled_from(["int32", "int64"])),
                dtype=draw(st.sampled_from(["int8", "int8", "int16", "int32", "float32"])), seed=draw(seeds))


def _broadcast_to_add(b, c):
    return [b.broadcast_to(_input(b, c), c["out"], index_dtype=c["index_dtype"])]


def _batch_space_strategy(kind: str):
    @st.composite
    def s(draw):
        rank = draw(st.sampled_from([3, 4, 4]))
        block = [draw(st.integers(1, 3)), draw(st.integers(1, 3)) if rank == 4 else 1]
        n = draw(st.integers(1, 2))
        hw = [block[i] * draw(st.integers(1, 4)) for i in range(2)]
        c = draw(st.integers(1, 4))
        pads = [[0, 0], [0, 0]]
        if kind == "SPACE_TO_BATCH_ND":
            for i in range(2):  # bottom/right padding TFLM never reads: cut rows/columns off instead
                extra = draw(st.integers(0, block[i] - 1))
                hw[i] += extra
                pads[i][1] = draw(st.integers(0, block[i] - 1 - extra))
            shape = [n, hw[0], hw[1], c]
        else:
            for i in range(2):
                span = hw[i] * block[i]
                pads[i] = [draw(st.integers(0, min(2, span - 1))), 0]
                pads[i][1] = draw(st.integers(0, min(2, span - 1 - pads[i][0])))
            shape = [n * block[0] * block[1], hw[0], hw[1], c]
        if rank == 3:
            shape, block, pads = [shape[0], shape[1], shape[3]], block[:1], pads[:1]
        return dict(kind=kind, shape=shape, block=block, pads=pads,
                    dtype=draw(st.sampled_from(["int8", "int8", "float32"])), seed=draw(seeds))
    return s()


def _batch_space_add(b, c):
    fn = b.space_to_batch_nd if c["kind"] == "SPACE_TO_BATCH_ND" else b.batch_to_space_nd
    return [fn(_input(b, c), c["block"], c["pads"])]


#: case kind -> (strategy, function adding the case's operator to a builder, returning its outputs)
SPATIAL_CASES = {
    "SLICE": (_slice_strategy(), _slice_add),
    "STRIDED_SLICE": (_strided_slice_strategy(), _strided_slice_add),
    "SPLIT": (_split_strategy(), _split_add),
    "SPLIT_V": (_split_v_strategy(), _split_v_add),
    "PACK": (_pack_strategy(), _pack_add),
    "UNPACK": (_unpack_strategy(), _unpack_add),
    "SPACE_TO_DEPTH": (_block_strategy("SPACE_TO_DEPTH"), _block_add),
    "DEPTH_TO_SPACE": (_block_strategy("DEPTH_TO_SPACE"), _block_add),
    "MIRROR_PAD": (_mirror_pad_strategy(), _mirror_pad_add),
    "GATHER": (_gather_strategy(), _gather_add),
    "RESIZE_NEAREST_NEIGHBOR": (_resize_strategy("RESIZE_NEAREST_NEIGHBOR"), _resize_add),
    "RESIZE_BILINEAR": (_resize_strategy("RESIZE_BILINEAR"), _resize_add),
    "TRANSPOSE_CONV": (_transpose_conv_strategy(), _transpose_conv_add),
    "GATHER_ND": (_gather_nd_strategy(), _gather_nd_add),
    "EMBEDDING_LOOKUP": (_embedding_strategy(), _embedding_add),
    "FILL": (_fill_strategy(), _fill_add),
    "ZEROS_LIKE": (_zeros_like_strategy(), _zeros_like_add),
    "SHAPE": (_shape_strategy(), _shape_add),
    "REVERSE_V2": (_reverse_strategy(), _reverse_add),
    "BROADCAST_TO": (_broadcast_to_strategy(), _broadcast_to_add),
    "SPACE_TO_BATCH_ND": (_batch_space_strategy("SPACE_TO_BATCH_ND"), _batch_space_add),
    "BATCH_TO_SPACE_ND": (_batch_space_strategy("BATCH_TO_SPACE_ND"), _batch_space_add),
}


# -- small CNNs with spatial operators, for patch-based inference ---------------------------------
@st.composite
def _spatial_cnn_case(draw):
    blocks = []
    spatial = ["mirror_pad", "resize_nearest", "resize_bilinear", "transpose_conv", "space_to_depth"]
    for i in range(draw(st.integers(2, 5))):  # the first block is spatial: it is in every stage
        blocks.append(dict(kind=draw(st.sampled_from(spatial if i == 0 else ["conv"] + spatial)),
                           stride=draw(st.sampled_from([1, 2])), k=draw(st.integers(1, 4)), padding=draw(paddings),
                           pads=[draw(st.integers(0, 2)) for _ in range(4)],
                           mode=draw(st.sampled_from(["REFLECT", "SYMMETRIC"])),
                           scale=(draw(st.sampled_from([0.5, 0.7, 1.0, 1.5, 2.0])), draw(st.sampled_from([0.6, 1.0, 2.0]))),
                           align=draw(st.booleans()), half=draw(st.booleans()), cout=draw(st.integers(2, 5))))
    return dict(kind="SPATIAL_PATCH_CNN", shape=(1, 2 * draw(st.integers(3, 8)), 2 * draw(st.integers(3, 8)) -
                                                 draw(st.integers(0, 1)), draw(st.integers(1, 3))),
                blocks=blocks, seed=draw(seeds), k_frac=draw(st.floats(0.3, 1.0)),
                grid=(draw(st.integers(1, 4)), draw(st.integers(1, 4))))


def build_spatial_cnn(c: dict) -> GraphBuilder:
    """A chain of the case's blocks (each followed by a 3x3 convolution), then a global average
    pool (which ends any patch stage); the output is b.final."""
    b = GraphBuilder("spatialcnn", seed=c["seed"])
    x = b.input(c["shape"])
    for blk in c["blocks"]:
        h, w = x.shape[1], x.shape[2]
        if blk["kind"] == "mirror_pad":
            most = (h - 1, w - 1) if blk["mode"] == "REFLECT" else (h, w)
            p = blk["pads"]
            x = b.mirror_pad(x, [[0, 0], [min(p[0], most[0]), min(p[1], most[0])],
                                 [min(p[2], most[1]), min(p[3], most[1])], [0, 0]], blk["mode"])
        elif blk["kind"] in ("resize_nearest", "resize_bilinear"):
            size = [max(1, min(32, round(h * blk["scale"][0]))), max(1, min(32, round(w * blk["scale"][1])))]
            align, half = blk["align"], blk["half"]
            if blk["kind"] == "resize_bilinear":
                half = half and not align
                if not _bilinear_ok((h, w), size, align, half):
                    align = half = False
                x = b.resize_bilinear(x, size, align, half)
            else:
                x = b.resize_nearest_neighbor(x, size, align, half)
        elif blk["kind"] == "space_to_depth" and h % 2 == 0 and w % 2 == 0:
            x = b.space_to_depth(x, 2)
        elif blk["kind"] == "transpose_conv":
            s = blk["stride"] if max(h, w) <= 12 else 1
            x = b.transpose_conv(x, blk["cout"], kernel=(blk["k"], blk["k"]), stride=(s, s), padding=blk["padding"],
                                 activation="RELU")
        x = b.conv2d(x, blk["cout"], stride=(blk["stride"], blk["stride"]) if blk["kind"] == "conv" else (1, 1),
                     activation="RELU6")
    b.final = b.avg_pool2d(x, filter=(x.shape[1], x.shape[2]), stride=(1, 1), padding="VALID")
    return b


def _spatial_cnn_build(c: dict) -> bytes:
    b = build_spatial_cnn(c)
    return b.tflite([b.final])


_spatial_cnn_build.strategy = _spatial_cnn_case()  # type: ignore[attr-defined]
case("SPATIAL_PATCH_CNN")(_spatial_cnn_build)


def build_spatial(cases: Sequence[dict], name: str = "spatial") -> bytes:
    """One .tflite holding every case as an independent branch (its own inputs and outputs), each
    drawn from its own seed: many random operators per build."""
    b = GraphBuilder(name, seed=0)
    outs: list[Tensor] = []
    for c in cases:
        b.rng = np.random.default_rng(c["seed"])
        outs += SPATIAL_CASES[c["kind"]][1](b, c)
    return b.tflite(outs)


def _register(kind: str) -> None:
    def build(c: dict) -> bytes:
        return build_spatial([c], kind.lower())
    build.strategy = SPATIAL_CASES[kind][0]  # type: ignore[attr-defined]
    case(kind)(build)


for _kind in SPATIAL_CASES:
    _register(_kind)

__all__ = ["SPATIAL_CASES", "build_spatial", "build_spatial_cnn", "transpose_conv_size"]
