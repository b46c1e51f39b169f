"""The parameter dataclasses of tinygen.fast mirror their C structs in tg_nn.h field for field
(names, order, nesting), and render to initializers the C compiler accepts."""

import dataclasses

import pytest

from tinygen.cstruct import ctype_of, render_initializer
from tinygen.fast import depthwise as fdw
from tinygen.fast import elementwise as few
from tinygen.fast import pooling as fpool
from tinygen.testing.kernels import host_kernels

CLASSES = [fdw.DwFastParams, few.AddFastParams, few.MulFastParams, fpool.PoolParams, fpool.MeanHwParams]


def _check(ffi, cls, ctype):
    fields = ffi.typeof(ctype).fields
    names = [f.name for f in dataclasses.fields(cls)]
    assert names == [n for n, _ in fields], (cls.__name__, names, [n for n, _ in fields])
    for f, (name, cf) in zip(dataclasses.fields(cls), fields):
        if cf.type.kind == "struct":
            sub = f.type if isinstance(f.type, type) else None
            assert sub is not None or isinstance(f.type, str), name
            if isinstance(f.type, str):  # postponed annotations: resolve through the module
                import sys
                sub = getattr(sys.modules[cls.__module__], f.type)
            _check(ffi, sub, cf.type.cname)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_mirrors_c_struct(cls):
    ffi, _ = host_kernels()
    _check(ffi, cls, ctype_of(cls))


def test_initializers_compile(tmp_path):
    import subprocess

    from tinygen.cstruct import HW, Dims, Range
    from tinygen.paths import KERNELS_INCLUDE
    from tinygen.toolchain.host import HOST_CC

    objs = [fdw.DwFastParams(HW(1, 2), HW(-1, 0), HW(1, 1), HW(3, 3), Range(-128, 127), Dims(1, 4, 4, 8),
                             Dims(1, 2, 4, 8)),
            few.AddFastParams(1, 1 << 19, 3 << 19, -4 << 21, 1 << 30, 2, -1, 2, 1, 1 << 30, 5, 3, Range(-128, 127)),
            few.MulFastParams(1, -2, 1, 1 << 30, 0, 0, 0, Range(-128, 127)),
            fpool.PoolParams(HW(2, 2), HW(0, 0), HW(2, 2), Range(-128, 127)),
            fpool.MeanHwParams(128, -5, 1 << 30, -3)]
    src = '#include "tg_nn.h"\n' + "\n".join(
        f"const {ctype_of(o)} v{i} = {render_initializer(o)};" for i, o in enumerate(objs)) + "\n"
    (tmp_path / "s.c").write_text(src)
    r = subprocess.run([HOST_CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(KERNELS_INCLUDE), "-c",
                        str(tmp_path / "s.c"), "-o", str(tmp_path / "s.o")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
