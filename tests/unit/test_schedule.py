"""Pass `schedule`: the operator order with the smallest peak of live bytes."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.ir import Graph, Op, Tensor
from tinygen.memory import MemoryProblem, StepMemory, live_bytes_per_op
from tinygen.memory import compute_buffers as _compute_buffers
from tinygen.memory import value_model as _value_model
from tinygen.ops import get_op_def
from tinygen.passes.schedule import best_order
from tinygen.passes.schedule import schedule_graph as _schedule_graph
from tinygen.passes.validate import validate


def t(name, nbytes):
    return Tensor(name, (nbytes,), "int8")


#: test label of every operator, by id
NAMES: dict[int, str] = {}


def op(kind, ins, outs, name=None):
    o = Op(kind=kind, inputs=list(ins), outputs=list(outs))
    NAMES[id(o)] = name or outs[0].name
    return o


def name_of(o):
    return NAMES[id(o)]


def names(g):
    return [name_of(o) for o in g.ops]


def problem(g, scratch_by_op=None):
    steps = [StepMemory(scratch=(scratch_by_op or {}).get(id(o), 0), alias=bool(get_op_def(o.kind) and get_op_def(o.kind).alias))
             for o in g.ops]
    return MemoryProblem(ops=list(g.ops), inputs=list(g.inputs), outputs=list(g.outputs), steps=steps)


def compute_buffers(g, scratch=None):
    return _compute_buffers(problem(g, {id(g.ops[p]): n for p, n in (scratch or {}).items()}))


def value_model(g, scratch=None, io_in_arena=True):
    return _value_model(problem(g, scratch), io_in_arena=io_in_arena)


def schedule_graph(g, scratch=None, **kw):
    return _schedule_graph(g, problem=problem(g, scratch), **kw)


def peak(g, scratch=None):
    s = {p: (scratch or {}).get(name_of(o), 0) for p, o in enumerate(g.ops)}
    return max(live_bytes_per_op(compute_buffers(g, s), len(g.ops)))


def brute_force_peak(g, scratch=None):
    m = value_model(g, {id(o): (scratch or {}).get(name_of(o), 0) for o in g.ops})
    best = None
    for order in itertools.permutations(range(len(g.ops))):
        pos = {o: k for k, o in enumerate(order)}
        if all(pos[p] < pos[o] for o in order for p in m.preds[o]):
            pk = max(m.live_bytes_per_step(list(order)))
            best = pk if best is None else min(best, pk)
    return best


def two_branch_concat():
    """x -> a1 (big) -> a2 (small); x -> b1 (big) -> b2 (small); concat(a2, b2). The file runs the
    two big convolutions back to back (breadth first): both big tensors are live at once."""
    x, a1, a2, b1, b2, y = t("x", 100), t("a1", 400), t("a2", 50), t("b1", 400), t("b2", 50), t("y", 100)
    ops = [op("CONV_2D", [x], [a1]), op("CONV_2D", [x], [b1]), op("CONV_2D", [a1], [a2]),
           op("CONV_2D", [b1], [b2]), op("CONCATENATION", [a2, b2], [y])]
    return Graph("concat", ops, [x], [y])


def test_branches_run_depth_first_when_that_lowers_the_peak():
    g = two_branch_concat()
    assert peak(g) == 100 + 400 + 400
    res = schedule_graph(g, scratch={})
    validate(g)
    assert names(g) == ["a1", "a2", "b1", "b2", "y"]
    assert (res.original_peak_bytes, res.peak_bytes, res.proven_optimal, res.method) == (900, 550, True, "exact")
    assert peak(g) == 550 == brute_force_peak(two_branch_concat())


def residual_block(shortcut_first):
    """y = conv(conv(x)) + conv1x1(x): with the main path first, x (1000 B) stays live while the
    main path's 800 B tensor is built; computing the small shortcut first frees x sooner."""
    x, c1, c2, s, y = t("x", 1000), t("c1", 200), t("c2", 800), t("s", 200), t("y", 200)
    main = [op("CONV_2D", [x], [c1]), op("CONV_2D", [c1], [c2])]
    short = [op("CONV_2D", [x], [s])]
    ops = (short + main if shortcut_first else main + short) + [op("ADD", [c2, s], [y])]
    return Graph("res", ops, [x], [y])


def test_residual_add_shortcut_first():
    g = residual_block(shortcut_first=False)
    res = schedule_graph(g, scratch={})
    validate(g)
    # the shortcut must run before c2 is built; right after c1 is the smallest change of the file order
    assert names(g) == ["c1", "s", "c2", "y"]
    assert (res.original_peak_bytes, res.peak_bytes) == (2000, 1400)
    assert peak(g) == brute_force_peak(residual_block(False)) == 1400


