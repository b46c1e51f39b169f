"""REDUCE_MAX and SUM over the axes given by a constant int32 tensor (kernels: tg_reduce_max;
SUM runs on MEAN's tg_mean_s8).

TFLite Micro (reduce_common.cc):
  REDUCE_MAX  int8 and float32; the stored values are compared, so an int8 input and output must
              share scale and zero point (checked when the model runs, refused here); each output
              starts at the type's lowest value and takes an input only when it is greater.
  SUM         int8: the int32 sum of (q - input zero point) over the reduced elements, times one
              multiplier, double(input scale) / double(output scale) (QuantizeMultiplier), plus
              the output zero point, clamped; MEAN's kernel with a multiplier that does not
              divide by the count.
Both reduce the axes in input order; duplicate and negative axes are resolved as in MEAN; no axis
at all copies the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant as Q
from ..cstruct import cstruct
from ..ir import Op
from ..kernel_library import constant
from .base import register, unsupported
from .common import check_dtype, check_int8_activation, check_shape
from .maximum_minimum import dtype_code
from .mean import LoopNest, Mean, MeanArgs, MeanParams, loop_nest, resolve_axes


@cstruct("tg_reduce_params")
@dataclass(frozen=True)
class ReduceParams:
    dtype: int
    outer: LoopNest
    inner: LoopNest


def reduce_axes(op: Op) -> list[int] | None:
    x, ax = op.inputs[0], op.inputs[1]
    return resolve_axes(np.asarray(ax.data).reshape(-1), x.rank)


def check_reduction(op: Op, dtypes: tuple[str, ...]) -> list[int]:
    """Operands, axes and output shape of a reduction; returns the resolved axes."""
    if len(op.inputs) != 2 or len(op.outputs) != 1 or op.inputs[0] is None or op.inputs[1] is None:
        raise unsupported(op, "expects an input, an axis tensor and one output")
    x, ax, y = op.inputs[0], op.inputs[1], op.outputs[0]
    check_dtype(op, x, *dtypes, what="input")
    if y.dtype != x.dtype:
        raise unsupported(op, f"output {y.name!r} has type {y.dtype} but the input has {x.dtype}")
    check_dtype(op, ax, "int32", what="axis")
    if not ax.is_const:
        raise unsupported(op, f"axis tensor {ax.name!r} is not constant")
    if x.size == 0:
        raise unsupported(op, f"input {x.name!r} has no elements (shape {list(x.shape)})")
    axes = reduce_axes(op)
    if axes is None:
        raise unsupported(op, f"axes {np.asarray(ax.data).reshape(-1).tolist()} are out of range for rank {x.rank}")
    if op.attrs.keep_dims:
        check_shape(op, y, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    else:
        check_shape(op, y, tuple(d for i, d in enumerate(x.shape) if i not in axes))
    kept = [i for i in range(x.rank) if i not in axes]
    max_dims = constant("TG_LOOP_NEST_MAX_DIMS")
    if loop_nest(x.shape, kept).count > max_dims or loop_nest(x.shape, sorted(axes)).count > max_dims:
        raise unsupported(op, f"reducing axes {axes} of {list(x.shape)} needs more than {max_dims} loop levels")
    return axes


class _Reduce(Mean):
    """A reduction with MEAN's options (keep_dims), axes and output shapes (and nothing of its
    kernels: MEAN's fast variants compute a mean)."""

    def lower(self, op, target):
        raise NotImplementedError

    def variants(self, op, target):
        return [self.lower(op, target)]

    def macs(self, op):
        return op.inputs[0].size


@register
class ReduceMax(_Reduce):
    kind = "REDUCE_MAX"
    function = "tg_reduce_max"
    float_types = True

    def check(self, op):
        check_reduction(op, ("int8", "float32"))
        x, y = op.inputs[0], op.outputs[0]
        if x.dtype == "int8":
            qx = check_int8_activation(op, x, "input")
            qy = check_int8_activation(op, y, "output")
            if np.float32(qx.s) != np.float32(qy.s) or qx.zp != qy.zp:
                raise unsupported(op, f"input and output quantizations differ ({qx.s:g}, {qx.zp} vs {qy.s:g}, {qy.zp}); "
                                      "TFLite Micro requires them equal")

    def prepare(self, op):
        x = op.inputs[0]
        axes = reduce_axes(op)
        kept = [i for i in range(x.rank) if i not in axes]
        return ReduceParams(dtype=dtype_code(x.dtype), outer=loop_nest(x.shape, kept),
                            inner=loop_nest(x.shape, sorted(axes)))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/reduce.c.j2")


def sum_multiplier(in_scale: float, out_scale: float) -> tuple[int, int]:
    return Q.quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))


@register
class Sum(_Reduce):
    kind = "SUM"
    function = "tg_mean_s8"

    def check(self, op):
        check_reduction(op, ("int8",))
        qx = check_int8_activation(op, op.inputs[0], "input")
        qy = check_int8_activation(op, op.outputs[0], "output")
        _, shift = sum_multiplier(qx.s, qy.s)
        if shift > 30:
            raise unsupported(op, f"input/output scale ratio {qx.s / qy.s:.6g} is too large (shift {shift} > 30)")

    def prepare(self, op):
        x, y = op.inputs[0], op.outputs[0]
        axes = reduce_axes(op)
        kept = [i for i in range(x.rank) if i not in axes]
        mult, shift = sum_multiplier(x.quant.s, y.quant.s)
        params = MeanParams(input_offset=-x.quant.zp, output_offset=y.quant.zp, multiplier=mult, shift=shift,
                            outer=loop_nest(x.shape, kept), inner=loop_nest(x.shape, sorted(axes)))
        return MeanArgs(params=params, count=int(np.prod([x.shape[a] for a in axes], dtype=np.int64)))

    def lower(self, op, target):
        return self.kernel(op, self.prepare(op), template="ops/sum.c.j2")


@register
class ReduceMin(ReduceMax):
    """REDUCE_MIN: as REDUCE_MAX with the comparison reversed, starting from the type's largest
    value (TFLite Micro's EvalMin)."""

    kind = "REDUCE_MIN"
    function = "tg_reduce_min"
