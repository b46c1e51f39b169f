"""TRANSPOSE_CONV: int8 transposed convolution with per-tensor or per-channel weights (kernel:
tg_transpose_conv_s8).

TFLite Micro (transpose_conv.cc, reference_integer_ops::TransposeConv) reads inputs
[output_shape, filter {C_out, KH, KW, C_in}, input, optional int32 bias] and ignores the
output_shape operand: the output tensor's own shape counts. Its padding comes from the *output*
height and width through ComputePaddingHeightWidth (dilation 1), as computed here. It scatters every
input pixel into an int32 buffer of the whole output; tg_transpose_conv_s8 gathers, output pixel by
output pixel, the same products instead (the int32 sums wrap the same way, whatever the order), so
it needs no scratch memory. The filter's zero point is not used (TFLite Micro ignores it too);
requantization is TFLite Micro's per-channel multiplier and shift with double rounding.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..cstruct import HW, Dims, PerChannelQuant, Range, cstruct
from ..geometry import Region
from ..schema import schema
from .base import OpDef, register, unsupported
from .common import (
    activation_range,
    check_dtype,
    check_fused,
    check_int8_activation,
    check_rank,
    dims4,
    fused_activation,
    fused_activation_code,
    padding_code,
    padding_name,
    quant,
)
from .conv2d import per_channel_multipliers
from .remap import gap_for_reads


@dataclass
class TransposeConvAttrs:
    #: "SAME" | "VALID", or explicit (top, left) padding (an operator of a patch)
    padding: str | tuple[int, int] = "SAME"
    stride: tuple[int, int] = (1, 1)
    activation: str = "NONE"


@cstruct("tg_transpose_conv_params")
@dataclass(frozen=True)
class TransposeConvParams:
    input_offset: int
    output_offset: int
    stride: HW
    padding: HW
    activation: Range


@dataclass(frozen=True)
class TransposeConvArgs:
    params: TransposeConvParams
    quant: PerChannelQuant
    input_dims: Dims
    filter_dims: Dims
    output_dims: Dims


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def tflm_padding(padding: str, stride: tuple[int, int], kernel: tuple[int, int], out_hw: tuple[int, int]) -> tuple[int, int]:
    """ComputePaddingHeightWidth(stride, dilation 1, the output's height and width, filter):
    both paddings 0 when either windowed size is invalid, as TFLite Micro leaves them."""
    sizes = []
    for s, k, n in zip(stride, kernel, out_hw):
        v = _c_div(n + s - 1, s) if padding == "SAME" else _c_div(n + s - k, s)
        if v < 0:
            return (0, 0)
        sizes.append(v)
    return tuple(max(0, (o - 1) * s + k - n) // 2 for o, s, k, n in zip(sizes, stride, kernel, out_hw))  # type: ignore[return-value]


def input_span(o: int, pad: int, stride: int, k: int, size: int) -> tuple[int, int]:
    """Input indices [first, end) contributing to output index o (tap o + pad - i * stride in [0, k))."""
    t = o + pad
    lo = t - k + 1
    first = 0 if lo <= 0 else -(-lo // stride)
    last = min(size - 1, t // stride) if t >= 0 else -1
    return first, max(first, last + 1)


@register
class TransposeConv(OpDef):
    kind = "TRANSPOSE_CONV"
    options = "TransposeConvOptions"
    function = "tg_transpose_conv_s8"
    input_names = ("output_shape", "filter", "input", "bias")

    def parse(self, opts, inputs, outputs):
        if opts is None:
            return TransposeConvAttrs(padding="")
        return TransposeConvAttrs(padding=padding_name(opts.padding), stride=(int(opts.strideH), int(opts.strideW)),
                                  activation=fused_activation(opts.fusedActivationFunction))

    def write_options(self, a: TransposeConvAttrs):
        o = schema.TransposeConvOptionsT()
        o.padding = padding_code(a.padding)
        o.strideH, o.strideW = a.stride
        o.fusedActivationFunction = fused_activation_code(a.activation)
        return o

    def infer(self, op):
        return [tuple(int(v) for v in np.asarray(op.inputs[0].data).reshape(-1))]

    def _padding(self, op) -> tuple[int, int]:
        if isinstance(op.attrs.padding, tuple):
            return op.attrs.padding
        w, y = op.inputs[1], op.outputs[0]
        return tflm_padding(op.attrs.padding, op.attrs.stride, tuple(w.shape[1:3]), tuple(y.shape[1:3]))

    # -- patches ---------------------------------------------------------------------------------
    places_regions = True

    def input_regions(self, op, out):
        if out.axes != (1, 2):  # NHWC rows and columns only
            return None
        w, x = op.inputs[1], op.inputs[2]
        (ph, pw), (sh, sw) = self._padding(op), op.attrs.stride
        rows = [input_span(o, ph, sh, w.shape[1], x.shape[1]) for o in range(out.y0, out.y1)]
        cols = [input_span(o, pw, sw, w.shape[2], x.shape[2]) for o in range(out.x0, out.x1)]
        rows, cols = [r for r in rows if r[1] > r[0]], [c for c in cols if c[1] > c[0]]
        if not rows or not cols:  # no input pixel reaches this region: nothing to patch
            return None
        region = Region(min(f for f, _ in rows), max(e for _, e in rows), min(f for f, _ in cols), max(e for _, e in cols))
        return [None, None, region] + [None] * (len(op.inputs) - 3)

    def local_attrs(self, op, in_regions, out_region):
        """Output row o of the region and input row i of the buffer are image rows o + y0 and
        i + r_in.y0: the tap o + y0 + pad - (i + r_in.y0) * stride needs padding
        pad + y0 - r_in.y0 * stride (likewise for columns)."""
        (ph, pw), (sh, sw) = self._padding(op), op.attrs.stride
        r_in = in_regions[2]
        return dataclasses.replace(op.attrs, padding=(ph + out_region.y0 - r_in.y0 * sh,
                                                      pw + out_region.x0 - r_in.x0 * sw))

    def check(self, op):
        a: TransposeConvAttrs = op.attrs
        if len(op.inputs) not in (3, 4) or len(op.outputs) != 1 or op.inputs[1] is None or op.inputs[2] is None:
            raise unsupported(op, "expects output_shape, filter, input, an optional bias and one output")
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        b = op.inputs[3] if len(op.inputs) > 3 else None
        check_int8_activation(op, x, "input")
        check_int8_activation(op, y, "output")
        check_dtype(op, w, "int8", what="filter")
        for t, what in ((x, "input"), (w, "filter"), (y, "output")):
            check_rank(op, t, 4, what=what)
        if not w.is_const:
            raise unsupported(op, f"filter {w.name!r} is not constant; tinygen keeps weights in flash")
        wq = quant(op, w, "filter")
        cout = w.shape[0]
        if wq.scale.size not in (1, cout):
            raise unsupported(op, f"filter has {wq.scale.size} scales for {cout} output channels")
        if b is not None:
            check_dtype(op, b, "int32", what="bias")
            if not b.is_const or b.size != cout:
                raise unsupported(op, f"bias {b.name!r} must be a constant of {cout} int32 values")
        if a.padding not in ("SAME", "VALID"):
            raise unsupported(op, f"padding {a.padding or '(no options)'}")
        if min(a.stride) < 1:
            raise unsupported(op, f"stride {a.stride} must be >= 1")
        check_fused(op, a.activation)
        if w.shape[3] != x.shape[3]:
            raise unsupported(op, f"filter depth {w.shape[3]} differs from the input's {x.shape[3]} channels")
        if y.shape[0] != x.shape[0] or y.shape[3] != cout:
            raise unsupported(op, f"output {y.name!r} has shape {list(y.shape)}; expected batch {x.shape[0]} and "
                                  f"{cout} channels")
        if any(t.size == 0 for t in (x, w, y)):
            raise unsupported(op, "a tensor has no elements")

    def prepare(self, op) -> TransposeConvArgs:
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        a: TransposeConvAttrs = op.attrs
        mult, shift = per_channel_multipliers(op, x.quant.s, w.quant, y.quant.s, w.shape[0])
        params = TransposeConvParams(input_offset=-x.quant.zp, output_offset=y.quant.zp, stride=HW(*a.stride),
                                     padding=HW(*self._padding(op)), activation=activation_range(a.activation, y))
        return TransposeConvArgs(params=params, quant=PerChannelQuant(multiplier=mult, shift=shift),
                                 input_dims=dims4(x.shape), filter_dims=dims4(w.shape), output_dims=dims4(y.shape))

    def _spans(self, op) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        w, x, y = op.inputs[1], op.inputs[2], op.outputs[0]
        (ph, pw), (sh, sw) = self._padding(op), op.attrs.stride
        rows = [input_span(o, ph, sh, w.shape[1], x.shape[1]) for o in range(y.shape[1])]
        cols = [input_span(o, pw, sw, w.shape[2], x.shape[2]) for o in range(y.shape[2])]
        return rows, cols

    def macs(self, op):
        w, x = op.inputs[1], op.inputs[2]
        rows, cols = self._spans(op)
        taps = sum(e - f for f, e in rows) * sum(e - f for f, e in cols)
        return x.shape[0] * taps * w.shape[0] * w.shape[3]

    def overlap_gaps(self, op):
        x, y = op.inputs[2], op.outputs[0]
        if x.is_const:
            return []
        n, h, wd, c = x.shape
        rows, cols = self._spans(op)
        end = n * h * wd * c  # an output pixel no input pixel reaches reads nothing
        per_image = np.array([[(f * wd + g) * c if e > f and k > g else end for g, k in cols] for f, e in rows],
                             dtype=np.int64).reshape(-1)
        reads = np.concatenate([np.where(per_image < end, per_image + i * h * wd * c, end) for i in range(n)])
        return [(2, 0, gap_for_reads(reads, y.shape[3]))]