def test_model_order_is_kept_when_nothing_is_better():
    g = residual_block(shortcut_first=True)
    ops = list(g.ops)
    res = schedule_graph(g, scratch={})
    assert not res.changed and g.ops == ops and res.peak_bytes == res.original_peak_bytes == 1400
    # ties: both branches cost the same whatever the order; the file order stays
    x, a, b, y = t("x", 10), t("a", 10), t("b", 10), t("y", 10)
    g = Graph("tie", [op("CONV_2D", [x], [b]), op("CONV_2D", [x], [a]), op("ADD", [a, b], [y])], [x], [y])
    assert not schedule_graph(g, scratch={}).changed and names(g) == ["b", "a", "y"]


def squeeze_excite_with_side_branch():
    """z = concat(x * se(x), conv(conv(x))): the file runs the squeeze-and-excite block first
    (pool -> fc -> fc -> MUL), so its 600-byte output is live while the side branch's big
    intermediate is built; running the side branch first is cheaper."""
    x, big, small = t("x", 600), t("big", 900), t("small", 60)
    p, f1, f2, m, z = t("pool", 16), t("fc1", 8), t("fc2", 16), t("mul", 600), t("z", 660)
    ops = [op("MEAN", [x], [p]), op("FULLY_CONNECTED", [p], [f1]), op("FULLY_CONNECTED", [f1], [f2]),
           op("MUL", [x, f2], [m]), op("CONV_2D", [x], [big]), op("CONV_2D", [big], [small]),
           op("CONCATENATION", [m, small], [z])]
    return Graph("se", ops, [x], [z])


def test_squeeze_and_excite():
    g = squeeze_excite_with_side_branch()
    scratch = {"mul": 64}
    res = schedule_graph(g, scratch={id(o): scratch.get(name_of(o), 0) for o in g.ops})
    validate(g)
    assert (res.original_peak_bytes, res.peak_bytes) == (600 + 600 + 900, 600 + 900 + 60)
    assert names(g) == ["big", "small", "pool", "fc1", "fc2", "mul", "z"]
    assert peak(g, scratch) == res.peak_bytes == brute_force_peak(squeeze_excite_with_side_branch(), scratch)


def test_scratch_counts_at_its_operator():
    # same shapes as the concat case; a huge scratch on a2 makes running it while b1 is live costly
    g = two_branch_concat()
    scratch = {"a2": 1000}
    res = schedule_graph(g, scratch={id(o): scratch.get(name_of(o), 0) for o in g.ops})
    assert res.peak_bytes == peak(g, scratch) == brute_force_peak(two_branch_concat(), scratch)


def test_aliases_and_graph_io_follow_liveness_rules():
    # a RESHAPE keeps its input's buffer alive through its own consumers
    x, a, r, b, c, y = t("x", 50), t("a", 300), t("r", 300), t("b", 20), t("c", 300), t("y", 20)
    ops = [op("CONV_2D", [x], [a]), op("CONV_2D", [x], [c]), op("RESHAPE", [a], [r]),
           op("CONV_2D", [r], [b]), op("ADD", [b, c], [y])]
    unused = t("unused", 5000)  # a graph input nobody reads: live at the first step only
    g = Graph("alias", ops, [x, unused], [y, c])  # c is also a graph output: live to the end
    res = schedule_graph(g, scratch={})
    assert res.peak_bytes == peak(g) == brute_force_peak(Graph("alias", ops, [x, unused], [y, c]))
    assert res.peak_bytes == 5000 + 50 + 300


def test_stateful_operators_keep_their_relative_order():
    x, v1, v2, a, y = t("x", 10), t("v1", 500), t("v2", 500), t("a", 10), t("y", 10)
    # READ_VARIABLE before ASSIGN_VARIABLE must stay so, whatever memory says
    ops = [op("READ_VARIABLE", [], [v1]), op("CONV_2D", [x], [a]), op("ASSIGN_VARIABLE", [a], [v2]),
           op("ADD", [v1, a], [y])]
    g = Graph("state", ops, [x], [y, v2])
    schedule_graph(g, scratch={})
    assert names(g).index("v1") < names(g).index("v2")


# -- random graphs against brute force -------------------------------------------------------------

@st.composite
def dags(draw):
    n_ops = draw(st.integers(1, 7))
    inputs = [t("in0", draw(st.integers(1, 200)))]
    if draw(st.booleans()):
        inputs.append(t("in1", draw(st.integers(1, 200))))  # read later, or never
    values = list(inputs)
    ops, scratch = [], {}
    for k in range(n_ops):
        kind = draw(st.sampled_from(["CONV_2D", "CONV_2D", "ADD", "CONCATENATION", "RESHAPE", "MUL"]))
        n_in = {"CONV_2D": 1, "RESHAPE": 1, "ADD": 2, "MUL": 2, "CONCATENATION": draw(st.integers(2, 3))}[kind]
        ins = [values[draw(st.integers(0, len(values) - 1))] for _ in range(n_in)]
        out = t(f"v{k}", ins[0].nbytes if kind == "RESHAPE" else draw(st.integers(1, 200)))
        ops.append(op(kind, ins, [out]))
        scratch[out.name] = draw(st.sampled_from([0, 0, 0, 50]))
        values.append(out)
    outs = [values[-1]]
    if draw(st.booleans()) and values[-2] not in outs and len(values) > 2:
        outs.append(values[-2])
    return Graph("rand", ops, inputs, outs), scratch


