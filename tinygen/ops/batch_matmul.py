"""BATCH_MATMUL: int8 batched matrix product with broadcast batch dimensions and optionally
transposed operands (adj_x, adj_y) (kernel: tg_batch_matmul_s8).

TFLite Micro (batch_matmul.cc): ranks 2 to 5, equal input and output types, batch dimensions that
broadcast, lhs [..., R, D] (adj_x: [..., D, R]) times rhs [..., D, C] (adj_y: [..., C, D]) gives
[..., R, C]. The int8 arithmetic is FULLY_CONNECTED's with per-tensor scales: the sum of
(lhs - lhs zero point) x (rhs - rhs zero point), one multiplier lhs_scale * rhs_scale /
output_scale (GetQuantizedConvolutionMultipler, see fully_connected.per_tensor_multiplier), the
output zero point, clamped to int8 (no fused activation). TFLite Micro transposes operands into
scratch copies; the kernel reads them in place through strides instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import Quant, cstruct
from ..ir import Op
from ..schema import schema
from .add_sub import Broadcast, broadcast_shape, plan_broadcast
from .base import OpDef, register, unsupported
from .common import check_int8_activation, check_shape
from .fully_connected import per_tensor_multiplier

MIN_RANK, MAX_RANK = 2, 5


@dataclass
class BatchMatMulAttrs:
    adj_x: bool = False
    adj_y: bool = False


@cstruct("tg_batch_matmul_params")
@dataclass(frozen=True)
class BatchMatMulParams:
    lhs_offset: int
    rhs_offset: int
    output_offset: int
    quant: Quant
    rows: int
    cols: int
    depth: int
    lhs_row_stride: int
    lhs_depth_stride: int
    rhs_depth_stride: int
    rhs_col_stride: int
    batch: Broadcast


def _dims(op: Op):
    """(lhs batch, rhs batch, rows, depth of lhs, depth of rhs, cols) of the operands."""
    a: BatchMatMulAttrs = op.attrs
    x, w = op.inputs[0], op.inputs[1]
    r, dx = (x.shape[-1], x.shape[-2]) if a.adj_x else (x.shape[-2], x.shape[-1])
    dw, c = (w.shape[-1], w.shape[-2]) if a.adj_y else (w.shape[-2], w.shape[-1])
    return tuple(x.shape[:-2]), tuple(w.shape[:-2]), r, dx, dw, c


@register
class BatchMatMul(OpDef):
    kind = "BATCH_MATMUL"
    options = "BatchMatMulOptions"
    function = "tg_batch_matmul_s8"
    input_names = ("lhs", "rhs")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return BatchMatMulAttrs()
        return BatchMatMulAttrs(adj_x=bool(opts.adjX), adj_y=bool(opts.adjY))

    def write_options(self, a: BatchMatMulAttrs):
        o = schema.BatchMatMulOptionsT()
        o.adjX, o.adjY = bool(a.adj_x), bool(a.adj_y)
        return o

    def infer(self, op):
        bx, bw, r, _, _, c = _dims(op)
        b = broadcast_shape(bx, bw)
        if b is None:
            raise unsupported(op, f"batch dimensions {list(bx)} and {list(bw)} do not broadcast")
        return [tuple(b) + (r, c)]

    def check(self, op):
        if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
            raise unsupported(op, "expects two inputs and one output")
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        qx = check_int8_activation(op, x, "lhs")
        qw = check_int8_activation(op, w, "rhs")
        qy = check_int8_activation(op, y, "output")
        for t, what in ((x, "lhs"), (w, "rhs")):
            if not MIN_RANK <= t.rank <= MAX_RANK:
                raise unsupported(op, f"{what} {t.name!r} has rank {t.rank}; TFLite Micro supports ranks {MIN_RANK} to {MAX_RANK}")
            if t.size == 0:
                raise unsupported(op, f"{what} {t.name!r} has no elements")
        bx, bw, r, dx, dw, c = _dims(op)
        if dx != dw:
            raise unsupported(op, f"lhs {list(x.shape)} and rhs {list(w.shape)} do not multiply (depth {dx} vs {dw}; "
                                  f"adj_x={op.attrs.adj_x}, adj_y={op.attrs.adj_y})")
        check_shape(op, y, self.infer(op)[0])
        _, shift = per_tensor_multiplier(qx.s, qw.s, qy.s)
        if shift > 30:
            raise unsupported(op, f"rescaling factor is too large (shift {shift} > 30)")

    def prepare(self, op):
        a: BatchMatMulAttrs = op.attrs
        x, w, y = op.inputs[0], op.inputs[1], op.outputs[0]
        bx, bw, r, d, _, c = _dims(op)
        ob = tuple(y.shape[:-2])
        bcast = plan_broadcast(bx, bw, ob)
        # the loop nest's strides count matrices: scale them to elements
        xm, wm = r * d, d * c
        bcast = Broadcast(rank=bcast.rank, shape=bcast.shape, stride1=tuple(s * xm for s in bcast.stride1),
                          stride2=tuple(s * wm for s in bcast.stride2))
        mult, shift = per_tensor_multiplier(x.quant.s, w.quant.s, y.quant.s)
        return BatchMatMulParams(
            lhs_offset=-x.quant.zp, rhs_offset=-w.quant.zp, output_offset=y.quant.zp, quant=Quant(mult, shift),
            rows=r, cols=c, depth=d,
            lhs_row_stride=1 if a.adj_x else d, lhs_depth_stride=r if a.adj_x else 1,
            rhs_depth_stride=1 if a.adj_y else c, rhs_col_stride=d if a.adj_y else 1,
            batch=bcast)

    def macs(self, op):
        _, _, r, d, _, c = _dims(op)
        return int(np.prod(op.outputs[0].shape[:-2], dtype=np.int64)) * r * d * c
