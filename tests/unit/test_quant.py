"""Compile-time quantization math (Python) against known TFLite values and the C helpers."""

import math
import subprocess

import cffi
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygen import quant as Q
from tinygen.paths import KERNELS_DIR, KERNELS_INCLUDE


def test_quantize_multiplier_known_values():
    assert Q.quantize_multiplier(0.0) == (0, 0)
    assert Q.quantize_multiplier(0.5) == (1 << 30, 0)
    assert Q.quantize_multiplier(1.0) == (1 << 30, 1)
    assert Q.quantize_multiplier(0.25) == (1 << 30, -1)
    # rounding up to 2^31 renormalizes
    m, s = Q.quantize_multiplier(1.0 - 2.0**-40)
    assert (m, s) == (1 << 30, 1)
    # tiny multipliers flush to zero
    assert Q.quantize_multiplier(2.0**-40) == (0, 0)


@given(st.floats(min_value=1e-9, max_value=1e4, allow_nan=False, allow_infinity=False))
def test_quantize_multiplier_reconstructs(m):
    q, s = Q.quantize_multiplier(m)
    if q == 0:
        return
    assert (1 << 30) <= q < (1 << 31)
    assert math.isclose(q * 2.0 ** (s - 31), m, rel_tol=2**-30)


def test_round_half_away():
    assert Q.round_half_away(2.5) == 3 and Q.round_half_away(-2.5) == -3
    assert Q.round_half_away(0.49999) == 0


def test_activation_ranges():
    assert Q.activation_range("NONE", 0.1, 3) == (-128, 127)
    assert Q.activation_range("RELU", 0.1, -5) == (-5, 127)
    assert Q.activation_range("RELU6", 0.05, -128) == (-128, -8)
    assert Q.activation_range("RELU_N1_TO_1", 0.01, 0) == (-100, 100)


def test_padding_and_out_size():
    assert Q.out_size("SAME", 96, 3, 2) == 48
    assert Q.padding_with_offset(2, 1, 96, 3, 48) == (0, 1)
    assert Q.out_size("VALID", 10, 3, 1, 2) == 6
    assert Q.padding_with_offset(1, 1, 5, 3, 5) == (1, 0)


@pytest.fixture(scope="module")
def c_helpers(tmp_path_factory):
    """tg_internal.h's fixed-point helpers compiled for the host."""
    d = tmp_path_factory.mktemp("fixedpoint")
    src = d / "fp.c"
    src.write_text('#include "tg_internal.h"\n'
                   "int32_t fp_srdhm(int32_t a, int32_t b) { return tg_srdhm(a, b); }\n"
                   "int32_t fp_rdbpot(int32_t x, int32_t e) { return tg_rdbpot(x, e); }\n"
                   "int32_t fp_requant(int32_t x, int32_t m, int32_t s) { return tg_requantize(x, m, s); }\n")
    so = d / "fp.so"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                    "-I", str(KERNELS_INCLUDE), "-I", str(KERNELS_DIR / "src"), str(src), "-o", str(so)], check=True)
    ffi = cffi.FFI()
    ffi.cdef("int32_t fp_srdhm(int32_t, int32_t); int32_t fp_rdbpot(int32_t, int32_t);"
             "int32_t fp_requant(int32_t, int32_t, int32_t);")
    return ffi.dlopen(str(so))


int32s = st.integers(-(2**31), 2**31 - 1)


@given(int32s, int32s)
def test_c_srdhm_matches_gemmlowp_definition(c_helpers, a, b):
    assert c_helpers.fp_srdhm(a, b) == Q.srdhm(a, b)


@given(int32s, st.integers(0, 31))
def test_c_rounding_divide_by_pot(c_helpers, x, e):
    assert c_helpers.fp_rdbpot(x, e) == Q.rounding_divide_by_pot(x, e)


def test_c_edge_values(c_helpers):
    edges = [-(2**31), -(2**31) + 1, -1, 0, 1, 2**30, 2**31 - 1]
    for a in edges:
        for b in edges:
            assert c_helpers.fp_srdhm(a, b) == Q.srdhm(a, b)
    for x in edges:
        for e in (0, 1, 5, 30, 31):
            assert c_helpers.fp_rdbpot(x, e) == Q.rounding_divide_by_pot(x, e)


@given(st.integers(-(2**20), 2**20), st.floats(1e-6, 8.0))
def test_c_requantize_matches_python(c_helpers, x, real):
    m, s = Q.quantize_multiplier(real)
    assert c_helpers.fp_requant(x, m, s) == Q.multiply_by_quantized_multiplier(x, m, s)


def test_sanitize_comment_cannot_break_out():
    from tinygen.sanitize import c_comment, c_identifier

    evil = "a*/ int x; /* b\n#define X ??/ \\"
    out = c_comment(evil)
    assert "*/" not in out and "/*" not in out and "\n" not in out and "??" not in out
    assert c_identifier("3-Model.v2!") == "m_3_model_v2"
    assert c_identifier("***") == "model"