@settings(max_examples=200)
@given(dags())
def test_exact_schedule_is_optimal_valid_and_stable(case):
    g, scratch = case
    best = brute_force_peak(g, scratch)
    before = peak(g, scratch)
    ops = list(g.ops)
    res = schedule_graph(g, scratch={id(o): scratch[name_of(o)] for o in g.ops})
    validate(g)
    assert sorted(map(id, g.ops)) == sorted(map(id, ops))
    assert res.proven_optimal and res.peak_bytes == best == peak(g, scratch)
    if before == best:
        assert g.ops == ops  # the model's order when it is optimal


@settings(max_examples=60)
@given(dags(), st.integers(1, 4))
def test_beam_search_is_valid_and_never_worse_than_the_file_order(case, width):
    g, scratch = case
    m = value_model(g, {id(o): scratch[name_of(o)] for o in g.ops})
    res = best_order(m, beam_width=width)
    assert sorted(res.order) == list(range(len(g.ops)))
    pos = {o: k for k, o in enumerate(res.order)}
    assert all(pos[p] < pos[o] for o in res.order for p in m.preds[o])
    assert res.peak_bytes == max(m.live_bytes_per_step(res.order)) <= res.original_peak_bytes
    assert res.peak_bytes >= brute_force_peak(g, scratch)


def test_many_parallel_branches_fall_back_to_beam_search_quickly():
    x = t("x", 64)
    outs, ops = [], []
    for k in range(14):  # 3**14 sets of executed operators: too many for the exact search
        a, b = t(f"a{k}", 100 + 37 * k), t(f"b{k}", 10)
        ops += [op("CONV_2D", [x], [a])]
        outs.append((a, b))
    for a, b in outs:  # breadth first in the file: every big tensor is live at once
        ops.append(op("CONV_2D", [a], [b]))
    y = t("y", 140)
    ops.append(op("CONCATENATION", [b for _, b in outs], [y]))
    g = Graph("wide", ops, [x], [y])
    res = schedule_graph(g, scratch={})
    validate(g)
    # the beam bounds the work (states kept per layer), not a clock: deterministic on any machine
    assert res.method == "beam" and not res.proven_optimal
    assert res.states <= len(g.ops) * 2_000 * 15  # per layer: at most the beam times the ready operators
    assert res.peak_bytes == peak(g)
    # depth first, largest branch first is optimal here: x + one big tensor + finished small ones
    assert res.peak_bytes <= 64 + (100 + 37 * 13) + 13 * 10 + 10
    assert res.peak_bytes < res.original_peak_bytes


def test_long_branchy_graph_is_scheduled_exactly_and_fast():
    # 40 residual blocks (120 ops): the exact search stays small (states add up block by block)
    x = t("x", 256)
    cur, ops = x, []
    for k in range(40):
        s, c1, c2, y = t(f"s{k}", 128), t(f"c1_{k}", 512), t(f"c2_{k}", 256), t(f"y{k}", 256)
        ops += [op("CONV_2D", [cur], [c1]), op("CONV_2D", [c1], [c2]), op("CONV_2D", [cur], [s]),
                op("ADD", [c2, s], [y])]
        cur = y
    g = Graph("deep", ops, [x], [cur])
    res = schedule_graph(g, scratch={})
    assert res.method == "exact" and res.proven_optimal
    assert res.states < 40 * 20  # block by block: a few states per residual block
    assert (res.original_peak_bytes, res.peak_bytes) == (256 + 512 + 256, 256 + 128 + 512)
    assert names(g)[:4] == ["c1_0", "s0", "c2_0", "y0"]


# -- in the compiler ------------------------------------------------------------------------------

def test_pipeline_reorders_and_stays_bit_exact():
    """A generated model whose file order is breadth first: the compiled order is depth first and
    the outputs still match TFLite Micro bit for bit."""
    from tinygen.compiler import compile_model
    from tinygen.testing.builder import GraphBuilder
    from tinygen.testing.harness import assert_bit_exact

    b = GraphBuilder("branches", seed=3)
    x = b.input((1, 12, 12, 4))
    a1 = b.conv2d(x, 24, kernel=(3, 3))
    c1 = b.conv2d(x, 24, kernel=(1, 1))
    a2 = b.conv2d(a1, 2, kernel=(3, 3), stride=(2, 2))
    c2 = b.conv2d(c1, 2, kernel=(1, 1), stride=(2, 2))
    model = b.tflite([a2, c2])
    cm = compile_model(model)
    sched = cm.schedule.summary()
    assert sched["reordered"] and sched["peak_bytes"] < sched["original_peak_bytes"]
    assert [o.source_index for o in cm.graph.ops] == [0, 2, 1, 3]
    assert cm.plan.lower_bound_bytes == sched["peak_bytes"]
    assert cm.plan.proven_optimal and cm.plan.arena_bytes == cm.plan.planner_bound_bytes  # aligned bound
    assert_bit_exact([model])
