"""Names of generated models: what a model's C name (its file names and symbol prefix) may not be.

A model named `string` would generate string.h, which the compiler finds before <string.h> when
the output folder is on the include path; `tg_nn` would shadow the kernel library's header. Such
names are refused when asked for (--name) and prefixed with m_ when taken from a file name.
"""

from __future__ import annotations

from functools import lru_cache

from .errors import TinygenError
from .paths import KERNELS_DIR, TEMPLATES_DIR
from .sanitize import c_identifier, quote_name

#: C keywords (C99 to C23), lowercase (c_identifier lowercases and strips leading underscores)
C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline int
long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while bool complex imaginary alignas alignof atomic generic noreturn static_assert
thread_local true false nullptr constexpr typeof typeof_unqual decimal32 decimal64 decimal128
bitint
""".split())
#: headers a generated <name>.h could shadow: the C standard library's (C89 to C23), common POSIX
#: and newlib ones, and the compiler's ARM intrinsics
SYSTEM_HEADERS = frozenset("""
assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign
stdarg stdatomic stdbit stdbool stdckdint stddef stdint stdio stdlib stdnoreturn string tgmath
threads time uchar wchar wctype unistd strings alloca malloc fcntl features endian newlib reent
arm_acle arm_cmse arm_fp16 arm_bf16 arm_neon arm_mve arm_math cmsis_compiler
""".split())


@lru_cache(maxsize=1)
def _our_headers() -> frozenset[str]:
    """Stems of the kernel library's and the host build's headers."""
    return frozenset(p.stem.lower() for d in (KERNELS_DIR, TEMPLATES_DIR) for p in d.rglob("*.h"))


def reserved_name(name: str) -> str | None:
    """Why `name` (a C identifier) cannot name a model, or None: a C keyword, a system or compiler
    header, or tinygen's own prefix `tg` (the kernel headers tg_nn.h, tg_simd.h..., the firmware's
    tg_startup.c, tg_main.c...)."""
    n = name.lower()
    if n in _our_headers():
        return f"the generated {n}.h would shadow tinygen's header {n}.h"
    if n == "tg" or n.startswith("tg_"):
        return "the prefix tg_ belongs to tinygen's kernel headers and firmware files"
    if n in SYSTEM_HEADERS:
        return f"the generated {n}.h would shadow the system header <{n}.h>"
    if n in C_KEYWORDS:
        return f"'{n}' is a C keyword"
    return None


def model_name(requested: str | None, default: str) -> str:
    """The C name of a model: `requested` (the user's --name) made an identifier, refused when
    reserved; else the identifier of `default` (the model file's name), prefixed with m_ when
    reserved."""
    if requested:
        ident = c_identifier(requested)
        why = reserved_name(ident)
        if why:
            raise TinygenError(f"--name {quote_name(requested)}: the name {ident} is reserved ({why}); "
                               f"choose another name")
        return ident
    ident = c_identifier(default)
    if reserved_name(ident):
        ident = c_identifier("m_" + ident)
    return ident


__all__ = ["C_KEYWORDS", "SYSTEM_HEADERS", "model_name", "reserved_name"]
