"""The fast requantization of the fast conv/FC kernels (kernels/src/tg_fast.h: one SMMLAR, and its
32-bit-multiply twin for Cortex-M0+; the shift taken from the rounding word's trailing zero bits)
against tg_requantize (TFLite Micro's double rounding) on
millions of values inside the preconditions that tinygen.fast.conv checks at compile time
(right shift n >= 1, |acc| < 2^30, the rounding word fits), with constructed rounding ties of both
steps and the boundary values. The instructions themselves are checked against these models on
the emulated cores (tests/target/test_simd_helpers.py)."""

import hashlib
import subprocess

import numpy as np
import pytest

from tinygen.paths import KERNELS_DIR
from tinygen.toolchain.host import HOST_CC

SOURCE = """\
#include <stdint.h>
#include "{src}/tg_internal.h"
#include "{src}/tg_fast.h"
void tg_check(const int32_t *acc, const int32_t *m, const int32_t *n, const int32_t *zp, int32_t count,
              int32_t *ref, int32_t *fast, int32_t *scalar);
void tg_check(const int32_t *acc, const int32_t *m, const int32_t *n, const int32_t *zp, int32_t count,
              int32_t *ref, int32_t *fast, int32_t *scalar)
{{
    int32_t i;
    for (i = 0; i < count; ++i) {{
        const int32_t round = (int32_t)(((uint32_t)1 << (n[i] - 1)) + (uint32_t)zp[i] * ((uint32_t)1 << n[i]));
        ref[i] = tg_requantize(acc[i], m[i], -n[i]) + zp[i];
        /* the shift from the rounding word, as the kernels take it */
        const int32_t sh1 = tg_fast_shift1(round);
        fast[i] = sh1 == n[i] - 1 ? tg_fast_requant(acc[i], m[i], round, sh1) : INT32_MIN;
        scalar[i] = sh1 == n[i] - 1 ? tg_fast_requant_scalar(acc[i], m[i], round, sh1) : INT32_MIN;
    }}
}}
"""


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    import cffi

    src = SOURCE.format(src=(KERNELS_DIR / "src").as_posix())
    d = tmp_path_factory.mktemp("requant")
    so = d / f"check-{hashlib.sha256(src.encode()).hexdigest()[:12]}.so"
    (d / "check.c").write_text(src)
    subprocess.run([HOST_CC, "-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-I",
                    str(KERNELS_DIR / "include"), str(d / "check.c"), "-o", str(so)], check=True)
    ffi = cffi.FFI()
    ffi.cdef("void tg_check(const int32_t *acc, const int32_t *m, const int32_t *n, const int32_t *zp, int32_t count,"
             " int32_t *ref, int32_t *fast, int32_t *scalar);")
    lib = ffi.dlopen(str(so))

    def run(acc, m, n, zp):
        acc, m, n, zp = (np.ascontiguousarray(v, dtype=np.int32) for v in (acc, m, n, zp))
        outs = [np.zeros(acc.size, np.int32) for _ in range(3)]
        p = lambda a: ffi.from_buffer("int32_t[]", a)  # noqa: E731
        lib.tg_check(p(acc), p(m), p(n), p(zp), acc.size, *map(p, outs))
        return outs

    return run


def _valid(acc, m, n, zp):
    """The compile-time preconditions (tinygen.fast.conv.row_words) for these values."""
    acc, m, n, zp = (np.asarray(v, np.int64) for v in (acc, m, n, zp))
    s_bound = (np.abs(acc) * m >> 31) + 1
    rnd = (np.int64(1) << (n - 1)) + zp * (np.int64(1) << n)
    return (np.abs(acc) < (1 << 30)) & (n >= 1) & (n <= 31) & (s_bound + np.abs(rnd) + 1 < (1 << 31))


