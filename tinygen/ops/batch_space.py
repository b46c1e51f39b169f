"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: the spatial block rearrangements TensorFlow uses
around dilated convolutions, values copied unchanged.

TFLite Micro (space_to_batch_nd.cc, batch_to_space_nd.cc): 3-D NHC or 4-D NHWC float32 or int8
tensors (3-D ones act as NH1C), block_shape and paddings/crops read as int32 (tinygen needs them
constant). Both index through the output's own shape:
  - SPACE_TO_BATCH_ND: output batch b = (sh * block_w + sw) * N + n holds input image n at rows
    y * block_h + sh - pad_top and columns x * block_w + sw - pad_left; outside the input it writes
    the byte value of its SpaceToBatchParams::output_offset, which TFLite Micro never sets: the
    padding holds whatever that persistent allocation held (0 in a fresh interpreter, leftovers of
    earlier allocations otherwise: seen in the tests). Models whose output holds padding are
    therefore refused; without padding the copy is a tg_remap.
  - BATCH_TO_SPACE_ND: input batch b = (sh * block_w + sw) * N + n goes to output image n at rows
    y * block_h + sh - crop_top and columns x * block_w + sw - crop_left, when inside the output;
    output pixels no input pixel reaches are left unwritten by TFLite Micro, and input batches
    beyond block_h x block_w times the output's overwrite others: both are refused here. The copy
    is a tg_remap (see tinygen/ops/remap.py).
