"""Pass `fold_pad`: a PAD (or PADV2) whose only readers are convolutions or max pooling is folded
into them as explicit per-side padding, so the padded tensor (often the model's largest: a PyTorch
export pads before every strided convolution) is never materialized.

Exactness. The kernels take (top, left) padding and treat every row/column outside the input as
padding (tinygen.ops.common.ExplicitPadding: bottom/right only fix the output size):
- CONV_2D / DEPTHWISE_CONV_2D skip padding taps. TFLM multiplies the padded value v by the
  weight after adding the input offset (-zero point): the tap adds w * (v - zp), which is 0 for
  every weight exactly when v equals the input zero point. So the fold needs the pad value to be
  the zero point, and the PAD's input and output to share one quantization (the convolution's
  requantization uses its input's scale and zero point; PAD copies stored values unchanged).
- MAX_POOL_2D skips padding elements (TFLM's SAME padding too). The padded value v cannot change
  a maximum when v is at most every value the input can hold (its producer's activation clamp, or
  -128); a window made of padding alone gives v in TFLM and -128 (then the activation clamp) here,
  so such windows are allowed only when v = -128 or the clamp lifts both to the same value.
- anything else (AVERAGE_POOL_2D counts padding elements; MIRROR_PAD's values depend on the input;
  padding of the batch or channel axes; a PAD read by any other operator or a graph output) keeps
  the PAD, with the reason recorded.
Folded operators are checked again by their own check(); a refusal keeps the PAD.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .. import quant as Q
from ..errors import UnsupportedError
from ..ir import Graph, Op, Tensor
from ..ops import op_def
from ..ops.common import ExplicitPadding, window_padding

PAD_KINDS = ("PAD", "PADV2", "MIRROR_PAD")
CONV_KINDS = ("CONV_2D", "DEPTHWISE_CONV_2D")
FOLD_KINDS = CONV_KINDS + ("MAX_POOL_2D",)
#: producers whose fused activation bounds their output from below
_RELU_OPS = {"RELU": 0.0, "RELU6": 0.0, "RELU_N1_TO_1": -1.0}


@dataclass(frozen=True)
class FoldedPad:
    pad: str            # the PAD's label, e.g. "PAD #3"
    into: tuple[str, ...]
    bytes_saved: int    # the padded tensor's size


@dataclass(frozen=True)
class KeptPad:
    pad: str
    reason: str


@dataclass
class FoldPadResult:
    folded: list[FoldedPad] = field(default_factory=list)
    kept: list[KeptPad] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(folded=[dict(pad=f.pad, into=list(f.into), bytes_saved=f.bytes_saved) for f in self.folded],
                    kept=[dict(pad=k.pad, reason=k.reason) for k in self.kept])


def pad_value(op: Op) -> int | None:
    """The stored value PAD/PADV2 writes into the padding (None for MIRROR_PAD)."""
    if op.kind == "PAD":
        return op.outputs[0].quant.zp
    if op.kind == "PADV2":
        return int(np.asarray(op.inputs[2].data).reshape(-1)[0])
    return None


def lower_bound(graph: Graph, t: Tensor) -> int:
    """The smallest stored int8 value tensor t can hold, from its producer's activation clamp."""
    prod = graph.producer(t)
    q = t.quant
    if prod is None or q is None:
        return Q.INT8_MIN
    act = getattr(prod.attrs, "activation", None)
    if isinstance(act, str) and act in ("RELU", "RELU6", "RELU_N1_TO_1"):
        return Q.activation_range(act, q.s, q.zp)[0]
    if prod.kind in _RELU_OPS:
        return max(Q.INT8_MIN, Q.quantize_value(q.s, q.zp, _RELU_OPS[prod.kind]))
    return Q.INT8_MIN


def _combined(consumer: Op, pads: np.ndarray, padded: Tensor) -> ExplicitPadding:
    """The consumer's own padding on the padded tensor plus the PAD's, per side."""
    d = op_def(consumer)
    k, s, dl = d.window(consumer)
    y = consumer.outputs[0]
    own = []
    for ax in (0, 1):
        if consumer.attrs.padding == "VALID":
            own.append((0, 0))
        else:
            before, extra = Q.padding_with_offset(s[ax], dl[ax], padded.shape[1 + ax], k[ax], y.shape[1 + ax])
            own.append((before, before + extra))
    (pt, pb), (pl, pr) = pads[1], pads[2]
    return ExplicitPadding(top=int(pt) + own[0][0], bottom=int(pb) + own[0][1],
                           left=int(pl) + own[1][0], right=int(pr) + own[1][1])


