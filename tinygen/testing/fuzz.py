"""Fuzzing tinygen with mutated .tflite files: structural mutators, and a campaign that runs each
mutant through `tinygen compile` (in process, as a user would call it) and checks every mutant
that compiles against TensorFlow Lite Micro.

    slots = flatbuffer_slots(data)               # where offsets, vector lengths, vtables are
    kind, mutant = mutate(data, rng, slots)      # one mutation
    result = run_campaign(seeds, n=300, seed=0)  # counts and findings

A finding is anything a user must never see: an internal error (exit 3) or a traceback, an error
that is not one line, a run longer than the time limit (a hang), files left behind after an error
(in the output folder or as temporary folders), a generated C file the host compiler rejects, or
an output that differs from TFLM. A one-line `tinygen: error:` with exit 2 and nothing written is
the correct answer to a broken file, and so is a successful compile whose outputs are bit-exact.
TFLM refusing or aborting on a model tinygen accepted is counted (the oracle has no answer there),
not a finding: `tinygen check` reports it as one line.

The mutators are those that found the defects of issue 12: byte flips and runs, truncation,
duplicated chunks, and flatbuffer offsets, vector lengths and vtable fields set to extreme values.
The atheris harness (scripts/fuzz_atheris.py) uses them as its custom mutator.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import signal
import struct
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

# -- where the structure is -------------------------------------------------------------------------
# The TFLite schema's tables, as far as the walker follows them: field index -> kind.
# kinds: ("tables", spec) vector of tables; ("table", spec); ("vec", elem_size); "str"; "u32"
_QUANT = {0: ("vec", 4), 1: ("vec", 4), 2: ("vec", 4), 3: ("vec", 8), 6: "u32"}
_TENSOR = {0: ("vec", 4), 1: "u8", 2: "u32", 3: "str", 4: ("table", _QUANT), 7: ("vec", 4)}
_OPERATOR = {0: "u32", 1: ("vec", 4), 2: ("vec", 4), 3: "u8", 4: ("table", {}), 5: ("vec", 1), 8: ("vec", 4)}
_SUBGRAPH = {0: ("tables", _TENSOR), 1: ("vec", 4), 2: ("vec", 4), 3: ("tables", _OPERATOR), 4: "str"}
_BUFFER = {0: ("vec", 1)}
_OPCODE = {0: "u8", 1: "str", 2: "u32", 3: "u32"}
_MODEL = {0: "u32", 1: ("tables", _OPCODE), 2: ("tables", _SUBGRAPH), 3: "str", 4: ("tables", _BUFFER),
          5: ("vec", 4)}


@dataclass
class Slots:
    """Byte positions of the flatbuffer's structure: uoffset fields (4 bytes), vector and string
    lengths (4 bytes), vtable entries (2 bytes), and soffsets to vtables (4 bytes)."""
    offsets: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    vtable_entries: list[int] = field(default_factory=list)
    vtable_refs: list[int] = field(default_factory=list)


def flatbuffer_slots(data: bytes, limit: int = 20000) -> Slots:
    """Walk a .tflite model's tables (Model, SubGraph, Tensor, Operator, Buffer...) and record
    where its structure lies. Stops quietly at anything out of bounds (a mutant may be broken)."""
    s = Slots()
    n = len(data)
    seen: set[int] = set()

    def u32(p: int) -> int | None:
        return struct.unpack_from("<I", data, p)[0] if 0 <= p <= n - 4 else None

    def table(pos: int, spec: dict) -> None:
        if pos in seen or len(seen) > limit or not 0 <= pos <= n - 4:
            return
        seen.add(pos)
        s.vtable_refs.append(pos)
        vt = pos - struct.unpack_from("<i", data, pos)[0]
        if not 0 <= vt <= n - 4:
            return
        vt_size, _ = struct.unpack_from("<HH", data, vt)
        if vt_size < 4 or vt + vt_size > n:
            return
        for i in range((vt_size - 4) // 2):
            entry = vt + 4 + 2 * i
            s.vtable_entries.append(entry)
            off = struct.unpack_from("<H", data, entry)[0]
            kind = spec.get(i)
            if off == 0 or kind is None or kind in ("u8", "u32"):
                continue
            field_pos = pos + off
            rel = u32(field_pos)
            if rel is None:
                continue
            s.offsets.append(field_pos)
            target = field_pos + rel
            if kind == "str" or kind[0] == "vec":
                if u32(target) is not None:
                    s.lengths.append(target)
            elif kind[0] == "table":
                table(target, kind[1])
            elif kind[0] == "tables":
                count = u32(target)
                if count is None:
                    continue
                s.lengths.append(target)
                for k in range(min(count, 4096)):
                    ep = target + 4 + 4 * k
                    r = u32(ep)
                    if r is None:
                        break
                    s.offsets.append(ep)
                    table(ep + r, kind[1])

    root = u32(0)
    if root is not None:
        s.offsets.append(0)
        table(root, _MODEL)
    return s


# -- mutators ----------------------------------------------------------------------------------------
def _extreme32(rng: np.random.Generator, n: int) -> int:
    return int(rng.choice([0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                           0xFFFFFFFF, 0xFFFFFFFE, n, n - 1, n + 1, n * 2, max(n - 4, 0)])) & 0xFFFFFFFF


def _extreme16(rng: np.random.Generator, n: int) -> int:
    return int(rng.choice([0, 1, 2, 3, 4, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0xFFFE,
                           n & 0xFFFF])) & 0xFFFF


def _put(b: bytearray, pos: int, value: int, size: int) -> None:
    if 0 <= pos <= len(b) - size:
        b[pos:pos + size] = value.to_bytes(size, "little")


def m_bit_flips(b: bytearray, rng, slots: Slots) -> None:
    for _ in range(int(rng.integers(1, 9))):
        i = int(rng.integers(0, len(b)))
        b[i] ^= 1 << int(rng.integers(0, 8))


def m_byte_run(b: bytearray, rng, slots: Slots) -> None:
    i = int(rng.integers(0, len(b)))
    k = int(rng.integers(1, 65))
    v = int(rng.choice([0x00, 0xFF, 0x7F, 0x80, int(rng.integers(0, 256))]))
    b[i:i + k] = bytes([v]) * len(b[i:i + k])


def m_random_bytes(b: bytearray, rng, slots: Slots) -> None:
    for i in rng.integers(0, len(b), size=int(rng.integers(1, 17))):
        b[int(i)] = int(rng.integers(0, 256))


def m_truncate(b: bytearray, rng, slots: Slots) -> None:
    del b[int(rng.integers(0, len(b))):]


def m_duplicate_chunk(b: bytearray, rng, slots: Slots) -> None:
    n = len(b)
    src = int(rng.integers(0, n))
    k = int(rng.integers(1, min(512, n - src) + 1))
    chunk = bytes(b[src:src + k])
    dst = int(rng.integers(0, n))
    if rng.random() < 0.5:
        b[dst:dst] = chunk                            # inserted: everything after it moves
    else:
        b[dst:dst + k] = chunk[:len(b[dst:dst + k])]  # overwritten in place


def m_offset(b: bytearray, rng, slots: Slots) -> None:
    if slots.offsets:
        _put(b, int(rng.choice(slots.offsets)), _extreme32(rng, len(b)), 4)
    else:
        m_random_bytes(b, rng, slots)


def m_vector_length(b: bytearray, rng, slots: Slots) -> None:
    if slots.lengths:
        _put(b, int(rng.choice(slots.lengths)), _extreme32(rng, len(b)), 4)
    else:
        m_random_bytes(b, rng, slots)


def m_vtable(b: bytearray, rng, slots: Slots) -> None:
    if slots.vtable_entries and rng.random() < 0.8:
        _put(b, int(rng.choice(slots.vtable_entries)), _extreme16(rng, len(b)), 2)
    elif slots.vtable_refs:
        _put(b, int(rng.choice(slots.vtable_refs)), _extreme32(rng, len(b)), 4)
    else:
        m_random_bytes(b, rng, slots)


MUTATORS: dict[str, Callable[[bytearray, np.random.Generator, Slots], None]] = {
    "bit_flips": m_bit_flips,
    "byte_run": m_byte_run,
    "random_bytes": m_random_bytes,
    "truncate": m_truncate,
    "duplicate_chunk": m_duplicate_chunk,
    "offset": m_offset,
    "vector_length": m_vector_length,
    "vtable": m_vtable,
}


def mutate(data: bytes, rng: np.random.Generator, slots: Slots | None = None,
           kind: str | None = None) -> tuple[str, bytes]:
    """One mutant of `data` (the mutator chosen at random unless `kind` is given)."""
    if not data:
        return "empty", bytes(rng.integers(0, 256, size=int(rng.integers(0, 64)), dtype=np.uint8))
    slots = slots if slots is not None else flatbuffer_slots(data)
    kind = kind or str(rng.choice(list(MUTATORS)))
    b = bytearray(data)
    MUTATORS[kind](b, rng, slots)
    return kind, bytes(b)


# -- running one mutant as a user would ---------------------------------------------------------------
class _Timeout(BaseException):
    """Raised by the alarm: BaseException, so no `except Exception` in tinygen swallows it."""


@dataclass
class Outcome:
    #: "compiled", "refused" (a correct one-line error) or a finding: "internal_error",
    #: "not_one_line", "hang", "leftover", "unexpected_exit"
    kind: str
    seconds: float
    message: str = ""
    c_files: dict[str, str] | None = None


FINDING_KINDS = ("internal_error", "not_one_line", "hang", "leftover", "unexpected_exit", "build_failure",
                 "mismatch")


def run_compile(data: bytes, workdir: Path, time_limit: float = 20.0, name: str = "fuzz") -> Outcome:
    """`tinygen compile <mutant> -o <out> --name <name>` in this process; classify the result."""
    from ..cli import main

    workdir.mkdir(parents=True, exist_ok=True)
    model = workdir / "mutant.tflite"
    model.write_bytes(data)
    out = workdir / "out"
    err, std = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    t0 = time.monotonic()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
            main(["compile", str(model), "-o", str(out), "--name", name])
    except SystemExit as e:
        code = e.code
    except _Timeout:
        return Outcome("hang", time.monotonic() - t0, f"no answer within {time_limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    seconds = time.monotonic() - t0
    stray = sorted(p.name for p in workdir.iterdir() if p.name not in ("mutant.tflite", "out"))
    lines = err.getvalue().strip().splitlines()
    if code in (0, None):
        files = {p.name: p.read_text() for p in sorted(out.iterdir())} if out.is_dir() else {}
        if set(files) != {f"{name}.c", f"{name}.h"} or stray:
            return Outcome("leftover", seconds, f"exit 0 but the output folder holds {sorted(files)}, beside it {stray}")
        return Outcome("compiled", seconds, c_files=files)
    text = err.getvalue()
    if code == 3 or "Traceback" in text or "internal error" in text:
        return Outcome("internal_error", seconds, text.strip()[:500])
    if code != 2:
        return Outcome("unexpected_exit", seconds, f"exit {code}: {text.strip()[:300]}")
    if len(lines) != 1 or not lines[0].startswith("tinygen: error: ") or len(lines[0]) > 500:
        return Outcome("not_one_line", seconds, text[:500])
    if out.exists() or stray:
        return Outcome("leftover", seconds, f"after an error: {'out/ exists; ' if out.exists() else ''}{stray}")
    return Outcome("refused", seconds, lines[0])


def _alarm(signum, frame):  # pragma: no cover - timing dependent
    raise _Timeout()


# -- a campaign ------------------------------------------------------------------------------------
@dataclass
class CampaignResult:
    mutants: int = 0
    by_mutator: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    #: distinct generated programs among the compiled mutants, and how many were checked vs TFLM
    distinct_compiled: int = 0
    checked_vs_tflm: int = 0
    bit_exact: int = 0
    oracle_refused: int = 0
    findings: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    slowest_seconds: float = 0.0

    @property
    def finding_count(self) -> int:
        return len(self.findings)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["finding_count"] = self.finding_count
        return d


def _structure_key(files: dict[str, str]) -> str:
    """Hash of the generated C without the constants' values: models differing only in weights
    share a key."""
    h = hashlib.sha256()
    for name, text in sorted(files.items()):
        kept = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("-", "0", "1", "2", "3", "4", "5",
                                                                               "6", "7", "8", "9"))]
        h.update(name.encode() + "\n".join(kept).encode())
    return h.hexdigest()


def run_campaign(seeds: Sequence[tuple[str, bytes]], n: int, seed: int = 0, check: bool = True,
                 check_limit: int | None = None, check_batch: int = 12, n_inputs: int = 2,
                 time_limit: float = 20.0, workdir: Path | None = None,
                 progress: Callable[[int, CampaignResult], None] | None = None) -> CampaignResult:
    """n mutants, round robin over `seeds` ((label, bytes)), derandomized by `seed`. Every mutant
    goes through `tinygen compile`; the compiled ones (one per distinct program, with different
    weights counted as different programs up to `check_limit`) are built together for the host
    and compared with TFLM on `n_inputs` random inputs each."""
    rng = np.random.default_rng(seed)
    res = CampaignResult()
    slots = {label: flatbuffer_slots(data) for label, data in seeds}
    t_start = time.monotonic()
    seen_programs: set[str] = set()
    to_check: list[tuple[str, str, bytes]] = []
    with contextlib.ExitStack() as stack:
        root = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tinygen-fuzz-")))
        for i in range(n):
            label, data = seeds[i % len(seeds)]
            kind, mutant = mutate(data, rng, slots[label])
            res.mutants += 1
            res.by_mutator[kind] = res.by_mutator.get(kind, 0) + 1
            wd = root / f"m{i}"
            o = run_compile(mutant, wd, time_limit=time_limit)
            res.outcomes[o.kind] = res.outcomes.get(o.kind, 0) + 1
            res.slowest_seconds = max(res.slowest_seconds, o.seconds)
            if o.kind not in ("compiled", "refused"):
                res.findings.append(dict(kind=o.kind, mutant=i, seed_model=label, mutator=kind,
                                         sha256=hashlib.sha256(mutant).hexdigest(), message=o.message))
            elif o.kind == "compiled":
                prog = hashlib.sha256("".join(o.c_files[k] for k in sorted(o.c_files)).encode()).hexdigest()
                if prog not in seen_programs:
                    seen_programs.add(prog)
                    res.distinct_compiled += 1
                    if check and (check_limit is None or len(to_check) < check_limit):
                        to_check.append((f"mutant {i} ({kind} of {label})", _structure_key(o.c_files), mutant))
            _rmtree(wd)
            if progress is not None:
                progress(i + 1, res)
        if check and to_check:
            _check_batches(to_check, res, check_batch, n_inputs)
    res.seconds = time.monotonic() - t_start
    return res


def _rmtree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def _check_batches(items: list[tuple[str, str, bytes]], res: CampaignResult, batch: int, n_inputs: int) -> None:
    """Build the compiled mutants for the host in batches and compare them with TFLM (in one
    worker process, restarted when TFLM aborts on a broken model)."""
    from ..check import check_compiled
    from ..compiler import compile_model
    from ..errors import ToolchainError
    from ..options import CompileOptions
    from ..reference.tflm import OraclePool

    def check(group, labels):
        return check_compiled(group, n_random=n_inputs, isolate=True, diagnose=False, labels=labels,
                              oracle_pool=pool, oracle_errors="report")

    with OraclePool() as pool:
        for start in range(0, len(items), batch):
            chunk = items[start:start + batch]
            cms = [(compile_model(data, CompileOptions(name=f"f{k}")), data) for k, (_, _, data) in enumerate(chunk)]
            labels = [c[0] for c in chunk]
            try:
                reports = check(cms, labels)
            except ToolchainError:  # one of them does not build: find which
                reports = []
                for item, label in zip(cms, labels):
                    try:
                        reports += check([item], [label])
                    except ToolchainError as e:
                        res.findings.append(dict(kind="build_failure", mutant=label, message=str(e)[:300]))
            for r in reports:
                if r.error:
                    res.oracle_refused += 1
                    continue
                res.checked_vs_tflm += 1
                if r.bit_exact:
                    res.bit_exact += 1
                else:
                    res.findings.append(dict(kind="mismatch", mutant=r.model, message=str(r.mismatches[:2])))


__all__ = ["CampaignResult", "FINDING_KINDS", "MUTATORS", "Outcome", "Slots", "flatbuffer_slots", "mutate",
           "run_campaign", "run_compile"]