def _compare(check, acc, m, n, zp):
    ok = _valid(acc, m, n, zp)
    acc, m, n, zp = acc[ok], m[ok], n[ok], zp[ok]
    ref, fast, scalar = check(acc, m, n, zp)
    for name, got in (("SMMLAR", fast), ("32-bit", scalar)):
        bad = np.flatnonzero(got != ref)
        assert bad.size == 0, (f"{name}: {bad.size} of {ref.size} differ, e.g. acc={acc[bad[0]]} M={m[bad[0]]} "
                               f"n={n[bad[0]]} zp={zp[bad[0]]}: {got[bad[0]]} vs {ref[bad[0]]}")
    return acc.size


def test_random_values(check):
    rng = np.random.default_rng(2024)
    total = 0
    for _ in range(4):
        k = 1_000_000
        mag = rng.integers(0, 31, k)  # accumulators of every magnitude
        acc = rng.integers(-(1 << 30) + 1, 1 << 30, k) >> mag
        m = np.where(rng.random(k) < 0.9, rng.integers(1 << 30, 1 << 31, k),
                     rng.choice(np.array([1 << 30, (1 << 31) - 1, 0, 1, 12345]), k))
        n = rng.integers(1, 32, k)
        zp = rng.integers(-128, 128, k)
        total += _compare(check, acc, m, n, zp)
    assert total > 3_000_000


def test_rounding_ties_and_boundaries(check):
    rng = np.random.default_rng(7)
    k = 400_000
    m = np.where(rng.random(k) < 0.5, 1 << 30, rng.integers(1 << 30, 1 << 31, k))  # M = 2^30: SRDHM ties
    n = rng.integers(1, 24, k)
    zp = rng.integers(-128, 128, k)
    # accumulators whose SRDHM result lands on (or next to) a tie of the second rounding
    target = (rng.integers(-(1 << 12), 1 << 12, k) << n) + (1 << (n - 1))
    base = np.round(target.astype(np.float64) * 2.0**31 / m).astype(np.int64)
    accs = [base + d for d in (-2, -1, 0, 1, 2)]
    total = sum(_compare(check, a, m, n, zp) for a in accs)
    # boundaries: |acc| at the limit, zero, +-1, every shift, extreme multipliers and zero points
    edge_acc = np.array([0, 1, -1, 2, -2, (1 << 30) - 1, -(1 << 30) + 1, (1 << 29), -(1 << 29), 12345, -12345])
    grid = np.array(np.meshgrid(edge_acc, [1 << 30, (1 << 31) - 1, 1518500250], np.arange(1, 32), [-128, 0, 127]))
    acc, m2, n2, zp2 = (g.reshape(-1) for g in grid)
    total += _compare(check, acc, m2, n2, zp2)
    assert total > 1_000_000


SHIFT_SOURCE = """\
#include <stdint.h>
#include "{src}/tg_fast.h"
int32_t tg_shift1(int32_t round);
int32_t tg_shift1(int32_t round) {{ return tg_fast_shift1(round); }}
"""


@pytest.mark.parametrize("table", [False, True], ids=["builtin", "table"])
def test_shift_from_rounding_word(tmp_path, table):
    """n - 1 from every rounding word (2 zp + 1) 2^(n-1) the compiler can emit, with the compiler's
    count-trailing-zeros and with the multiply-and-lookup of Armv6-M (forced here on the host)."""
    import cffi

    (tmp_path / "s.c").write_text(SHIFT_SOURCE.format(src=(KERNELS_DIR / "src").as_posix()))
    so = tmp_path / "s.so"
    subprocess.run([HOST_CC, "-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-I",
                    str(KERNELS_DIR / "include"), *(["-DTG_FAST_CTZ_TABLE"] if table else []), str(tmp_path / "s.c"),
                    "-o", str(so)], check=True)
    ffi = cffi.FFI()
    ffi.cdef("int32_t tg_shift1(int32_t round);")
    lib = ffi.dlopen(str(so))
    checked = 0
    for n in range(1, 32):
        for zp in range(-128, 128):
            rnd = (2 * zp + 1) << (n - 1)
            if not -(1 << 31) <= rnd < (1 << 31):
                continue
            assert lib.tg_shift1(rnd) == n - 1, (n, zp)
            checked += 1
    assert checked > 4000
