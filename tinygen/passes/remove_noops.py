"""Pass `remove_noops`: operators whose output equals their input, bit for bit, are removed and
their readers read the input instead:
- RESHAPE / SQUEEZE / EXPAND_DIMS to the same shape, and a chain of them collapsed into one;
- QUANTIZE int8 -> int8 with identical scale and zero point (TFLM's requantization with a
  multiplier of exactly 1 returns its input);
- DEQUANTIZE followed by QUANTIZE back to the same int8 quantization (the float round trip is
  exact: |q - zp| <= 255 stays far within float32's 24-bit significand, and the division's
  relative error 2^-24 cannot move the rounding);
- CONCATENATION of one input; PAD/PADV2/MIRROR_PAD with all-zero paddings; TRANSPOSE whose permutation only
  moves size-1 axes (the bytes keep their order: it becomes a RESHAPE, which costs no code);
- a TRANSPOSE read only by a MEAN (keep_dims false) whose kept axes stay in the same order: the
  MEAN reduces the untransposed input over the permuted axes (a PyTorch export's NHWC -> NCHW
  transpose before its global average pool). The same elements are summed (integer sums do not
  depend on the order) and the outputs come out in the same order.
An operator whose output is a graph output is kept when the replacement would make a graph input
a graph output too (the caller's buffers must stay distinct).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ir import Graph, Op, Tensor
from ..ops.reshape import ReshapeAttrs

ALIAS_KINDS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


@dataclass(frozen=True)
class RemovedOp:
    op: str       # label, e.g. "QUANTIZE #4"
    why: str


@dataclass
class RemoveNoopsResult:
    removed: list[RemovedOp] = field(default_factory=list)
    #: TRANSPOSE operators turned into a RESHAPE (no data movement)
    transposes_to_reshape: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(removed=[dict(op=r.op, why=r.why) for r in self.removed],
                    transposes_to_reshape=list(self.transposes_to_reshape))


def _same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return a.quant.same_as(b.quant)


def _identity_of(graph: Graph, op: Op, consumers: dict[int, list[Op]]) -> tuple[Tensor, str] | None:
    """(the tensor the output equals, why) when `op` is a no-op."""
    if len(op.outputs) != 1 or not op.inputs or op.inputs[0] is None:
        return None
    x, y = op.inputs[0], op.outputs[0]
    if x.dtype != y.dtype and op.kind != "QUANTIZE":
        return None
    if op.kind in ALIAS_KINDS:
        if tuple(x.shape) == tuple(y.shape) and _same_quant(x, y):
            return x, "reshape to the same shape"
        # a chain: the producer is itself an alias; read the chain's first input
        prod = graph.producer(x)
        if prod is not None and prod.kind in ALIAS_KINDS and len(consumers.get(id(x), [])) == 1 \
                and not graph.is_graph_output(x) and tuple(prod.inputs[0].shape) == tuple(y.shape) \
                and _same_quant(prod.inputs[0], y):
            return prod.inputs[0], "reshape chain back to the original shape"
        return None
    if op.kind == "QUANTIZE":
        if x.dtype == "int8" and y.dtype == "int8" and _same_quant(x, y):
            return x, "requantization with identical parameters"
        if x.dtype == "float32" and y.dtype == "int8":
            prod = graph.producer(x)
            if prod is not None and prod.kind == "DEQUANTIZE" and _same_quant(prod.inputs[0], y) \
                    and len(consumers.get(id(x), [])) == 1 and not graph.is_graph_output(x):
                return prod.inputs[0], "DEQUANTIZE/QUANTIZE round trip to the same quantization"
        return None
    if op.kind == "CONCATENATION":
        if len(op.inputs) == 1 and _same_quant(x, y) and tuple(x.shape) == tuple(y.shape):
            return x, "concatenation of one input"
        return None
    if op.kind in ("PAD", "PADV2", "MIRROR_PAD"):
        p = op.inputs[1]
        if p is not None and p.is_const and not np.asarray(p.data).any() and _same_quant(x, y):
            return x, "zero padding"
        return None
    return None


def _size1_transpose(op: Op) -> bool:
    """A TRANSPOSE moving only size-1 axes: the non-1 axes keep their relative order."""
    if op.kind != "TRANSPOSE" or len(op.inputs) != 2 or op.inputs[1] is None or not op.inputs[1].is_const:
        return False
    x = op.inputs[0]
    perm = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    kept = [p for p in perm if x.shape[p] != 1]
    return kept == sorted(kept) and _same_quant(x, op.outputs[0])


def _absorbed_transpose(graph: Graph, op: Op, consumers: dict[int, list[Op]]) -> tuple[Op, list[int]] | None:
    """(the MEAN, its axes on the TRANSPOSE's input) when `op` is a TRANSPOSE a MEAN can absorb."""
    if op.kind != "TRANSPOSE" or op.inputs[1] is None or not op.inputs[1].is_const:
        return None
    y = op.outputs[0]
    readers = consumers.get(id(y), [])
    if len(readers) != 1 or graph.is_graph_output(y):
        return None
    mean = readers[0]
    if mean.kind != "MEAN" or mean.inputs[0] is not y or getattr(mean.attrs, "keep_dims", True) \
            or mean.inputs[1] is None or not mean.inputs[1].is_const or not _same_quant(op.inputs[0], y):
        return None
    perm = [int(v) for v in np.asarray(op.inputs[1].data).reshape(-1)]
    axes = sorted({int(a) % y.rank for a in np.asarray(mean.inputs[1].data).reshape(-1)})
    kept = [perm[a] for a in range(y.rank) if a not in axes]
    if kept != sorted(kept):
        return None
    return mean, sorted(perm[a] for a in axes)


def run(graph: Graph) -> RemoveNoopsResult:
    res = RemoveNoopsResult()
    consumers = graph.consumers_map()
    for op in list(graph.ops):
        found = _absorbed_transpose(graph, op, consumers)
        if found is None:
            continue
        mean, axes = found
        ax = mean.inputs[1]
        mean.inputs = [op.inputs[0], Tensor(name=f"{ax.name}/untransposed", shape=(len(axes),), dtype="int32",
                                            data=np.array(axes, dtype=np.int32))] + list(mean.inputs[2:])
        mean.kernel = None
        graph.ops = [o for o in graph.ops if o is not op]
        res.removed.append(RemovedOp(op=op.label, why=f"transpose absorbed by {mean.label} (axes {axes})"))
    for op in graph.ops:
        if _size1_transpose(op) and not (graph.is_graph_input(op.inputs[0]) and graph.is_graph_output(op.outputs[0])):
            y = op.outputs[0]
            shape = Tensor(name=f"{y.name}/shape", shape=(y.rank,), dtype="int32",
                           data=np.array(y.shape, dtype=np.int32))
            op.kind, op.inputs, op.attrs = "RESHAPE", [op.inputs[0], shape], ReshapeAttrs(new_shape=tuple(y.shape))
            op.kernel = None
            res.transposes_to_reshape.append(op.label.replace("RESHAPE", "TRANSPOSE"))
    changed = True
    while changed:
        changed = False
        consumers = graph.consumers_map()
        for op in list(graph.ops):
            found = _identity_of(graph, op, consumers)
            if found is None:
                continue
            src, why = found
            y = op.outputs[0]
            if graph.is_graph_output(y) and (graph.is_graph_input(src) or graph.is_graph_output(src)):
                continue
            _replace_uses(graph, y, src)
            graph.ops = [o for o in graph.ops if o is not op]
            res.removed.append(RemovedOp(op=op.label, why=why))
            # the producer of a removed chain/round trip may now be unread: drop it too
            _drop_unread(graph, res)
            changed = True
            break
    return res


def _replace_uses(graph: Graph, old: Tensor, new: Tensor) -> None:
    for o in graph.ops:
        o.inputs = [new if t is old else t for t in o.inputs]
    graph.outputs = [new if t is old else t for t in graph.outputs]


def _drop_unread(graph: Graph, res: RemoveNoopsResult) -> None:
    """Remove alias/DEQUANTIZE operators whose outputs nobody reads any more (left over by a
    collapsed chain or round trip)."""
    while True:
        read = {id(t) for o in graph.ops for t in o.inputs if t is not None} | {id(t) for t in graph.outputs}
        dead = [o for o in graph.ops if o.kind in ALIAS_KINDS + ("DEQUANTIZE",)
                and all(id(t) not in read for t in o.outputs)]
        if not dead:
            return
        for o in dead:
            res.removed.append(RemovedOp(op=o.label, why="its output is no longer read"))
        graph.ops = [o for o in graph.ops if o not in dead]
