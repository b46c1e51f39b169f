"""TG_COPY_REGION: an internal operator (never in a .tflite) made by the patch pass: copies a
spatial region of an NHWC tensor into another NHWC tensor (kernel: tg_copy_region)."""

from __future__ import annotations

from dataclasses import dataclass

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
        c = x.shape[3]
        params = CopyParams(blocks=x.shape[0], rows=r.h, row_bytes=r.w * c * it,
                            src_block_stride=x.shape[1] * x.shape[2] * c * it, src_row_stride=x.shape[2] * c * it,
                            dst_block_stride=y.shape[1] * y.shape[2] * c * it, dst_row_stride=y.shape[2] * c * it)
        return CopyArgs(params=params, src_offset=(r.y0 * x.shape[2] + r.x0) * c * it,
                        dst_offset=(a.dst_origin[0] * y.shape[2] + a.dst_origin[1]) * c * it)
