"""Generated C: determinism, sanitized names, warnings-as-errors, mismatch diagnosis."""

import numpy as np

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.testing import GraphBuilder
from tinygen.toolchain.host import build_host


def three_convs(seed=0, name_hack=None):
    b = GraphBuilder("chain", seed=seed)
    x = b.input((1, 10, 10, 3))
    y1 = b.conv2d(x, 6, stride=(2, 2), activation="RELU")
    y2 = b.conv2d(y1, 6, kernel=(1, 1))
    y3 = b.conv2d(y2, 4, kernel=(3, 3), padding="VALID")
    if name_hack:
        y2.name = name_hack
    return b, [y3]


def test_generated_code_is_deterministic():
    b, outs = three_convs()
    data = b.tflite(outs)
    a = compile_model(data).files
    c = compile_model(data).files
    assert a == c


def test_hostile_tensor_names_are_sanitized_and_compile():
    evil = "x */ #error broken\n/* ??/ \\"
    b, outs = three_convs(name_hack=evil)
    cm = compile_model(b.tflite(outs), CompileOptions(name="evil"))
    text = cm.files["evil.c"]
    assert "#error" not in text.replace("* / #error", "")  # only inside a comment
    assert evil not in text
    (h,) = build_host([cm])  # -Wall -Wextra -Werror
    x = np.zeros((1, 10, 10, 3), np.int8)
    assert h.invoke([x])[0].shape == (1, 3, 3, 4)


def test_check_detects_and_locates_a_mismatch():
    """The oracle sees a model whose second convolution differs by one weight: the check must
    fail and name that operator as the first that diverges."""
    b, outs = three_convs(seed=5)
    good = b.tflite(outs)
    g = b.build(outs)
    w = g.ops[1].inputs[1]
    w.data = w.data.copy()
    w.data.flat[0] = -w.data.flat[0] if w.data.flat[0] != 0 else 100
    from tinygen.writer import write_tflite

    bad = write_tflite(g)
    cm = compile_model(good, CompileOptions(name="mm"))
    (rep,) = check_compiled([(cm, bad)], n_random=5)
    assert not rep.bit_exact
    assert rep.first_diverging_op is not None
    assert rep.first_diverging_op["op_index"] == 1
    assert rep.first_diverging_op["op"] == "CONV_2D"
    assert rep.first_diverging_op["max_abs_diff"] > 0


def test_io_outside_arena():
    b, outs = three_convs(seed=2)
    data = b.tflite(outs)
    cm_in = compile_model(data, CompileOptions(name="io_in"))
    cm_out = compile_model(data, CompileOptions(name="io_out", io_in_arena=False))
    assert cm_out.arena_bytes < cm_in.arena_bytes
    h_in, h_out = build_host([cm_in, cm_out])
    x = np.random.default_rng(0).integers(-128, 128, (1, 10, 10, 3)).astype(np.int8)
    np.testing.assert_array_equal(h_in.invoke([x])[0], h_out.invoke([x])[0])
