"""PAD and PADV2: int8 constant padding, paddings from a constant int32 [rank, 2] tensor
(kernel: tg_pad_s8).

Like TFLite Micro, the stored input values are copied unchanged (no requantization, even if the
output's quantization differs); the pad value is the output zero point (PAD) or the given constant
(PADV2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cstruct import cstruct
from ..geometry import Region
from ..ir import Op, Tensor
from ..kernel_library import constant
from ..schema import schema
from .base import NoAttrs, OpDef, register, unsupported
from .common import check_dtype, check_int8_activation, check_shape, quant


@cstruct("tg_pad_params")
@dataclass(frozen=True)
class PadParams:
    """Shapes extended to TG_PAD_MAX_DIMS (TFLM's PadKernelMaxDimensionCount) with leading 1s."""

    input_dims: tuple[int, ...]
    before: tuple[int, ...]
    after: tuple[int, ...]
    pad_value: int   # stored int8 value written into the padding


def _extend(v: list[int], fill: int) -> tuple[int, ...]:
    return tuple([fill] * (constant("TG_PAD_MAX_DIMS") - len(v)) + [int(x) for x in v])


class _Pad(OpDef):
    n_inputs = 2
    function = "tg_pad_s8"

    def write_options(self, attrs):
        return getattr(schema, f"{self.options}T")()

    def infer(self, op):
        x, p = op.inputs[0], op.inputs[1]
        pads = np.asarray(p.data).reshape(-1, 2)
        return [tuple(int(d + a + b) for d, (a, b) in zip(x.shape, pads))]

    def check(self, op):
        if len(op.inputs) != self.n_inputs or len(op.outputs) != 1 or any(t is None for t in op.inputs):
            raise unsupported(op, f"expects {self.n_inputs} inputs and one output")
        x, p, y = op.inputs[0], op.inputs[1], op.outputs[0]
        check_dtype(op, x, "int8", what="input")
        check_int8_activation(op, y, "output")
        check_dtype(op, p, "int32", what="paddings")
        if not p.is_const:
            raise unsupported(op, f"paddings {p.name!r} are not constant")
        if x.rank > constant("TG_PAD_MAX_DIMS"):
            raise unsupported(op, f"input has rank {x.rank}; at most {constant('TG_PAD_MAX_DIMS')} is supported")
        if p.size != 2 * y.rank or y.rank != x.rank:
            raise unsupported(op, f"paddings {list(p.shape)} do not match input rank {x.rank} / output rank {y.rank}")
        if (np.asarray(p.data) < 0).any():
            raise unsupported(op, "negative paddings are not supported")
        check_shape(op, y, self.infer(op)[0])

    def pad_value(self, op) -> int:
        return op.outputs[0].quant.zp

    # -- patch-based inference: output rows [y0, y1) read input rows [y0 - top, y1 - top), clipped
    def input_regions(self, op, out: Region):
        x, y = op.inputs[0], op.outputs[0]
        # constant padding only: a mirrored border (MIRROR_PAD) depends on the image's edge, not
        # on the edge of a patch's region
        if op.kind not in ("PAD", "PADV2") or y.rank != 4 or x.rank != 4:
            return None
        pads = np.asarray(op.inputs[1].data).reshape(-1, 2)
        (t, _), (lft, _) = pads[out.axes[0]], pads[out.axes[1]]
        h, w = out.extent(x.shape)
        r = Region(max(0, out.y0 - int(t)), min(h, out.y1 - int(t)), max(0, out.x0 - int(lft)), min(w, out.x1 - int(lft)),
                   out.axes)
        return [r] + [None] * (len(op.inputs) - 1)

    def patch_op(self, op, inputs, output, buffers, out):
        """On a patch: the paddings that surround the input buffer's region to make the output's."""
        pads = np.asarray(op.inputs[1].data).reshape(-1, 2).copy()
        r_in = buffers[0]
        for ax, lo_in, hi_in, lo_out, hi_out in ((out.axes[0], r_in.y0, r_in.y1, out.y0, out.y1),
                                                 (out.axes[1], r_in.x0, r_in.x1, out.x0, out.x1)):
            before = int(pads[ax][0])
            pads[ax] = (lo_in + before - lo_out, hi_out - (hi_in + before))
        if (pads < 0).any():
            raise ValueError(f"patch region {out} of {op.label} is not covered by its input buffer {r_in}")
        p = Tensor(name=f"{op.inputs[1].name}[patch]", shape=op.inputs[1].shape, dtype="int32",
                   data=pads.astype(np.int32).reshape(op.inputs[1].shape))
        return Op(kind=op.kind, inputs=[inputs[0], p] + list(inputs[2:]), outputs=[output], attrs=op.attrs,
                  source_index=op.source_index)

    def overlap_gaps(self, op):
        return []

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/pad.c.j2")

    def prepare(self, op):
        x, p = op.inputs[0], op.inputs[1]
        pads = np.asarray(p.data).reshape(-1, 2)
        return PadParams(input_dims=_extend(list(x.shape), 1), before=_extend(list(pads[:, 0]), 0),
                         after=_extend(list(pads[:, 1]), 0), pad_value=self.pad_value(op))


@register
class Pad(_Pad):
    kind = "PAD"
    options = "PadOptions"

    def parse(self, opts, inputs, outputs):
        return NoAttrs()


@register
class PadV2(_Pad):
    kind = "PADV2"
    options = "PadV2Options"
    n_inputs = 3

    def parse(self, opts, inputs, outputs):
        return NoAttrs()

    def check(self, op):
        super().check(op)
        v, y = op.inputs[2], op.outputs[0]
        check_dtype(op, v, "int8", what="constant value")
        if not v.is_const or v.size != 1:
            raise unsupported(op, f"constant value {v.name!r} must be a constant with one element")
        qv, qy = quant(op, v, "constant value"), y.quant
        if qv.zp != qy.zp or float(qv.scale[0]) != float(qy.scale[0]):
            raise unsupported(op, f"constant value {v.name!r} must have the output's quantization")

    def pad_value(self, op) -> int:
        return int(np.asarray(op.inputs[2].data).reshape(-1)[0])
