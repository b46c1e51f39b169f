"""The guard and sanitizer tiers (issue 12), and `check` on a model TFLM cannot load.

- Arena guard: every random-graph family (tinygen.testing.strategies) through a guard build
  (canaries around every planned buffer, checked after every operator); a deliberately broken plan
  (one operator's output moved into its canary) must be caught and the operator named.
- Sanitizers: a sample of every random-graph family through the host library built with
  -fsanitize=address,undefined -fno-sanitize-recover; kernels writing past the arena must be caught.
The shared models go through both in tests/models/test_hardened_models.py.
"""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.errors import GuardError
from tinygen.guard import DEFAULT_GUARD
from tinygen.options import CompileOptions
from tinygen.schema import schema
from tinygen.testing import GraphBuilder
from tinygen.testing.harness import assert_bit_exact
from tinygen.testing.strategies import CASES, build
from tinygen.toolchain.host import build_host
from tinygen.toolchain.sanitize import SanitizerError, sanitizers_missing

FAMILIES = sorted(CASES)
GUARDED = CompileOptions(guard=DEFAULT_GUARD)


def _cnn() -> bytes:
    b = GraphBuilder("cnn", seed=4)
    x = b.input((1, 10, 10, 3))
    y = b.conv2d(x, 6, stride=(2, 2), activation="RELU")
    y = b.depthwise_conv2d(y)
    y = b.conv2d(y, 4)
    return b.tflite([y])


# -- arena guard ---------------------------------------------------------------------------------------
@settings(max_examples=1)
@given(st.tuples(*[st.lists(CASES[k][0], min_size=3, max_size=3) for k in FAMILIES]))
def test_every_random_graph_family_under_the_guard(cases):
    """3 random graphs of each of the 23 families (derandomized), each a guard build: bit-exact
    with TFLM and no operator writes outside its buffers. (`TINYGEN_GUARD=16 pytest tests/host`
    runs the whole host tier this way.)"""
    models = [build(c) for group in cases for c in group]
    reports = assert_bit_exact(models, n_random=2, options=GUARDED)
    assert len(reports) == 3 * len(FAMILIES)


def test_guard_plans_canaries_and_the_code_reports_the_arena():
    data = _cnn()
    plain = compile_model(data, CompileOptions(name="plain"))
    cm = compile_model(data, CompileOptions(name="guarded", guard=DEFAULT_GUARD))
    assert cm.plan.guard == DEFAULT_GUARD and plain.plan.guard == 0
    assert "TG_GUARD_ENTER(A, GUARDED_ARENA_BYTES);" in cm.files["guarded.c"]
    assert "TG_GUARD_ENTER" not in plain.files["plain.c"] and "guard" not in plain.files["plain.c"]
    # every buffer's data has at least `guard` bytes of canary below it; live neighbours are apart
    for b in cm.plan.buffers:
        assert cm.plan.offsets[b.id] >= DEFAULT_GUARD
    (h,) = build_host([cm])
    h.invoke([np.zeros((1, 10, 10, 3), np.int8)])
    assert h.guard_checks == len(cm.traced_ops) > 0


def _broken(shift: int, position: int) -> tuple:
    """A guard build whose generated code writes one operator's output `shift` bytes away from
    where the plan (which the guard checks) put it: a kernel or plan writing out of bounds."""
    cm = compile_model(_cnn(), CompileOptions(name=f"broken{position}{'m' if shift < 0 else 'p'}",
                                               guard=DEFAULT_GUARD, inplace=False, overlap=False))
    op = cm.plan.ops[position]
    b = cm.plan.buffer_of(op.outputs[0])
    right = cm.plan.offsets[b.id]
    cm.plan.offsets[b.id] = right + shift
    cm._files = None
    _ = cm.files  # generated with the wrong offset...
    cm.plan.offsets[b.id] = right  # ...checked against the right one
    return cm, op


@pytest.mark.parametrize("shift, position, where", [(8, 0, "past the end"), (-8, 2, "before the start")])
def test_guard_names_the_operator_that_wrote_out_of_bounds(shift, position, where):
    cm, op = _broken(shift, position)
    (h,) = build_host([cm])
    with pytest.raises(GuardError) as e:
        h.invoke([np.full((1, 10, 10, 3), 7, np.int8)])
    msg = str(e.value)
    assert f"operator {op.kind} #{op.source_index} (position {position})" in msg
    assert "wrote 8 bytes out of bounds" in msg and where in msg, msg


