"""Buffer lifetimes (tinygen.memory.liveness) and the order-independent ValueModel the scheduler
uses: the two must agree on every topological order."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.ir import Graph, Op, Tensor
from tinygen.memory import MemoryProblem, StepMemory, live_buffers_per_op, live_bytes_per_op
from tinygen.memory import compute_buffers as _compute_buffers
from tinygen.memory import value_model as _value_model
from tinygen.ops import op_def


def problem(g, scratch_by_op=None):
    """The graph as memory sees it, with scratch bytes given per operator (by id)."""
    steps = [StepMemory(scratch=(scratch_by_op or {}).get(id(o), 0), alias=op_def(o).alias) for o in g.ops]
    return MemoryProblem(ops=list(g.ops), inputs=list(g.inputs), outputs=list(g.outputs), steps=steps)


def compute_buffers(g, scratch=None, io_in_arena=True):
    """Buffers of g with scratch bytes given per operator position."""
    return _compute_buffers(problem(g, {id(g.ops[p]): n for p, n in (scratch or {}).items()}), io_in_arena)


def value_model(g, scratch=None, io_in_arena=True):
    return _value_model(problem(g, scratch), io_in_arena=io_in_arena)


def t(name, nbytes, const=False):
    return Tensor(name, (nbytes,), "int8", data=np.zeros(nbytes, np.int8) if const else None)


def op(kind, ins, outs):
    return Op(kind=kind, inputs=list(ins), outputs=list(outs))


def by_name(bufs):
    return {b.tensors[0].name if b.kind == "tensor" else b.id: b for b in bufs}


def test_chain_lifetimes_inputs_from_start_outputs_to_end():
    x, a, b, c, y = t("x", 10), t("a", 20), t("b", 30), t("c", 40), t("y", 5)
    w = t("w", 7, const=True)
    side = t("side", 3)  # a second graph input, first read by the last op
    g = Graph("g", [op("CONV_2D", [x, w], [a]), op("CONV_2D", [a], [b]), op("CONV_2D", [b], [c]),
                    op("ADD", [c, side], [y])], [x, side], [y, a])
    bufs = by_name(compute_buffers(g))
    assert "w" not in bufs  # constants are not in the arena
    assert (bufs["x"].first, bufs["x"].last) == (0, 0)
    assert (bufs["side"].first, bufs["side"].last) == (0, 3)  # written before the first op
    assert (bufs["a"].first, bufs["a"].last) == (0, 3)  # a graph output: kept to the end
    assert (bufs["b"].first, bufs["b"].last) == (1, 2)
    assert (bufs["y"].first, bufs["y"].last) == (3, 3)
    assert live_bytes_per_op(list(bufs.values()), 4) == [10 + 3 + 20, 3 + 20 + 30, 3 + 20 + 30 + 40, 3 + 20 + 40 + 5]


def test_alias_ops_share_their_input_buffer():
    x, a, r, s, y = t("x", 8), t("a", 24), t("r", 24), t("s", 24), t("y", 4)
    g = Graph("g", [op("CONV_2D", [x], [a]), op("RESHAPE", [a], [r]), op("SQUEEZE", [r], [s]),
                    op("CONV_2D", [s], [y])], [x], [y])
    bufs = compute_buffers(g)
    shared = [b for b in bufs if any(tt is a for tt in b.tensors)]
    assert len(shared) == 1
    b = shared[0]
    assert {tt.name for tt in b.tensors} == {"a", "r", "s"}
    assert (b.first, b.last, b.size) == (0, 3, 24)
    assert len(bufs) == 3


def test_alias_of_a_constant_gets_no_arena_buffer():
    w, r, x, y = t("w", 16, const=True), t("r", 16), t("x", 16), t("y", 16)
    g = Graph("g", [op("RESHAPE", [w], [r]), op("ADD", [x, r], [y])], [x], [y])
    bufs = compute_buffers(g)
    assert sorted(b.tensors[0].name for b in bufs) == ["x", "y"]


def test_io_outside_the_arena_and_scratch_buffers():
    x, a, y = t("x", 10), t("a", 20), t("y", 5)
    g = Graph("g", [op("CONV_2D", [x], [a]), op("CONV_2D", [a], [y])], [x], [y])
    bufs = compute_buffers(g, scratch={1: 64, 0: 0}, io_in_arena=False)
    assert [(b.kind, b.size, b.first, b.last) for b in bufs] == [("tensor", 20, 0, 1), ("scratch", 64, 1, 1)]
    assert bufs[1].op is g.ops[1] and bufs[1].names == ["scratch of CONV_2D"]
    assert live_bytes_per_op(bufs, 2) == [20, 84]
    assert [[b.size for b in live] for live in live_buffers_per_op(bufs, 2)] == [[20], [20, 64]]


def test_graph_input_nobody_reads_lives_at_the_first_step_only():
    x, unused, y = t("x", 10), t("unused", 100), t("y", 5)
    g = Graph("g", [op("CONV_2D", [x], [t("a", 1)]), op("CONV_2D", [x], [y])], [x, unused], [y])
    bufs = by_name(compute_buffers(g))
    assert (bufs["unused"].first, bufs["unused"].last) == (0, 0)
    m = value_model(g)
    assert m.live_bytes_per_step([0, 1]) == live_bytes_per_op(list(bufs.values()), 2)


# -- ValueModel agrees with compute_buffers on random graphs and every topological order ------------

@st.composite
def random_graphs(draw):
    n_ops = draw(st.integers(1, 7))
    inputs = [t("in0", draw(st.integers(1, 64)))]
    if draw(st.booleans()):
        inputs.append(t("in1", draw(st.integers(1, 64))))
    values = list(inputs)
    ops, scratch = [], {}
    for k in range(n_ops):
        kind = draw(st.sampled_from(["CONV_2D", "ADD", "CONCATENATION", "RESHAPE", "MUL"]))
        n_in = {"CONV_2D": 1, "ADD": 2, "MUL": 2, "CONCATENATION": 3, "RESHAPE": 1}[kind]
        ins = [values[draw(st.integers(0, len(values) - 1))] for _ in range(n_in)]
        if kind == "CONV_2D" and draw(st.booleans()):
            ins.append(t(f"w{k}", 4, const=True))
        out = t(f"v{k}", ins[0].nbytes if kind == "RESHAPE" else draw(st.integers(1, 64)))
        o = op(kind, ins, [out])
        ops.append(o)
        scratch[id(o)] = draw(st.sampled_from([0, 0, 0, 8, 32]))
        values.append(out)
    outputs = [values[-1]]
    extra = values[draw(st.integers(0, len(values) - 1))]
    if draw(st.booleans()) and all(extra is not o for o in outputs):
        outputs.append(extra)
    return Graph("g", ops, inputs, outputs), scratch, draw(st.booleans())


def topological_orders(model, limit=60):
    n = model.n_ops

    def rec(done, order):
        if len(order) == n:
            yield list(order)
            return
        for o in range(n):
            if o not in done and all(p in done for p in model.preds[o]):
                done.add(o)
                order.append(o)
                yield from rec(done, order)
                order.pop()
                done.discard(o)

    return list(itertools.islice(rec(set(), []), limit))


@settings(max_examples=150)
@given(random_graphs())
def test_value_model_matches_compute_buffers_in_every_order(case):
    g, scratch, io_in_arena = case
    model = value_model(g, scratch, io_in_arena=io_in_arena)
    orders = topological_orders(model)
    assert orders and orders[0] == list(range(len(g.ops)))  # the file order is topological
    for order in orders:
        ops = [g.ops[i] for i in order]
        g2 = Graph("g", ops, g.inputs, g.outputs)
        bufs = compute_buffers(g2, {p: scratch[id(o)] for p, o in enumerate(ops)}, io_in_arena=io_in_arena)
        assert model.live_bytes_per_step(order) == live_bytes_per_op(bufs, len(ops))
