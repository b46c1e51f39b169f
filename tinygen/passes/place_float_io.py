"""Pass `place_float_io`: in float-I/O models, QUANTIZE runs as early and DEQUANTIZE as late as
exact data movement allows, so layout operators (TRANSPOSE of an NCHW input, RESHAPE, SQUEEZE,
EXPAND_DIMS) move int8 values instead of float32 ones (a quarter of the bytes):

    float x -> TRANSPOSE -> QUANTIZE -> ...     becomes    float x -> QUANTIZE -> TRANSPOSE -> ...
    ... -> DEQUANTIZE -> RESHAPE -> float y      becomes    ... -> RESHAPE -> DEQUANTIZE -> float y

Exact: QUANTIZE and DEQUANTIZE (per-tensor) map every element on its own, and the layout operator
only moves elements, so both orders give the same bits. The QUANTIZE then reads the graph input
directly, which lets it run patch by patch in a patch stage and write its int8 output over the
float input it consumes (tinygen.ops.quantize's overlap gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Graph, Op, Tensor

LAYOUT_KINDS = ("TRANSPOSE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS")


@dataclass(frozen=True)
class MovedOp:
    op: str       # the QUANTIZE / DEQUANTIZE label
    past: str     # the layout operator it moved across
    bytes_saved: int  # bytes of the float tensor no longer materialized between the two


@dataclass
class PlaceFloatIOResult:
    moved: list[MovedOp] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(moved=[dict(op=m.op, past=m.past, bytes_saved=m.bytes_saved) for m in self.moved])


def _per_tensor(t: Tensor) -> bool:
    return t.quant is not None and not t.quant.per_channel


def _sole_reader(graph: Graph, t: Tensor, readers: dict[int, list[Op]]) -> Op | None:
    rs = readers.get(id(t), [])
    if len(rs) != 1 or graph.is_graph_output(t):
        return None
    return rs[0]


def _swap_quantize(graph: Graph, layout: Op, quant: Op) -> None:
    """float x -L-> t -Q-> q   =>   float x -Q-> q' -L-> q (q keeps its identity: later readers)."""
    x, t, q = layout.inputs[0], layout.outputs[0], quant.outputs[0]
    q_mid = Tensor(name=f"{q.name}/before_{layout.kind.lower()}", shape=x.shape, dtype=q.dtype, quant=q.quant)
    quant.inputs, quant.outputs = [x], [q_mid]
    layout.inputs, layout.outputs = [q_mid] + list(layout.inputs[1:]), [q]
    _ = t
    i, j = graph.ops.index(layout), graph.ops.index(quant)
    graph.ops[i], graph.ops[j] = quant, layout


def _swap_dequantize(graph: Graph, deq: Op, layout: Op) -> None:
    """q -D-> float f -L-> float g   =>   q -L-> q' -D-> g."""
    q, g = deq.inputs[0], layout.outputs[0]
    q_mid = Tensor(name=f"{g.name}/int8", shape=g.shape, dtype=q.dtype, quant=q.quant)
    layout.inputs, layout.outputs = [q] + list(layout.inputs[1:]), [q_mid]
    deq.inputs, deq.outputs = [q_mid], [g]
    i, j = graph.ops.index(deq), graph.ops.index(layout)
    graph.ops[i], graph.ops[j] = layout, deq


def run(graph: Graph) -> PlaceFloatIOResult:
    res = PlaceFloatIOResult()
    changed = True
    while changed:
        changed = False
        readers = graph.consumers_map()
        producers = graph.producers_map()
        for op in graph.ops:
            if op.kind == "QUANTIZE" and op.inputs[0].dtype == "float32" and _per_tensor(op.outputs[0]):
                layout = producers.get(id(op.inputs[0]))
                if layout is None or layout.kind not in LAYOUT_KINDS or layout.inputs[0].dtype != "float32":
                    continue
                if _sole_reader(graph, layout.outputs[0], readers) is not op:
                    continue
                saved = layout.outputs[0].nbytes
                _swap_quantize(graph, layout, op)
                res.moved.append(MovedOp(op=op.label, past=layout.label, bytes_saved=saved))
                changed = True
                break
            if op.kind == "DEQUANTIZE" and op.outputs[0].dtype == "float32" and _per_tensor(op.inputs[0]):
                layout = _sole_reader(graph, op.outputs[0], readers)
                if layout is None or layout.kind not in LAYOUT_KINDS or layout.inputs[0] is not op.outputs[0]:
                    continue
                saved = op.outputs[0].nbytes
                _swap_dequantize(graph, op, layout)
                res.moved.append(MovedOp(op=op.label, past=layout.label, bytes_saved=saved))
                changed = True
                break
    return res
