"""Compile-time plans of the math and sequence operators, against numpy (pure Python)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.ir import Op, Quant, Tensor
from tinygen.ops.batch_matmul import BatchMatMul, BatchMatMulAttrs
from tinygen.ops.select_v2 import broadcast_shapes, plan_broadcast3
from tinygen.ops.unidirectional_sequence_lstm import cell_scale_power, cell_tanh_rescale, quantized_cell_clip


@settings(max_examples=80)
@given(st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans(), st.booleans()), min_size=0, max_size=6),
       st.integers(0, 6), st.integers(0, 6), st.integers(0, 6))
def test_plan_broadcast3_matches_numpy(dims, c0, c1, c2):
    shapes = [tuple(n if k[j] else 1 for n, *k in dims)[min(c, len(dims)):] for j, c in enumerate((c0, c1, c2))]
    out = broadcast_shapes(*shapes)
    arrays = [np.arange(int(np.prod(s)), dtype=np.int64).reshape(s) for s in shapes]
    want = np.broadcast_arrays(*arrays)
    p = plan_broadcast3(shapes, out)
    got = [[], [], []]
    for idx in np.ndindex(*p.shape):
        for k, strides in enumerate((p.stride_cond, p.stride_x, p.stride_y)):
            got[k].append(sum(i * s for i, s in zip(idx, strides)))
    assert all(g == w.reshape(-1).tolist() for g, w in zip(got, want))


@settings(max_examples=50)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.booleans(), st.booleans(),
       st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans()), max_size=3))
def test_batch_matmul_strides_read_numpy_matmul(r, d, c, adj_x, adj_y, batch):
    """The kernel's loop nest (batch strides, row/depth/column strides) over the operands' flat data
    gives numpy's matmul of the (transposed) operands."""
    bx = tuple(n if a else 1 for n, a, _ in batch)
    bw = tuple(n if b else 1 for n, _, b in batch)
    xs = bx + ((d, r) if adj_x else (r, d))
    ws = bw + ((c, d) if adj_y else (d, c))
    q = Quant(scale=[0.1], zero_point=[0])
    x = Tensor("x", xs, "int8", q)
    w = Tensor("w", ws, "int8", q)
    op = Op("BATCH_MATMUL", [x, w], [Tensor("y", (0,), "int8", q)], BatchMatMulAttrs(adj_x=adj_x, adj_y=adj_y))
    op.outputs[0].shape = BatchMatMul().infer(op)[0]
    p = BatchMatMul().prepare(op)
    rng = np.random.default_rng(0)
    xv, wv = rng.integers(-9, 9, size=xs), rng.integers(-9, 9, size=ws)
    a = np.swapaxes(xv, -1, -2) if adj_x else xv
    bm = np.swapaxes(wv, -1, -2) if adj_y else wv
    want = np.matmul(a, bm).reshape(-1)
    xf, wf, got = xv.reshape(-1), wv.reshape(-1), []
    bb = p.batch
    for idx in np.ndindex(*bb.shape):
        ox = sum(i * s for i, s in zip(idx, bb.stride1))
        ow = sum(i * s for i, s in zip(idx, bb.stride2))
        for i in range(p.rows):
            for j in range(p.cols):
                got.append(sum(int(xf[ox + i * p.lhs_row_stride + k * p.lhs_depth_stride]) *
                               int(wf[ow + k * p.rhs_depth_stride + j * p.rhs_col_stride]) for k in range(p.depth)))
    assert got == want.tolist()


def test_lstm_cell_helpers():
    # the cell state scale's log2 (power-of-two scales only) and the tanh input rescaling
    assert cell_scale_power(2.0 ** -11) == -11 and cell_scale_power(0.0003) is None
    assert cell_tanh_rescale(-12) == (3, 0)           # Q3.12 gates: coordinate 3x
    assert cell_tanh_rescale(-11) == (6, 0)           # left shift 1 folded into the multiplier
    assert cell_tanh_rescale(-15) == (3, 3)           # right shift with rounding
    # the clip bound truncates toward zero and saturates at int16; no clip gives -1
    assert quantized_cell_clip(0.0, 2.0 ** -11) == -1
    assert quantized_cell_clip(1.0009, 2.0 ** -11) == math.trunc(float(np.float32(1.0009)) * 2048) == 2049  # not 2050
    assert quantized_cell_clip(100.0, 2.0 ** -11) == 32767
