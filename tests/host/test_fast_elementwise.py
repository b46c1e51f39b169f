"""Fast ADD / SUB kernel (tg_add_fast_s8) against the portable tg_add_s8 / tg_sub_s8 on the host,
element for element, and the predicate and lowering of tinygen.fast.elementwise."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings

from tinygen.fast import elementwise as few
from tinygen.ops.add_sub import add_sub_multipliers
from tinygen.testing.fast_cases import add_cases, mul_cases
from tinygen.testing.fast_layers import add_fast_host, add_portable_host, mul_fast_host, mul_portable_host

from ..conftest import SHARED_MODELS, needs_shared


def _check(p, subtract, x1, x2):
    assert few.add_fast_check(p, subtract=subtract) is None, few.add_fast_check(p, subtract=subtract)
    want = add_portable_host(p, x1, x2, subtract)
    got = add_fast_host(p, x1, x2, subtract)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{bad.size} of {want.size} differ, first {bad[:4]}: {got[bad[:4]]} != {want[bad[:4]]}"
    return want


@settings(max_examples=150)
@given(add_cases())
def test_add_fast_matches_portable(case):
    p, subtract, x1, x2 = case
    _check(p, subtract, x1, x2)


@settings(max_examples=30)
@given(add_cases())
def test_add_fast_in_place(case):
    """The output may be either input (element i is written after it is read)."""
    p, subtract, x1, x2 = case
    want = _check(p, subtract, x1, x2)
    a, b = x1.copy(), x2.copy()
    assert np.array_equal(add_fast_host(p, a, b, subtract, out=a), want)
    a, b = x1.copy(), x2.copy()
    assert np.array_equal(add_fast_host(p, a, b, subtract, out=b), want)


def _params(s1, s2, so, z1=0, z2=0, zo=0, act=(-128, 127)):
    m1, m2, mo = ((q.multiplier, q.shift) for q in add_sub_multipliers(None, s1, s2, so))
    return SimpleNamespace(input1_offset=-z1, input2_offset=-z2, output_offset=zo, left_shift=20, input1=m1,
                           input2=m2, output=mo, act_min=act[0], act_max=act[1])


def test_all_input_pairs():
    """Every pair of int8 values, for ADD and SUB, exact input first and second, equal scales."""
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    for s1, s2, so, zs in [(0.05, 0.02, 0.06, (3, -128, -7)), (0.01, 0.3, 0.25, (-128, 127, 5)),
                           (0.1, 0.1, 0.2, (0, 0, 0)), (0.02, 0.0003, 0.021, (17, -90, -128))]:
        for subtract in (False, True):
            _check(_params(s1, s2, so, *zs), subtract, a, b)


@pytest.mark.parametrize("change,reason", [
    (dict(left_shift=15), "left shift"),
    (dict(input1=(1 << 30, -1), input2=(1 << 30, -1)), "1/2"),
    (dict(output=(1 << 30, 0)), "right shift"),
    (dict(output=(1 << 30, 2)), "right shift"),
    (dict(output=(1 << 29, -3)), "right shift"),
    (dict(output=(1 << 30, -30), output_offset=100), "overflow"),
    (dict(act_min=-200), "activation"),
])
def test_predicate_rejects(change, reason):
    p = _params(0.05, 0.02, 0.06)
    for k, v in change.items():
        setattr(p, k, v)
    why = few.add_fast_check(p)
    assert why is not None and reason in why, why
    assert not few.add_fast_applicable(p, same_shape=True)
    assert "broadcast" in few.add_fast_check(_params(0.05, 0.02, 0.06), same_shape=False)


def test_lowering_fields():
    p = _params(0.05, 0.02, 0.06, z1=3, z2=-4, zo=-7)
    q = few.lower_add_fast(p)
    assert q.exact_input == 1 and q.exact_scale == 1 << 19 and q.exact_offset == -3 << 19
    assert q.other_offset == 4 << 21 and q.other_sign == 1 and q.other_sign_mask == -1
    n = -p.output[1]
    assert q.output_round == (1 << (n - 1)) - 7 * (1 << n)
    s = few.lower_add_fast(p, subtract=True)
    assert s.other_sign == -1 and s.exact_scale == 1 << 19
    p2 = _params(0.02, 0.05, 0.06)
    s2 = few.lower_add_fast(p2, subtract=True)
    assert s2.exact_input == 2 and s2.exact_scale == -(1 << 19) and s2.other_sign == 1


@needs_shared()
def test_resnet_adds():
    """The residual ADDs of pretrainedResnet_quant qualify and are exact."""
    from tinygen.frontend import load_tflite
    from tinygen.ops import get_op_def

    path = SHARED_MODELS / "mlperf_tiny" / "pretrainedResnet_quant.tflite"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rng = np.random.default_rng(1)
    adds = [op for op in load_tflite(path).ops if op.kind == "ADD"]
    assert len(adds) == 3
    for op in adds:
        p = few.binary_view(get_op_def("ADD").prepare(op).params)
        n = op.outputs[0].size
        _check(p, False, rng.integers(-128, 128, n).astype(np.int8), rng.integers(-128, 128, n).astype(np.int8))


@settings(max_examples=120)
@given(mul_cases())
def test_mul_fast_matches_portable(case):
    p, x1, x2 = case
    assert few.mul_fast_check(p) is None, few.mul_fast_check(p)
    want = mul_portable_host(p, x1, x2)
    got = mul_fast_host(p, x1, x2)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{p.output}: {bad.size} of {want.size} differ, first {bad[:4]}: {got[bad[:4]]} != {want[bad[:4]]}"


def test_mul_all_input_pairs():
    """Every pair of int8 values, with right shifts of 1 and 20, no shift and a left shift."""
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256)
    for out, zs in [((1 << 30, -1), (0, 0, 0)), ((1518500250, -20), (-128, 127, 5)), ((1 << 30, 0), (3, -4, -7)),
                    ((2147483647, 3), (0, 0, 1))]:
        p = SimpleNamespace(input1_offset=-zs[0], input2_offset=-zs[1], output_offset=zs[2], output=out,
                            act_min=-128, act_max=127)
        assert few.mul_fast_check(p) is None, few.mul_fast_check(p)
        assert np.array_equal(mul_fast_host(p, a, b), mul_portable_host(p, a, b)), out


def test_mul_predicate():
    p = SimpleNamespace(input1_offset=128, input2_offset=128, output_offset=0, output=(1 << 30, 14),
                        act_min=-128, act_max=127)
    assert "shift" in few.mul_fast_check(p)
    p.output = (1 << 30, 13)  # the largest left shift: |p| << 14 < 2^31 for any offsets
    assert few.mul_fast_check(p) is None
    p.output = (1 << 30, -32)
    assert "shift" in few.mul_fast_check(p)
    p.output = (0, 0)
    assert "multiplier" in few.mul_fast_check(p)
    assert "broadcast" in few.mul_fast_check(p, same_shape=False)
