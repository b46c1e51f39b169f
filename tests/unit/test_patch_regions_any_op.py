"""Regions of the operators a patch stage now crosses (pure Python): PAD, TRANSPOSE (regions on
an NCHW input's axes), broadcasting elementwise operands, CONCATENATION, and the region copies
and per-patch PAD arguments built from them."""

import numpy as np
import pytest

from tinygen.geometry import Region
from tinygen.ir import Op, Quant, Tensor
from tinygen.ops import op_def
from tinygen.ops.concatenation import ConcatAttrs
from tinygen.ops.copy_region import CopyRegionAttrs


def t(shape, dtype="int8", data=None, name="t"):
    q = Quant(scale=[0.1], zero_point=[3]) if dtype == "int8" else None
    return Tensor(name=name, shape=shape, dtype=dtype, quant=q, data=data)


def pad_op(x_shape, pads):
    x = t(x_shape)
    p = t((4, 2), "int32", np.array(pads, dtype=np.int32))
    y = t(tuple(d + a + b for d, (a, b) in zip(x_shape, pads)))
    return Op("PAD", [x, p], [y])


def test_region_on_other_axes():
    r = Region(2, 5, 1, 4, (2, 3))
    assert r.shape_of((1, 3, 10, 12)) == (1, 3, 3, 3)
    assert r.extent((1, 3, 10, 12)) == (10, 12)
    assert r.first_offset((1, 3, 10, 12)) == 2 * 12 + 1          # channel 0 plane
    assert Region(2, 5, 1, 4).first_offset((1, 10, 12, 3)) == (2 * 12 + 1) * 3
    with pytest.raises(ValueError):
        r.union(Region(0, 1, 0, 1))


def test_pad_regions_and_per_patch_paddings():
    op = pad_op((1, 6, 7, 2), [[0, 0], [2, 1], [0, 3], [0, 0]])   # output 9 x 10
    d = op_def(op)
    # output rows 0..4 need input rows 0..2 (rows 0, 1 are padding); columns 5..10 need 5..6
    (r, none) = d.input_regions(op, Region(0, 5, 5, 10))
    assert none is None and r == Region(0, 3, 5, 7)
    # a region entirely in the bottom/right padding reads nothing
    assert d.input_regions(op, Region(8, 9, 7, 10))[0].empty
    lop = d.patch_op(op, [t(r.shape_of((1, 6, 7, 2)))], t((1, 5, 5, 2)), [r, None], Region(0, 5, 5, 10))
    assert np.asarray(lop.inputs[1].data).tolist() == [[0, 0], [2, 0], [0, 3], [0, 0]]
    assert tuple(d.infer(lop)[0]) == (1, 5, 5, 2)
    with pytest.raises(ValueError):  # a buffer holding more than the patch reads needs a crop first
        d.patch_op(op, [t((1, 6, 7, 2))], t((1, 5, 5, 2)), [Region(0, 6, 0, 7), None], Region(0, 5, 5, 10))


def test_transpose_regions_follow_the_permutation():
    x, y = t((1, 3, 8, 9)), t((1, 8, 9, 3))
    op = Op("TRANSPOSE", [x, t((4,), "int32", np.array([0, 2, 3, 1], dtype=np.int32))], [y])
    (r, none) = op_def(op).input_regions(op, Region(1, 4, 2, 9))
    assert none is None and r == Region(1, 4, 2, 9, (2, 3))


def test_broadcast_operands_and_concatenation():
    y = t((1, 6, 8, 4))
    a, rows, cols, vec = t((1, 6, 8, 4)), t((1, 6, 1, 4)), t((1, 1, 8, 1)), t((1, 1, 1, 4))
    op = Op("ADD", [a, rows], [y])
    out = Region(2, 4, 3, 7)
    assert op_def(op).input_regions(op, out) == [out, Region(2, 4, 0, 1)]
    op = Op("MUL", [cols, vec], [y])
    assert op_def(op).input_regions(op, out) == [Region(0, 1, 3, 7), None]
    cat = Op("CONCATENATION", [t((1, 6, 8, 2)), t((1, 6, 8, 2))], [y], attrs=ConcatAttrs(axis=3))
    assert op_def(cat).input_regions(cat, out) == [out, out]
    cat_h = Op("CONCATENATION", [t((1, 3, 8, 4)), t((1, 3, 8, 4))], [y], attrs=ConcatAttrs(axis=1))
    assert op_def(cat_h).input_regions(cat_h, out) is None  # along the rows: not patchable


def test_copy_region_on_nchw_axes():
    x, y = t((1, 3, 10, 12), "float32"), t((1, 3, 4, 5), "float32")
    op = Op("TG_COPY_REGION", [x], [y], attrs=CopyRegionAttrs(src_region=Region(2, 6, 7, 12, (2, 3)),
                                                               dst_origin=(0, 0)))
    a = op_def(op).prepare(op)
    assert (a.params.blocks, a.params.rows, a.params.row_bytes) == (3, 4, 5 * 4)
    assert (a.params.src_block_stride, a.params.src_row_stride) == (10 * 12 * 4, 12 * 4)
    assert (a.params.dst_block_stride, a.params.dst_row_stride) == (4 * 5 * 4, 5 * 4)
    assert a.src_offset == (2 * 12 + 7) * 4
