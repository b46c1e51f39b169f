"""The candidate models of a sweep: .tflite files, folders and globs, or a Python search space.

A search space is a function named `module:function` (or `path/to/file.py:function`) that takes no
argument and returns an iterable of candidates, each either the model's bytes (named
`function#i`) or a `(name, bytes)` pair. When the iterable has a length (`len()`), the progress bar
knows the total from the start. Candidates are produced lazily: a sweep of thousands never holds
them all in memory.

Problems with one candidate (a file that cannot be read, an item that is not a model, a space that
raises while it yields) become a candidate with an `error`, which the sweep records as a row and
goes on; problems with the request itself (a path that does not exist, a glob matching nothing, a
space that cannot be imported or raises when called) are a TinygenError, raised before anything runs.
"""

from __future__ import annotations

import glob
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from pathlib import Path

from ..errors import TinygenError
from .evaluate import one_line

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Candidate:
    """One candidate model: its bytes (and their sha256), or the error that stopped reading it."""

    name: str
    data: bytes | None = None
    sha256: str | None = None
    error: str | None = None
    #: an error of the environment (a file that could not be read, a space that raised), retried
    #: when the sweep is resumed; a model that does not compile is not retried
    transient: bool = False

    @staticmethod
    def of(name: str, data: bytes) -> "Candidate":
        data = bytes(data)
        return Candidate(name=name, data=data, sha256=hashlib.sha256(data).hexdigest())


class CandidateSource(Iterable[Candidate]):
    """A lazy, re-iterable sequence of candidates with a known or unknown count."""

    def __init__(self, make: "callable[[], Iterator[Candidate]]", count: int | None) -> None:
        self._make = make
        self.count = count

    def __iter__(self) -> Iterator[Candidate]:
        return self._make()


# -- files ------------------------------------------------------------------------------------------
def expand_model_paths(specs: Iterable[str | Path]) -> list[Path]:
    """The .tflite files named by files, folders (searched recursively for *.tflite) and globs,
    in order, each once. Raises TinygenError for a path that does not exist or a glob (or folder)
    that matches no .tflite file."""
    out: list[Path] = []
    seen: set[Path] = set()
    for spec in specs:
        s = str(spec)
        p = Path(s)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.tflite") if not q.is_dir())
            if not found:
                raise TinygenError(f"{s}: no .tflite file in this folder")
        elif set(s) & _GLOB_CHARS and not p.exists():
            found = sorted(Path(q) for q in glob.glob(s, recursive=True) if not Path(q).is_dir())
            if not found:
                raise TinygenError(f"{s}: no model matches this pattern")
        elif p.exists() or p.is_symlink():
            found = [p]
        else:
            raise TinygenError(f"{s}: no such model file, folder or pattern")
        for q in found:
            if q not in seen:
                seen.add(q)
                out.append(q)
    return out


def _read(path: Path) -> Candidate:
    try:
        return Candidate.of(str(path), path.read_bytes())
    except OSError as e:
        return Candidate(name=str(path), error=f"{path}: cannot read: {e.strerror or type(e).__name__}",
                         transient=True)


def file_candidates(specs: Iterable[str | Path]) -> CandidateSource:
    paths = expand_model_paths(specs)
    return CandidateSource(lambda: (_read(p) for p in paths), len(paths))


# -- Python search spaces ------------------------------------------------------------------------------
def _load_function(spec: str):
    mod_name, sep, fn_name = spec.rpartition(":")
    if not sep or not mod_name or not fn_name:
        raise TinygenError(f"--space {spec!r}: expected module:function or path/to/file.py:function")
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name)
            if not path.is_file():
                raise TinygenError(f"--space {spec!r}: no such file {path}")
            name = f"_tinygen_space_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
            loader_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[name] = module
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(mod_name)
    except TinygenError:
        raise
    except Exception as e:  # noqa: BLE001: whatever the user's module does on import
        raise TinygenError(f"--space {spec!r}: cannot import {mod_name}: {one_line(e)}") from None
    fn = getattr(module, fn_name, None)
    if fn is None or not callable(fn):
        raise TinygenError(f"--space {spec!r}: {mod_name} has no function {fn_name!r}")
    return fn


def space_candidates(spec: str) -> CandidateSource:
    """The candidates of the search space `spec` (module:function). The function is called now:
    an exception there is a TinygenError. An exception while it yields ends the space with one
    error candidate (the candidates before it are swept)."""
    fn = _load_function(spec)
    try:
        items = fn()
    except Exception as e:  # noqa: BLE001
        raise TinygenError(f"--space {spec!r} raised: {one_line(e)}") from None
    if isinstance(items, (bytes, bytearray)) or not isinstance(items, Iterable):
        raise TinygenError(f"--space {spec!r} returned {type(items).__name__}, not an iterable of models")
    count = len(items) if isinstance(items, Sized) and not isinstance(items, Iterator) else None
    short = spec.rpartition(":")[2]
    return CandidateSource(lambda: _iterate_space(spec, short, items), count)


def _item(short: str, i: int, item) -> Candidate:
    if isinstance(item, Candidate):
        return item
    if isinstance(item, (bytes, bytearray, memoryview)):
        return Candidate.of(f"{short}#{i}", bytes(item))
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], (bytes, bytearray, memoryview)):
        return Candidate.of(str(item[0]), bytes(item[1]))
    return Candidate(name=f"{short}#{i}", error=f"candidate {i} of the space is a {type(item).__name__}, "
                                                f"not model bytes or (name, bytes)")


def _iterate_space(spec: str, short: str, items) -> Iterator[Candidate]:
    it = iter(items)
    i = 0
    while True:
        try:
            item = next(it)
        except StopIteration:
            return
        except Exception as e:  # noqa: BLE001: the space's own bug ends the space, not the sweep
            yield Candidate(name=f"{short}#{i}", error=f"--space {spec} raised after {i} candidates: {one_line(e)}",
                            transient=True)
            return
        yield _item(short, i, item)
        i += 1


def chain_sources(sources: list[CandidateSource]) -> CandidateSource:
    counts = [s.count for s in sources]
    total = None if any(c is None for c in counts) else sum(counts)

    def make():
        for s in sources:
            yield from s
    return CandidateSource(make, total)
