"""SPACE_TO_DEPTH and DEPTH_TO_SPACE: blocks of block_size x block_size pixels moved into the
channels and back, values copied unchanged (kernel: tg_remap; see tinygen/ops/remap.py).

TFLite Micro (space_to_depth.cc, depth_to_space.cc): 4-D float32 or int8 tensors, input and
output of one type; SPACE_TO_DEPTH needs the height and width to be multiples of the block size,
DEPTH_TO_SPACE the channels a multiple of its square. Output channel (bh * block + bw) * C + c of
SPACE_TO_DEPTH holds input pixel (y * block + bh, x * block + bw), channel c.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..geometry import Region
from ..schema import schema
from .base import register, unsupported
from .common import check_shape
from .remap import PatchWindow, RemapOp, element_strides

DTYPES = ("float32", "int8")


@dataclass
class BlockAttrs:
    block_size: int = 0
    #: set on SPACE_TO_DEPTH operators of a patch (tinygen.patching): where their regions lie
    window: PatchWindow | None = None


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
        # the output as [N, OH, OW, b (rows), b (columns), C]; an operator of a patch starts at
        # output row/column `out_origin` and its input buffer at image row/column `in_origin`
        x, y = op.inputs[0], op.outputs[0]
        n, _, _, c = x.shape
        b = op.attrs.block_size
        w = op.attrs.window
        (oy, ox), (iy, ix) = (w.out_origin, w.in_origin) if w is not None else ((0, 0), (0, 0))
        sn, sh, sw, sc = element_strides(x.shape)
        return [_axis(n, sn), (oy * b - iy + _axis(y.shape[1], b)) * sh, (ox * b - ix + _axis(y.shape[2], b)) * sw,
                _axis(b, sh), _axis(b, sw), _axis(c, sc)]

    # -- patches: output pixel (y, x) reads the input's block (y * b .. y * b + b - 1, ...) ------
    places_regions = True

    def input_regions(self, op, out):
        if out.axes != (1, 2):  # NHWC rows and columns only
            return None
        b = op.attrs.block_size
        return [Region(out.y0 * b, out.y1 * b, out.x0 * b, out.x1 * b)]

    def local_attrs(self, op, in_regions, out_region):
        r_in, x = in_regions[0], op.inputs[0]
        return dataclasses.replace(op.attrs, window=PatchWindow(in_hw=(x.shape[1], x.shape[2]),
                                                                out_origin=(out_region.y0, out_region.x0),
                                                                in_origin=(r_in.y0, r_in.x0)))


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