def test_check_guard_on_the_command_line(tmp_path):
    model = tmp_path / "cnn.tflite"
    model.write_bytes(_cnn())
    r = subprocess.run([sys.executable, "-m", "tinygen.cli", "check", str(model), "--inputs", "2", "--guard"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "no operator wrote out of bounds" in " ".join(r.stdout.split())


# -- sanitizers ---------------------------------------------------------------------------------------------
needs_sanitizers = pytest.mark.skipif(sanitizers_missing() is not None, reason=f"{sanitizers_missing()}")


@needs_sanitizers
@settings(max_examples=1)
@given(st.tuples(*[CASES[k][0] for k in FAMILIES]))
def test_random_graph_sample_under_asan_and_ubsan(cases):
    """One random graph of each family, with the portable kernels and with the fast ones (the
    Cortex-M4's DSP kernels and the M0+'s scalar ones, alternately, through the intrinsics' plain-C
    models): kernels and generated code built with -fsanitize=address,undefined
    -fno-sanitize-recover, run in a child process, still bit-exact with TFLM."""
    items, labels = [], []
    for i, c in enumerate(cases):
        data = build(c)
        for cpu in (None, "cortex-m4" if i % 2 == 0 else "cortex-m0plus"):
            items.append((compile_model(data, CompileOptions(name=f"s{i}{'f' if cpu else ''}", cpu=cpu)), data))
            labels.append(f"{c['kind']} ({cpu or 'portable'})")
    reports = check_compiled(items, n_random=2, sanitize=True, labels=labels)
    bad = [r for r in reports if not r.bit_exact]
    assert not bad, [(r.model, r.mismatches[:1]) for r in bad]


@needs_sanitizers
def test_sanitizer_build_catches_a_write_past_the_arena():
    data = _cnn()
    cm = compile_model(data, CompileOptions(name="cut"))
    text = cm.files["cut.c"]
    # the operators' arena base 64 bytes too high: kernels writing near the top go past its end
    # (through the kernel library, where the compiler cannot see it)
    broken = text.replace("int8_t *const A = cut_arena;", "int8_t *const A = cut_arena + 64;")
    assert broken != text
    cm._files = dict(cm.files, **{"cut.c": broken})
    with pytest.raises(SanitizerError, match="AddressSanitizer|runtime error"):
        check_compiled([(cm, data)], n_random=1, sanitize=True)


# -- 3. check on a model TFLM cannot load ---------------------------------------------------------------------
def _raise_buffer_count(data: bytes, extra: int) -> bytes:
    """The model with its buffers vector claiming `extra` more entries (the bytes after it are
    read as buffer offsets): tinygen reads only the buffers its tensors use."""
    m = schema.Model.GetRootAs(data, 0)
    o = m._tab.Offset(12)  # field 4: buffers
    start = m._tab.Vector(o)
    n = struct.unpack_from("<I", data, start - 4)[0]
    b = bytearray(data)
    struct.pack_into("<I", b, start - 4, n + extra)
    return bytes(b)


def test_check_on_a_model_tflm_cannot_load(tmp_path):
    """Regression: a model whose buffers-vector length is raised compiles, but `check` ended with
    `internal error: error: unpack_from requires a buffer of at least ...` (exit 3) and two lines
    of TFLM's C++ messages. Now: one line, exit 2, saying TFLM cannot load it."""
    b = GraphBuilder("fc", seed=2)
    x = b.input((1, 8))
    y = b.fully_connected(x, 4)
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(_raise_buffer_count(b.tflite([y]), 40))
    tg = [sys.executable, "-m", "tinygen.cli"]
    r = subprocess.run([*tg, "compile", str(bad), "-o", str(tmp_path / "out")], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*tg, "check", str(bad), "--inputs", "2"], capture_output=True, text=True, timeout=300)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith("tinygen: error: TensorFlow Lite Micro cannot load this model"), lines[0]


def test_guard_covers_the_patch_buffers_of_a_patch_stage():
    """The patch buffers inside a patch stage's scratch space are planned with canaries too: a
    patch buffer moved below its planned place is caught. (Patch buffers reuse each other's
    memory from one step of the patch loop to the next and the guard checks after the whole
    stage, so only writes outside every patch buffer's bytes are seen there.)"""
    b = GraphBuilder("pcnn", seed=4)
    x = b.input((1, 16, 16, 3))
    y = b.conv2d(x, 8, stride=(2, 2), activation="RELU")
    y = b.depthwise_conv2d(y)
    data = b.tflite([b.conv2d(b.conv2d(y, 8), 4, stride=(2, 2))])
    good, bad = (compile_model(data, CompileOptions(name=n, patches="3:2x2", guard=DEFAULT_GUARD))
                 for n in ("pg", "pg_broken"))
    stage = bad.graph.ops[0]
    assert stage.kind == "TG_PATCH_STAGE"
    offsets = stage.attrs.local_offsets
    assert min(o for o, _ in offsets.values()) >= DEFAULT_GUARD
    key = min(offsets, key=lambda k: offsets[k][0])
    o, n = offsets[key]
    offsets[key] = (o - 8, n)
    bad._files = None
    _ = bad.files  # generated with the patch buffer 8 bytes low...
    offsets[key] = (o, n)  # ...checked against the plan
    hg, hb = build_host([good, bad])
    hg.invoke([np.full((1, 16, 16, 3), 5, np.int8)])  # as planned: clean
    with pytest.raises(GuardError, match=rf"TG_PATCH_STAGE \(position 0\) wrote 8 bytes.*patch buffer {key}"):
        hb.invoke([np.full((1, 16, 16, 3), 5, np.int8)])


@needs_sanitizers
def test_sanitized_check_of_a_stateful_model_keeps_input_order():
    """A model with state (LSTM + SVDF) under the sanitizers: every input runs in order in one
    child process, and the same input given twice is two inferences with different state (the
    outputs of the child are handed out in order, not looked up by input)."""
    import numpy as np

    from tinygen.check import check_model
    from tinygen.testing import GraphBuilder

    b = GraphBuilder("kws", seed=11)
    x = b.input((1, 4, 10), scale=0.05, zero_point=-3)
    y = b.svdf(b.reshape(b.lstm(x, 8), (1, 32)), 6, rank=2, memory=3)
    data = b.tflite([y])
    same = np.random.default_rng(5).integers(-128, 128, (1, 4, 10), dtype=np.int8)
    rep = check_model(data, n_random=2, extra_inputs=[[same], [same], [same]], sanitize=True)
    assert rep.bit_exact and rep.inputs_checked == 5, rep