def _all_padding_window(consumer: Op, x: Tensor, p: ExplicitPadding) -> bool:
    """Some output pixel's window lies entirely in the padding."""
    d = op_def(consumer)
    k, s, _ = d.window(consumer)
    y = consumer.outputs[0]
    for ax in (0, 1):
        n = x.shape[1 + ax]
        pad0 = (p.top, p.left)[ax]
        for o in range(y.shape[1 + ax]):
            lo = o * s[ax] - pad0
            if lo + k[ax] <= 0 or lo >= n:
                return True
    return False


def _why_not(graph: Graph, pad: Op, consumers: list[Op]) -> str | None:
    """None when the PAD folds exactly into all its consumers, else the reason it stays."""
    if pad.kind == "MIRROR_PAD":
        return "mirror padding depends on the input values: no constant to fold"
    x, y = pad.inputs[0], pad.outputs[0]
    if graph.is_graph_output(y):
        return "the padded tensor is a graph output"
    if x.rank != 4 or x.dtype != "int8":
        return "not a 4-D int8 tensor"
    pads = np.asarray(pad.inputs[1].data).reshape(-1, 2)
    if pads[0].any() or pads[3].any():
        return "pads the batch or channel axis"
    if not consumers:
        return "its output is not read"
    for c in consumers:
        if c.kind not in FOLD_KINDS:
            return f"read by {c.label}, which cannot take the padding"
        if c.inputs[0] is not y or any(t is y for t in c.inputs[1:]):
            return f"{c.label} reads the padded tensor as a weight"
        if not isinstance(c.attrs.padding, str):
            return f"{c.label} already has explicit padding"
    if x.quant is None or not x.quant.same_as(y.quant):
        return "the PAD's input and output quantizations differ"
    v = pad_value(pad)
    for c in consumers:
        if c.kind in CONV_KINDS and v != y.quant.zp:
            return f"pad value {v} is not the zero point {y.quant.zp} that {c.label} treats as padding"
        if c.kind == "MAX_POOL_2D":
            lb = lower_bound(graph, x)
            if v > lb:
                return f"pad value {v} can exceed the input's values (lower bound {lb}) in {c.label}'s maximum"
            act_min = Q.activation_range(c.attrs.activation, c.outputs[0].quant.s, c.outputs[0].quant.zp)[0]
            if v != Q.INT8_MIN and act_min < v and _all_padding_window(c, x, _combined(c, pads, y)):
                return f"{c.label} has a window of padding alone, where the pad value {v} would be its output"
    return None


def run(graph: Graph) -> FoldPadResult:
    res = FoldPadResult()
    consumers_of = graph.consumers_map()
    for pad in [op for op in graph.ops if op.kind in PAD_KINDS]:
        y = pad.outputs[0]
        consumers = consumers_of.get(id(y), [])
        why = _why_not(graph, pad, consumers)
        if why is None:
            why = _fold(graph, pad, consumers)
        if why is not None:
            res.kept.append(KeptPad(pad=pad.label, reason=why))
            continue
        res.folded.append(FoldedPad(pad=pad.label, into=tuple(c.label for c in consumers), bytes_saved=y.nbytes))
    return res


def _fold(graph: Graph, pad: Op, consumers: list[Op]) -> str | None:
    x, y = pad.inputs[0], pad.outputs[0]
    pads = np.asarray(pad.inputs[1].data).reshape(-1, 2)
    saved = [(c, list(c.inputs), c.attrs) for c in consumers]
    try:
        for c in consumers:
            p = _combined(c, pads, y)
            c.inputs = [x] + list(c.inputs[1:])
            c.attrs = replace(c.attrs, padding=p)
            d = op_def(c)
            if tuple(d.infer(c)[0]) != tuple(c.outputs[0].shape):
                raise UnsupportedError(f"{c.label}: folded padding {p} changes the output shape")
            k, s, dl = d.window(c)
            if window_padding(c, k, s, dl, p) != (p.top, p.left):
                raise UnsupportedError(f"{c.label}: padding not taken")
            d.check(c)
    except UnsupportedError as e:
        for c, ins, attrs in saved:
            c.inputs, c.attrs = ins, attrs
        return f"the folded operator is refused ({e})"
    graph.ops = [op for op in graph.ops if op is not pad]
    return None
