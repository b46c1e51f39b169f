"""TG_COPY_REGION: an internal operator (never in a .tflite) made by the patch pass: copies a
spatial region (rows and columns on two adjacent axes: NHWC's H, W or NCHW's) of a tensor into
another tensor of the same layout (kernel: tg_copy_region)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..geometry import Region
from .base import OpDef, register


@dataclass
class CopyRegionAttrs:
    #: region of the source tensor (rows/cols in the source's coordinates) to read
    src_region: Region
    #: where it goes, in the destination's coordinates (same size)
    dst_origin: tuple[int, int]


@cstruct("tg_copy_params")
@dataclass(frozen=True)
class CopyParams:
    blocks: int
    rows: int
    row_bytes: int
    src_block_stride: int
    src_row_stride: int
    dst_block_stride: int
    dst_row_stride: int


@dataclass(frozen=True)
class CopyArgs:
    params: CopyParams
    src_offset: int  # bytes from the source pointer
    dst_offset: int  # bytes from the destination pointer


@register
class CopyRegion(OpDef):
    kind = "TG_COPY_REGION"
    function = "tg_copy_region"

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        a: CopyRegionAttrs = op.attrs
        r = a.src_region
        it = x.itemsize
        ay, ax = r.axes
        if ax != ay + 1:
            raise ValueError(f"region axes {r.axes} are not adjacent")
        inner = int(np.prod(x.shape[ax + 1:], dtype=np.int64))
        blocks = int(np.prod(x.shape[:ay], dtype=np.int64))
        params = CopyParams(blocks=blocks, rows=r.h, row_bytes=r.w * inner * it,
                            src_block_stride=x.shape[ay] * x.shape[ax] * inner * it, src_row_stride=x.shape[ax] * inner * it,
                            dst_block_stride=y.shape[ay] * y.shape[ax] * inner * it, dst_row_stride=y.shape[ax] * inner * it)
        return CopyArgs(params=params, src_offset=(r.y0 * x.shape[ax] + r.x0) * inner * it,
                        dst_offset=(a.dst_origin[0] * y.shape[ax] + a.dst_origin[1]) * inner * it)
