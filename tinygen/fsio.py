"""Writing to the user's file system: outputs that appear together or not at all, cache entries
published atomically, stray temporary folders of killed runs cleaned up, and errors of the
environment (disk full, read-only, not a folder...) reported as one line naming the path.

    out = Outputs()
    out.folder("out/", {"model.c": c_text, "model.h": h_text})
    out.file("report.json", json_text)
    out.commit()          # every file in place, or none (files replaced so far are restored)

    with cache_entry(cache_dir() / "host" / "kernels-1234") as tmp:
        ...               # build into tmp; published by renaming tmp when the block succeeds

Every temporary folder is made on the file system of its destination (inside the destination
folder, or beside a folder that does not exist yet), so the final step is a rename, never a copy
across file systems. Temporary folders are named `*.tmp-*` and hold a lock (flock) while their
run is alive; `sweep_stale` removes those whose lock is free (their run was killed).
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

from .errors import FileSystemError

#: name of the lock file inside a temporary folder
LOCK_NAME = ".tinygen-lock"
#: a temporary folder without a lock file (its run died before taking it) is stray after this long
LOCKLESS_STALE_SECONDS = 3600
#: errno values that describe the user's environment, never a bug of tinygen
ENVIRONMENT_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EISDIR,
    errno.EEXIST, errno.ENAMETOOLONG, errno.ELOOP, errno.EFBIG, errno.EXDEV, errno.EMFILE, errno.ENFILE,
    errno.EIO, errno.ENOTEMPTY, errno.EBUSY, errno.ETXTBSY,
})
_CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EFBIG: "file too large (file size limit or full disk)",
    errno.EXDEV: "cannot move across file systems",
    errno.ENAMETOOLONG: "name too long",
}


def os_error(e: OSError, action: str, path: str | os.PathLike | None = None) -> FileSystemError:
    """A one-line error for `e`: '<path>: cannot <action>: <cause>'."""
    from .sanitize import quote_name

    where = e.filename if e.filename is not None else path
    cause = _CAUSES.get(e.errno or -1) or e.strerror or type(e).__name__
    prefix = f"{quote_name(str(where), 160, quotes=False)}: " if where is not None else ""
    return FileSystemError(f"{prefix}cannot {action}: {cause}")


def is_environment_error(e: BaseException) -> bool:
    return isinstance(e, OSError) and e.errno in ENVIRONMENT_ERRNOS


@contextmanager
def fs_errors(action: str, path: str | os.PathLike | None = None) -> Iterator[None]:
    """Turn an OSError of the block into a one-line FileSystemError."""
    try:
        yield
    except OSError as e:
        raise os_error(e, action, path) from None


def _data(v: str | bytes) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def _umask() -> int:
    with _UMASK_LOCK:
        m = os.umask(0)
        os.umask(m)
    return m


_UMASK_LOCK = threading.Lock()


# -- temporary folders ------------------------------------------------------------------------------
class _Stage:
    """A locked temporary folder `<parent>/<prefix>.tmp-XXXXXXXX`."""

    def __init__(self, parent: Path, prefix: str) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix + ".tmp-", dir=parent))
        self._lock = None
        try:
            self._lock = open(self.path / LOCK_NAME, "w")
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self.discard()
            raise

    def unlock(self) -> None:
        if self._lock is not None:
            try:
                (self.path / LOCK_NAME).unlink(missing_ok=True)
            finally:
                self._lock.close()
                self._lock = None

    def discard(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        shutil.rmtree(self.path, ignore_errors=True)


def sweep_stale(parent: Path, pattern: str = "*.tmp-*") -> list[Path]:
    """Remove temporary folders in `parent` left by killed runs: their lock is free (or, without a
    lock file, they are older than an hour). Folders of live runs are kept. Returns the removed."""
    removed = []
    try:
        candidates = [p for p in Path(parent).glob(pattern) if p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for d in candidates:
        lock = d / LOCK_NAME
        try:
            f = open(lock, "r")
        except FileNotFoundError:
            try:
                stale = time.time() - d.stat().st_mtime > LOCKLESS_STALE_SECONDS
            except OSError:
                continue
            if stale:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
            continue
        except OSError:
            continue
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held: a live run
                continue
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


_SWEPT: set[str] = set()


def _sweep_once(parent: Path, pattern: str) -> None:
    key = f"{parent}\0{pattern}"
    if key not in _SWEPT:
        _SWEPT.add(key)
        sweep_stale(parent, pattern)


@contextmanager
def cache_entry(final: Path) -> Iterator[Path]:
    """Build a cache entry in a temporary folder beside `final`; on success it is renamed to
    `final` (if another process published it first, this copy is dropped: entries are content
    addressed), on failure it is removed. Stray temporary folders of killed runs in the same
    cache folder are removed first (once per process)."""
    with fs_errors("use the build cache", final.parent):
        final.parent.mkdir(parents=True, exist_ok=True)
        _sweep_once(final.parent, "*.tmp-*")
        stage = _Stage(final.parent, final.name)
    try:
        yield stage.path
    except BaseException:
        stage.discard()
        raise
    stage.unlock()
    try:
        os.rename(stage.path, final)
    except OSError:
        shutil.rmtree(stage.path, ignore_errors=True)
        if not final.is_dir():
            raise os_error(OSError(errno.EIO, "could not publish the build"), "write the build cache", final) \
                from None


# -- outputs ----------------------------------------------------------------------------------------
class Outputs:
    """The files one command writes, put in place together by commit()."""

    def __init__(self) -> None:
        self._files: dict[Path, bytes] = {}
        self._folders: list[Path] = []

    def file(self, path: str | os.PathLike, data: str | bytes) -> Path:
        p = Path(path)
        if p.is_dir():
            raise FileSystemError(f"{p}: is a folder, expected a file name")
        self._files[p] = _data(data)
        return p

    def folder(self, dest: str | os.PathLike, files: Mapping[str, str | bytes]) -> list[Path]:
        d = Path(dest)
        if d.exists() and not d.is_dir():
            raise FileSystemError(f"{d}: is a file, expected a folder")
        self._folders.append(d)
        return [self.file(d / name, data) for name, data in files.items()]

    def commit(self) -> list[Path]:
        """Put every file in place; on failure restore what was there and raise a one-line
        FileSystemError."""
        groups: dict[Path, dict[str, bytes]] = {}
        for p, data in self._files.items():
            groups.setdefault(p.parent, {})[p.name] = data
        done: list[_Group] = []
        try:
            for parent, files in groups.items():
                g = _Group(parent, files)
                done.append(g)
                g.stage()
            for g in done:
                g.swap()
        except BaseException as e:
            for g in reversed(done):
                g.rollback()
            if isinstance(e, OSError):
                raise os_error(e, "write the output") from None
            raise
        for g in done:
            g.finish()
        return list(self._files)


class _Group:
    """The outputs in one folder. A folder that does not exist yet is staged whole beside it and
    renamed into place; in an existing folder the files are staged inside it, then each is renamed
    over its target (the old file kept until the end, to restore on failure)."""

    def __init__(self, folder: Path, files: dict[str, bytes]) -> None:
        self.folder = folder
        self.files = files
        self.st: _Stage | None = None
        self.created_dirs: list[Path] = []
        self.new_folder = False
        self.moved: list[tuple[Path, Path | None]] = []  # (target, backup)

    def stage(self) -> None:
        folder = self.folder
        if folder.is_dir():
            for name in self.files:
                if (folder / name).is_dir():
                    raise FileSystemError(f"{folder / name}: is a folder, cannot write a file there")
            _sweep_once(folder, ".tinygen-*.tmp-*")
            self.st = _Stage(folder, ".tinygen-out")
        else:
            self.new_folder = True
            parent = folder.parent
            missing = []
            p = parent
            while not p.exists():
                missing.append(p)
                p = p.parent
            if not p.is_dir():
                raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(p))
            for m in reversed(missing):
                m.mkdir()
                self.created_dirs.append(m)
            self.st = _Stage(parent, f".tinygen-{folder.name[:40]}")
        for name, data in self.files.items():
            with open(self.st.path / name, "wb") as f:
                f.write(data)
        if self.new_folder:
            os.chmod(self.st.path, 0o777 & ~_umask())

    def swap(self) -> None:
        assert self.st is not None
        if self.new_folder:
            self.st.unlock()
            os.rename(self.st.path, self.folder)
            self.moved.append((self.folder, None))
            return
        for i, name in enumerate(self.files):
            target = self.folder / name
            backup = None
            if target.exists() or target.is_symlink():
                backup = self.st.path / f".backup-{i}"
                os.rename(target, backup)
            self.moved.append((target, backup))
            os.rename(self.st.path / name, target)

    def rollback(self) -> None:
        for target, backup in reversed(self.moved):
            try:
                if self.new_folder:
                    shutil.rmtree(target, ignore_errors=True)
                    continue
                if target.exists() and (backup is None or backup.exists()):
                    target.unlink()
                if backup is not None and backup.exists():
                    os.rename(backup, target)
            except OSError:
                pass
        self.moved.clear()
        if self.st is not None:
            self.st.discard()
        for d in reversed(self.created_dirs):
            try:
                d.rmdir()
            except OSError:
                pass

    def finish(self) -> None:
        if self.st is not None and not self.new_folder:
            self.st.discard()


def write_file(path: str | os.PathLike, data: str | bytes) -> Path:
    """One output file, written atomically."""
    out = Outputs()
    p = out.file(path, data)
    out.commit()
    return p


def write_folder(dest: str | os.PathLike, files: Mapping[str, str | bytes]) -> list[Path]:
    """The files of one output folder, together or not at all."""
    out = Outputs()
    paths = out.folder(dest, files)
    out.commit()
    return paths


__all__ = ["FileSystemError", "Outputs", "cache_entry", "fs_errors", "is_environment_error", "os_error",
           "sweep_stale", "write_file", "write_folder"]