"""

from __future__ import annotations

import numpy as np

from ..schema import schema
from .base import NoAttrs, register, unsupported
from .common import check_dtype
from .remap import RemapOp
from .slice import const_vector

DTYPES = ("float32", "int8")


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """3-D NHC as NH1C, like ExtendShapeSpaceToBatch / ExtendShapeBatchToSpace."""
    return (shape[0], shape[1], 1, shape[2]) if len(shape) == 3 else tuple(shape)  # type: ignore[return-value]


class _BatchSpace:
    """Checks and operands both operators share."""

    moves_values = True

    def operands(self, op) -> tuple[tuple[int, int], tuple[int, int]]:
        """(block_h, block_w), (top, left) padding or cropping, as TFLite Micro reads them."""
        x = op.inputs[0]
        block = const_vector(op, op.inputs[1], "block_shape")
        pads = const_vector(op, op.inputs[2], self.pads_name)
        need = (1, 2) if x.rank == 3 else (2, 4)
        if len(block) < need[0] or len(pads) < need[1]:
            raise unsupported(op, f"block_shape {block} and {self.pads_name} {pads} are too short for rank {x.rank}")
        if x.rank == 3:
            return (block[0], 1), (pads[0], 0)
        return (block[0], block[1]), (pads[0], pads[2])

    def check_common(self, op) -> None:
        if len(op.inputs) != 3 or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, f"expects an input, block_shape, {self.pads_name} and one output")
        x, y = op.inputs[0], op.outputs[0]
        check_dtype(op, x, *DTYPES, what="input")
        if y.dtype != x.dtype:
            raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input is {x.dtype}")
        if not 3 <= x.rank <= 4 or y.rank != x.rank:
            raise unsupported(op, f"input and output have ranks {x.rank} and {y.rank}; TFLite Micro supports 3-D "
                                  "NHC and 4-D NHWC")
        if x.size == 0 or y.size == 0:
            raise unsupported(op, "a tensor has no elements")
        (bh, bw), _ = self.operands(op)
        if bh < 1 or bw < 1:
            raise unsupported(op, f"block shape ({bh}, {bw}) must be positive")
        xs, ys = _nhwc(x.shape), _nhwc(y.shape)
        if xs[3] != ys[3]:
            raise unsupported(op, f"input and output have {xs[3]} and {ys[3]} channels")


@register
class SpaceToBatchND(_BatchSpace, RemapOp):
    kind = "SPACE_TO_BATCH_ND"
    options = "SpaceToBatchNDOptions"
    input_names = ("input", "block_shape", "paddings")
    pads_name = "paddings"

    def write_options(self, a):
        return schema.SpaceToBatchNDOptionsT()

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def infer(self, op):
        x = op.inputs[0]
        n, h, w, c = _nhwc(x.shape)
        pads = [int(v) for v in np.asarray(op.inputs[2].data).reshape(-1)]
        (bh, bw), _ = self.operands(op)
        oh = (h + pads[0] + pads[1]) // bh
        if x.rank == 3:
            return [(n * bh, oh, c)]
        return [(n * bh * bw, oh, (w + pads[2] + pads[3]) // bw, c)]

    def _indices(self, op):
        """Per output batch: the input image, its block row and block column; per output row
        and column: the first input row and column (TFLite Micro's indexing, any shapes)."""
        n = _nhwc(op.inputs[0].shape)[0]
        on, oh, ow, _ = _nhwc(op.outputs[0].shape)
        (bh, bw), (top, left) = self.operands(op)
        ob = np.arange(on, dtype=np.int64)
        return ob % n, (ob // n) // bw, (ob // n) % bw, np.arange(oh) * bh - top, np.arange(ow) * bw - left

    def check(self, op):
        self.check_common(op)
        h, w = _nhwc(op.inputs[0].shape)[1:3]
        _, sh, sw, rows, cols = self._indices(op)
        ys, xs = rows[None, :] + sh[:, None], cols[None, :] + sw[:, None]
        if (ys < 0).any() or (ys >= h).any() or (xs < 0).any() or (xs >= w).any():
            raise unsupported(op, "the output holds padding, which TFLite Micro fills with the never-initialized "
                                  "SpaceToBatchParams::output_offset (not reproducible); only SPACE_TO_BATCH_ND "
                                  "without padded pixels is supported")

    def remap_axes(self, op, output):
        _, h, w, c = _nhwc(op.inputs[0].shape)
        b, sh, sw, rows, cols = self._indices(op)
        return [(b * h + sh) * w * c + sw * c, rows * w * c, cols * c, np.arange(c, dtype=np.int64)]


@register
class BatchToSpaceND(_BatchSpace, RemapOp):
    kind = "BATCH_TO_SPACE_ND"
    options = "BatchToSpaceNDOptions"
    input_names = ("input", "block_shape", "crops")
    pads_name = "crops"

    def write_options(self, a):
        return schema.BatchToSpaceNDOptionsT()

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def infer(self, op):
        x = op.inputs[0]
        n, h, w, c = _nhwc(x.shape)
        crops = [int(v) for v in np.asarray(op.inputs[2].data).reshape(-1)]
        (bh, bw), _ = self.operands(op)
        oh = h * bh - crops[0] - crops[1]
        if x.rank == 3:
            return [(n // bh, oh, c)]
        return [(n // (bh * bw), oh, w * bw - crops[2] - crops[3], c)]

    def _tables(self, op) -> tuple[np.ndarray, np.ndarray]:
        """Input element offsets of every output row and column (the batch and channel parts
        are affine): output row y comes from input row (y + crop_top) // block_h of the batches
        whose block row is (y + crop_top) % block_h, likewise for columns; -1 where none."""
        n, h, w, c = _nhwc(op.inputs[0].shape)
        on, oh, ow, _ = _nhwc(op.outputs[0].shape)
        (bh, bw), (top, left) = self.operands(op)
        image = h * w * c
        rows, cols = [], []
        for y in range(oh):
            iy, sh = divmod(y + top, bh)
            rows.append(sh * bw * on * image + iy * w * c if 0 <= iy < h else -1)
        for x in range(ow):
            ix, sw = divmod(x + left, bw)
            cols.append(sw * on * image + ix * c if 0 <= ix < w else -1)
        return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)

    def check(self, op):
        self.check_common(op)
        (bh, bw), _ = self.operands(op)
        xs, ys = _nhwc(op.inputs[0].shape), _nhwc(op.outputs[0].shape)
        if xs[0] != ys[0] * bh * bw:
            raise unsupported(op, f"input batch {xs[0]} must be the output batch {ys[0]} times the block size "
                                  f"{bh}x{bw}")
        rows, cols = self._tables(op)
        if (rows < 0).any() or (cols < 0).any():
            raise unsupported(op, "some output pixels receive no input pixel (TFLite Micro leaves them unwritten)")

    def remap_axes(self, op, output):
        n, h, w, c = _nhwc(op.inputs[0].shape)
        rows, cols = self._tables(op)
        return [np.arange(_nhwc(op.outputs[0].shape)[0], dtype=np.int64) * h * w * c, rows, cols,
                np.arange(c, dtype=np.int64)]


__all__ = ["BatchToSpaceND", "SpaceToBatchND"]
