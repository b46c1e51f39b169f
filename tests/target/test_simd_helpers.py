"""Every tg_simd.h helper (and the requantization helpers of tg_fast.h) natively on the emulated
Cortex-M4 and M33 (one DSP instruction each) against its plain-C model compiled for the host, on
random operands and edge values (wrap-around, saturation, sign boundaries): the models must
match the instructions bit for bit."""

import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tinygen.paths import KERNELS_DIR
from tinygen.testing.kernels import arm_kernel_run
from tinygen.toolchain.host import HOST_CC

# name -> C expression of the operands a, b, c (uint32_t); the result is stored as uint32_t
HELPERS = {
    "sxtb16": "tg_sxtb16(a)",
    "sxtb16_ror8": "tg_sxtb16_ror8(a)",
    "sxtab16": "tg_sxtab16(a, b)",
    "sxtab16_ror8": "tg_sxtab16_ror8(a, b)",
    "smlad": "(uint32_t)tg_smlad(a, b, (int32_t)c)",
    "smladx": "(uint32_t)tg_smladx(a, b, (int32_t)c)",
    "smuad": "(uint32_t)tg_smuad(a, b)",
    "smlabb": "(uint32_t)tg_smlabb(a, b, (int32_t)c)",
    "smlatt": "(uint32_t)tg_smlatt(a, b, (int32_t)c)",
    "pkhbt_0": "tg_pkhbt(a, b, 0)",
    "pkhbt_16": "tg_pkhbt(a, b, 16)",
    "pkhbt_7": "tg_pkhbt(a, b, 7)",
    "pkhtb_0": "tg_pkhtb(a, b, 0)",
    "pkhtb_16": "tg_pkhtb(a, b, 16)",
    "pkhtb_31": "tg_pkhtb(a, b, 31)",
    "sadd16": "tg_sadd16(a, b)",
    "ssub16": "tg_ssub16(a, b)",
    "qadd": "(uint32_t)tg_qadd((int32_t)a, (int32_t)b)",
    "qsub": "(uint32_t)tg_qsub((int32_t)a, (int32_t)b)",
    "smmlar": "(uint32_t)tg_smmlar((int32_t)a, (int32_t)b, (int32_t)c)",
    "ssat8": "(uint32_t)tg_ssat8((int32_t)a)",
    # the fast requantization (SMMLAR sequence) for any operands, and its 32-bit-multiply twin
    "fast_requant": "(uint32_t)tg_fast_requant((int32_t)a, (int32_t)(b & 0x7FFFFFFFu), (int32_t)c, (int32_t)(1 + (b >> 27) % 31))",
    "fast_mulhi": "(uint32_t)tg_fast_mulhi((int32_t)a >> 2, (int32_t)(b & 0x7FFFFFFFu))",
}

SOURCE = """\
#include <stdint.h>
#include "{src}/tg_simd.h"
#include "{src}/tg_fast.h"
void tg_run_helpers(const uint32_t *A, const uint32_t *B, const uint32_t *C, int32_t n, uint32_t *out);
void tg_run_helpers(const uint32_t *A, const uint32_t *B, const uint32_t *C, int32_t n, uint32_t *out)
{{
    int32_t i;
    for (i = 0; i < n; ++i) {{
        const uint32_t a = A[i], b = B[i], c = C[i];
{body}
    }}
}}
"""


def _source() -> str:
    body = "\n".join(f"        out[{k} * n + i] = {expr};" for k, expr in enumerate(HELPERS.values()))
    return SOURCE.format(src=(KERNELS_DIR / "src").as_posix(), body=body)


def _operands(n: int = 2048) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    edges = np.array([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFF7FFF,
                      0x80008000, 0x80007FFF, 0x7FFF8000, 0xFFFF0000, 0x0000FFFF, 0x7F7F7F7F, 0x80808080,
                      0x01010101, 0xFF00FF00, 0x00FF00FF, 0x40000000, 0xC0000000, 0x3FFFFFFF, 0x00800080],
                     dtype=np.uint64)
    rng = np.random.default_rng(5)
    a, b, c = (rng.integers(0, 2**32, n, dtype=np.uint64) for _ in range(3))
    # every pair (and triple on the diagonal) of edge values
    m = edges.size
    ea, eb = np.meshgrid(edges, edges)
    k = m * m
    a[:k], b[:k] = ea.reshape(-1), eb.reshape(-1)
    c[:k] = np.roll(edges, 3)[np.arange(k) % m]
    return a.astype(np.uint32), b.astype(np.uint32), c.astype(np.uint32)


def _host_results(tmp: Path, a, b, c) -> np.ndarray:
    import cffi

    src = _source()
    so = tmp / f"helpers-{hashlib.sha256(src.encode()).hexdigest()[:12]}.so"
    cfile = tmp / "helpers.c"
    cfile.write_text(src)
    subprocess.run([HOST_CC, "-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
                    "-I", str(KERNELS_DIR / "include"), str(cfile), "-o", str(so)], check=True)
    ffi = cffi.FFI()
    ffi.cdef("void tg_run_helpers(const uint32_t *A, const uint32_t *B, const uint32_t *C, int32_t n, uint32_t *out);")
    lib = ffi.dlopen(str(so))
    out = np.zeros(len(HELPERS) * a.size, np.uint32)
    p = lambda arr: ffi.from_buffer("uint32_t[]", arr)  # noqa: E731
    lib.tg_run_helpers(p(a), p(b), p(c), a.size, p(out))
    return out.reshape(len(HELPERS), a.size)


@pytest.mark.parametrize("board", ["generic-m4", "generic-m33"])
def test_simd_helpers_native_match_models(board, tmp_path):
    a, b, c = _operands()
    ref = _host_results(tmp_path, a, b, c)
    src = _source().split("\n", 1)[1]  # without the first #include <stdint.h> (the harness has it)
    r = arm_kernel_run(board, call=f"tg_run_helpers((const uint32_t *)A, (const uint32_t *)B, (const uint32_t *)C, "
                                            f"{a.size}, (uint32_t *)out); status = 0;", decls=src,
                       inputs={"A": a.view(np.int32), "B": b.view(np.int32), "C": c.view(np.int32)},
                       outputs={"out": ("int32", len(HELPERS) * a.size)})
    native = r.outputs["out"].view(np.uint32).reshape(len(HELPERS), a.size)
    for k, name in enumerate(HELPERS):
        bad = np.flatnonzero(native[k] != ref[k])
        assert bad.size == 0, (f"{name} on {board}: {bad.size} differences, e.g. a={a[bad[0]]:#x} b={b[bad[0]]:#x} "
                               f"c={c[bad[0]]:#x}: native {native[k][bad[0]]:#x}, model {ref[k][bad[0]]:#x}")
    # the run did use the instructions, not the models
    from tinygen.toolchain.elfinfo import ElfInfo

    assert "smmlar" in subprocess.run(["arm-none-eabi-objdump", "-d", str(ElfInfo(r.elf).path)],
                                      capture_output=True, text=True).stdout
