"""The results of a sweep: one JSON row per line (JSONL), appended as pairs finish; CSV and Parquet
copies on request.

Resuming: a row's `key` hashes the model's sha256, the board and every setting that can change the
row; a rerun skips the keys already in the file. Only the driver writes, one whole line per write
(followed by flush and fsync), so an interrupted sweep leaves complete rows and at most one partial
last line, which the next run drops (its pair is computed again). The file is locked while a sweep
writes it: a second sweep on the same file is refused. When a key appears twice (a transient error
retried), the last row wins.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from ..errors import TinygenError
from .evaluate import FIELDS, VOLATILE_FIELDS, SweepSettings


def row_key(sha256: str | None, name: str, board: str, settings: SweepSettings) -> str:
    """The resume key of a pair: the model's bytes (or, for a candidate that could not be read,
    its name), the board and the settings."""
    ident = sha256 if sha256 is not None else f"name:{name}"
    blob = json.dumps([ident, board, settings.key_dict()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def comparable(row: dict) -> dict:
    """A row without its timing (what two runs of the same pair must agree on)."""
    return {k: v for k, v in row.items() if k not in VOLATILE_FIELDS}


def latest_by_key(rows: Iterable[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in rows:
        out.pop(r["key"], None)  # keep file order of the last occurrence
        out[r["key"]] = r
    return out


def read_rows(path: str | Path) -> list[dict]:
    """The rows of a results file (the last row of each key), in file order. A partial last line
    (an interrupted write) is ignored."""
    p = Path(path)
    rows, _ = _parse(p.read_bytes(), p)
    return list(latest_by_key(rows).values())


def _parse(data: bytes, path: Path) -> tuple[list[dict], int]:
    """(rows, bytes of complete lines). Raises TinygenError when the file is not a results file."""
    rows: list[dict] = []
    end = data.rfind(b"\n") + 1
    for n, line in enumerate(data[:end].splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError:
            r = None
        if not isinstance(r, dict) or not isinstance(r.get("key"), str):
            raise TinygenError(f"{path}: not a sweep results file (line {n} is not a JSON row with a key); "
                               f"choose another output file")
        rows.append(r)
    tail = data[end:]
    if tail.strip() and not tail.lstrip().startswith(b"{"):
        raise TinygenError(f"{path}: not a sweep results file (its last line is not a JSON row); "
                           f"choose another output file")
    return rows, end


class ResultsFile:
    """The JSONL file a sweep appends to; a context manager holding its lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise TinygenError(f"{self.path}: is a folder; give the results file's name")
        if self.path.suffix.lower() in (".tflite", ".py"):
            raise TinygenError(f"{self.path}: refusing to write results over a {self.path.suffix} file")
        self._f: io.BufferedRandom | None = None
        self.rows: dict[str, dict] = {}

    def __enter__(self) -> "ResultsFile":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+b")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise TinygenError(f"{self.path}: another sweep is writing this file") from None
        try:
            f.seek(0)
            rows, end = _parse(f.read(), self.path)
            if end != f.tell():  # a partial last line: its pair was in flight
                f.truncate(end)
        except BaseException:
            f.close()
            raise
        f.seek(0, os.SEEK_END)
        self._f = f
        self.rows = latest_by_key(rows)
        return self

    def __exit__(self, *exc) -> None:
        if self._f is not None:
            self._f.close()  # releases the lock
            self._f = None

    def done(self, key: str) -> dict | None:
        """The row of `key` if it needs no recomputing (transient errors are retried)."""
        r = self.rows.get(key)
        return r if r is not None and not r.get("transient") else None

    def append(self, row: dict) -> None:
        assert self._f is not None, "ResultsFile used outside its with block"
        self._f.write(json.dumps(row, separators=(", ", ": ")).encode() + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.rows.pop(row["key"], None)
        self.rows[row["key"]] = row


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tinygen-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sorted_rows(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["board"], r["model"], r["key"]))


def write_csv(path: str | Path, rows: Iterable[dict]) -> None:
    rows = sorted_rows(rows)

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(FIELDS), extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({k: "" if r.get(k) is None else r.get(k) for k in FIELDS})
    _atomic_write(Path(path), write)


def parquet_missing() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return "Parquet output needs pyarrow (pip install 'tinygen[parquet]')"
    return None


#: Parquet column types (the JSON rows are typed by value; None is a null)
_INT = ("flash_bytes", "const_bytes", "arena_bytes", "arena_no_patches_bytes", "static_sram_bytes",
        "sram_peak_bytes", "macs", "instructions", "cycles_estimate")
_FLOAT = ("mac_overhead_percent", "latency_ms_estimate", "seconds")
_BOOL = ("fits", "bit_exact", "transient")


def write_parquet(path: str | Path, rows: Iterable[dict]) -> None:
    missing = parquet_missing()
    if missing:
        raise TinygenError(missing)
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = sorted_rows(rows)
    types = {k: pa.int64() for k in _INT} | {k: pa.float64() for k in _FLOAT} | {k: pa.bool_() for k in _BOOL}
    schema = pa.schema([(k, types.get(k, pa.string())) for k in FIELDS])
    table = pa.Table.from_pylist([{k: r.get(k) for k in FIELDS} for r in rows], schema=schema)
    _atomic_write(Path(path), lambda tmp: pq.write_table(table, tmp))
