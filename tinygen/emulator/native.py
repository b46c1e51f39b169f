"""The native instruction-counting block hook (tg_blockcount.c), built once with the host C
compiler and registered with Unicorn through ctypes. A Python block hook does the same job about
25 times slower; it is the fallback when no host compiler is available."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..paths import cache_dir

SOURCE = Path(__file__).with_name("tg_blockcount.c")
HOST_CC = os.environ.get("TINYGEN_HOST_CC", "gcc")


#: entries of the block table (TG_TABLE_SIZE in tg_blockcount.c)
TABLE_SIZE = 1 << 16


class CounterHeader(ctypes.Structure):
    """The first fields of tg_counter (tg_blockcount.c), in order."""
    _fields_ = [
        ("count", ctypes.c_uint64),
        ("limit", ctypes.c_uint64),
        ("blocks", ctypes.c_uint64),
        ("limit_hit", ctypes.c_uint32),
        ("read_errors", ctypes.c_uint32),
        ("mem_read", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
    ]


@dataclass(frozen=True)
class BlockStats:
    """Executed blocks: address, size in bytes, instructions, times run, times ended by a taken
    branch (numpy arrays of equal length)."""

    address: np.ndarray
    size: np.ndarray
    instructions: np.ndarray
    hits: np.ndarray
    taken: np.ndarray

    def minus(self, earlier: "BlockStats") -> "BlockStats":
        """What ran since `earlier` (a snapshot of the same counter)."""
        prev = {(int(a), int(s)): (int(h), int(t)) for a, s, h, t in
                zip(earlier.address, earlier.size, earlier.hits, earlier.taken)}
        hits = np.array([h - prev.get((int(a), int(s)), (0, 0))[0] for a, s, h in zip(self.address, self.size, self.hits)],
                        dtype=np.int64)
        taken = np.array([t - prev.get((int(a), int(s)), (0, 0))[1] for a, s, t in zip(self.address, self.size, self.taken)],
                         dtype=np.int64)
        keep = hits > 0
        return BlockStats(self.address[keep], self.size[keep], self.instructions[keep], hits[keep], taken[keep])


@lru_cache(maxsize=1)
def native_library() -> ctypes.CDLL | None:
    """The compiled hook library, or None when it cannot be built (no host compiler)."""
    src = SOURCE.read_bytes()
    key = hashlib.sha256(src + HOST_CC.encode()).hexdigest()[:20]
    d = cache_dir() / "emulator"
    so = d / f"tg_blockcount-{key}.so"
    if not so.exists():
        if shutil.which(HOST_CC) is None:
            return None
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".tg_blockcount-{key}-{os.getpid()}.so"
        r = subprocess.run([HOST_CC, "-O2", "-std=c99", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror", str(SOURCE),
                            "-o", str(tmp)], capture_output=True, text=True)
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            return None
        os.replace(tmp, so)
    lib = ctypes.CDLL(str(so))
    lib.tg_counter_size.restype = ctypes.c_size_t
    lib.tg_counter_offset_keys.restype = ctypes.c_size_t
    lib.tg_counter_reset_blocks.argtypes = [ctypes.c_void_p]
    lib.tg_thumb_count.restype = ctypes.c_uint32
    lib.tg_thumb_count.argtypes = [ctypes.c_char_p, ctypes.c_uint32]
    return lib


class NativeCounter:
    """A tg_counter in memory owned by Python, and the hook registered on one Unicorn engine."""

    def __init__(self, uc, limit: int) -> None:
        from unicorn.unicorn_const import UC_HOOK_BLOCK
        from unicorn.unicorn_py3.unicorn import uclib

        lib = native_library()
        if lib is None:
            raise RuntimeError("native block hook unavailable")
        self._lib = lib
        self._buf = ctypes.create_string_buffer(lib.tg_counter_size())
        self.header = CounterHeader.from_buffer(self._buf)
        self.header.limit = limit
        self.header.mem_read = ctypes.cast(uclib.uc_mem_read, ctypes.c_void_p).value
        self.header.emu_stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        self._hook = ctypes.c_size_t()
        fn = ctypes.cast(lib.tg_block_hook, ctypes.c_void_p)
        err = uclib.uc_hook_add(uc._uch, ctypes.byref(self._hook), UC_HOOK_BLOCK, fn,
                                ctypes.cast(self._buf, ctypes.c_void_p), ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err != 0:
            raise RuntimeError(f"uc_hook_add failed ({err})")
        self._uc = uc  # the hook must not outlive the engine's user of self._buf

    @property
    def count(self) -> int:
        return int(self.header.count)

    @property
    def limit_hit(self) -> bool:
        return bool(self.header.limit_hit)

    def set_limit(self, limit: int) -> None:
        self.header.limit = limit

    def _arrays(self):
        off = self._lib.tg_counter_offset_keys()
        n = TABLE_SIZE
        keys = np.frombuffer(self._buf, dtype=np.uint64, count=n, offset=off)
        values = np.frombuffer(self._buf, dtype=np.uint32, count=n, offset=off + 8 * n)
        hits = np.frombuffer(self._buf, dtype=np.uint64, count=n, offset=off + 12 * n)
        taken = np.frombuffer(self._buf, dtype=np.uint64, count=n, offset=off + 20 * n)
        return keys, values, hits, taken

    def block_stats(self) -> BlockStats:
        """The blocks run since the last reset_blocks() (a copy)."""
        keys, values, hits, taken = self._arrays()
        idx = np.nonzero(hits)[0]
        k = keys[idx] - np.uint64(1)
        return BlockStats(address=(k >> np.uint64(16)).astype(np.int64), size=(k & np.uint64(0xFFFF)).astype(np.int64),
                          instructions=values[idx].astype(np.int64), hits=hits[idx].astype(np.int64),
                          taken=taken[idx].astype(np.int64))

    def reset_blocks(self) -> None:
        self._lib.tg_counter_reset_blocks(ctypes.cast(self._buf, ctypes.c_void_p))


def thumb_instruction_count(code: bytes) -> int:
    """Instructions in a run of Thumb code (a 32-bit instruction's first halfword starts with
    0b11101, 0b11110 or 0b11111)."""
    n = off = 0
    while off + 1 < len(code):
        hw = code[off] | (code[off + 1] << 8)
        off += 4 if (hw & 0xF800) >= 0xE800 else 2
        n += 1
    return n


class PythonCounter:
    """The same counter as a Python block hook (slower; no compiler needed)."""

    def __init__(self, uc, limit: int) -> None:
        from unicorn import UC_HOOK_BLOCK

        self.count = 0
        self.limit = limit
        self.limit_hit = False
        cache: dict[tuple[int, int], int] = {}
        self._cache = cache
        self._hits: dict[tuple[int, int], list[int]] = {}
        self._last: tuple[int, int] | None = None

        def hook(uc, address, size, _):
            n = cache.get((address, size))
            if n is None:
                try:
                    n = thumb_instruction_count(bytes(uc.mem_read(address, size)))
                except Exception:
                    n = size // 2
                cache[(address, size)] = n
            self.count += n
            st = self._hits.setdefault((address, size), [0, 0])
            st[0] += 1
            last = self._last
            if last is not None and address != last[0] + last[1]:
                self._hits[last][1] += 1
            self._last = (address, size)
            if self.limit and self.count > self.limit and not self.limit_hit:
                self.limit_hit = True
                uc.emu_stop()

        uc.hook_add(UC_HOOK_BLOCK, hook)

    def set_limit(self, limit: int) -> None:
        self.limit = limit

    def block_stats(self) -> BlockStats:
        items = sorted(self._hits.items())
        return BlockStats(address=np.array([a for (a, _), _ in items], dtype=np.int64),
                          size=np.array([s for (_, s), _ in items], dtype=np.int64),
                          instructions=np.array([self._cache[k] for k, _ in items], dtype=np.int64),
                          hits=np.array([v[0] for _, v in items], dtype=np.int64),
                          taken=np.array([v[1] for _, v in items], dtype=np.int64))

    def reset_blocks(self) -> None:
        self._hits = {}
        self._last = None
