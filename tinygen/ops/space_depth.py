"""SPACE_TO_DEPTH and DEPTH_TO_SPACE: blocks of block_size x block_size pixels moved into the
channels and back, values copied unchanged (kernel: tg_remap; see tinygen/ops/remap.py).

TFLite Micro (space_to_depth.cc, depth_to_space.cc): 4-D float32 or int8 tensors, input and
output of one type; SPACE_TO_DEPTH needs the height and width to be multiples of the block size,
DEPTH_TO_SPACE the channels a multiple of its square. Output channel (bh * block + bw) * C + c of
SPACE_TO_DEPTH holds input pixel (y * block + bh, x * block + bw), channel c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import schema
from .base import register, unsupported
from .common import check_shape
from .remap import RemapOp, element_strides

DTYPES = ("float32", "int8")


@dataclass
class BlockAttrs:
    block_size: int = 0


def _axis(n: int, stride: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * stride


class _BlockOp(RemapOp):
    def parse(self, opts, inputs, outputs):
        return BlockAttrs(block_size=int(opts.blockSize) if opts is not None else 0)

    def write_options(self, a: BlockAttrs):
        o = getattr(schema, f"{self.options}T")()
        o.blockSize = int(a.block_size)
        return o

    def check(self, op):
        if len(op.inputs) != 1 or op.inputs[0] is None or len(op.outputs) != 1:
            raise unsupported(op, "expects one input and one output")
        self.check_types(op, DTYPES)
        x = op.inputs[0]
        if x.rank != 4:
            raise unsupported(op, f"input {x.name!r} has rank {x.rank}; TFLite Micro needs 4-D NHWC")
        b = op.attrs.block_size
        if b < 1:
            raise unsupported(op, f"block size {b} must be at least 1")
        self.check_block(op, b)
        check_shape(op, op.outputs[0], self.infer(op)[0])


@register
class SpaceToDepth(_BlockOp):
    kind = "SPACE_TO_DEPTH"
    options = "SpaceToDepthOptions"

    def infer(self, op):
        n, h, w, c = op.inputs[0].shape
        b = op.attrs.block_size
        return [(n, h // b, w // b, c * b * b)]

    def check_block(self, op, b):
        _, h, w, _ = op.inputs[0].shape
        if h % b or w % b:
            raise unsupported(op, f"height {h} and width {w} must be multiples of the block size {b}")

    def remap_axes(self, op, output):
        # the output as [N, H/b, W/b, b (rows), b (columns), C]
        n, h, w, c = op.inputs[0].shape
        b = op.attrs.block_size
        sn, sh, sw, sc = element_strides((n, h, w, c))
        return [_axis(n, sn), _axis(h // b, b * sh), _axis(w // b, b * sw), _axis(b, sh), _axis(b, sw), _axis(c, sc)]


@register
class DepthToSpace(_BlockOp):
    kind = "DEPTH_TO_SPACE"
    options = "DepthToSpaceOptions"

    def infer(self, op):
        n, h, w, c = op.inputs[0].shape
        b = op.attrs.block_size
        return [(n, h * b, w * b, c // (b * b))]

    def check_block(self, op, b):
        c = op.inputs[0].shape[3]
        if c % (b * b):
            raise unsupported(op, f"channels {c} must be a multiple of the block size squared ({b * b})")

    def remap_axes(self, op, output):
        # the output as [N, H, b (rows), W, b (columns), C / b^2]
        n, h, w, c = op.inputs[0].shape
        b = op.attrs.block_size
        co = c // (b * b)
        sn, sh, sw, _ = element_strides((n, h, w, c))
        return [_axis(n, sn), _axis(h, sh), _axis(b, b * co), _axis(w, sw), _axis(b, co), _axis(co, 1)]
