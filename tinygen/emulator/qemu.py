"""qemu-system-arm as a second Cortex-M emulator, driven through its GDB server.

    with QemuProcess("mps2-an386", kernel=fw.elf) as q:    # -S -gdb tcp:127.0.0.1:PORT
        q.gdb.cont() ...

QEMU's Cortex-M machines run tinygen's firmware unchanged where the board's memory map fits the
machine (board files name it with `qemu_machine`): QEMU performs the core's real reset (SP and PC
from the vector table), faults reach the firmware's handlers, and the FPU traps until the reset
handler enables it. Without `kernel` the machine starts with empty flash, as a board would for a
debug probe: a GDB client loads the program (see tinygen.flash).

The process listens on 127.0.0.1 only, on a free port; it is stopped (killed if need be) on
close().
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Sequence

from ..errors import TinygenError
from .gdb_rsp import GdbError, GdbRemote

QEMU = os.environ.get("TINYGEN_QEMU", "qemu-system-arm")


class QemuError(TinygenError):
    """qemu-system-arm is missing or did not start."""


def qemu_missing() -> str | None:
    """None when qemu-system-arm can be run, else why not."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} not found (install the Debian package qemu-system-arm: ./dev.sh setup)"
    return None


def qemu_version() -> str:
    if qemu_missing():
        raise QemuError(qemu_missing())
    r = subprocess.run([QEMU, "--version"], capture_output=True, text=True)
    return r.stdout.splitlines()[0] if r.stdout else "unknown"


COUNT_PLUGIN_SOURCE = Path(__file__).with_name("tg_qemu_count.c")


def count_plugin() -> Path | None:
    """The instruction-counting TCG plugin (tg_qemu_count.c) built with the host C compiler and
    cached; None when it cannot be built or this QEMU cannot load plugins."""
    import hashlib

    from ..paths import cache_dir
    from .native import HOST_CC

    global _PLUGIN
    if _PLUGIN is not False:
        return _PLUGIN
    _PLUGIN = None
    src = COUNT_PLUGIN_SOURCE.read_bytes()
    key = hashlib.sha256(src + HOST_CC.encode()).hexdigest()[:20]
    d = cache_dir() / "emulator"
    so = d / f"tg_qemu_count-{key}.so"
    if not so.exists():
        if shutil.which(HOST_CC) is None:
            return None
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".tg_qemu_count-{key}-{os.getpid()}.so"
        r = subprocess.run([HOST_CC, "-O2", "-std=c99", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
                            str(COUNT_PLUGIN_SOURCE), "-o", str(tmp)], capture_output=True, text=True)
        if r.returncode != 0:
            tmp.unlink(missing_ok=True)
            return None
        os.replace(tmp, so)
    if qemu_missing() is None:
        r = subprocess.run([QEMU, "-M", "none", "-plugin", f"{so},start=1,end=2,out={os.devnull}", "-S", "-display",
                            "none", "-monitor", "none", "-nodefaults", "-device", "help"], capture_output=True, text=True)
        if "plugin" in r.stderr.lower() and r.returncode != 0:
            return None
    _PLUGIN = so
    return so


_PLUGIN: "Path | None | bool" = False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_argv(machine: str, port: int, kernel: str | Path | None = None, semihosting: bool = False,
              extra: Sequence[str] = (), wait_for_gdb: bool = True) -> list[str]:
    argv = [QEMU, "-M", machine, "-nodefaults", "-display", "none", "-monitor", "none", "-serial", "null",
            "-net", "none"]
    if wait_for_gdb:
        argv += ["-S"]
    if port:
        argv += ["-gdb", f"tcp:127.0.0.1:{port}"]
    if kernel is not None:
        argv += ["-kernel", str(kernel)]
    if semihosting:
        argv += ["-semihosting-config", "enable=on,target=native"]
    return argv + list(extra)


class QemuProcess:
    """One qemu-system-arm stopped at reset (-S) with its GDB server on 127.0.0.1."""

    def __init__(self, machine: str, kernel: str | Path | None = None, extra: Sequence[str] = (),
                 timeout: float = 30.0) -> None:
        missing = qemu_missing()
        if missing:
            raise QemuError(missing)
        self.machine = machine
        self.kernel = kernel
        self._log = tempfile.TemporaryFile(mode="w+b")
        self.proc: subprocess.Popen | None = None
        self.gdb: GdbRemote | None = None
        last = ""
        for _attempt in range(4):
            self.port = free_port()
            self.argv = qemu_argv(machine, self.port, kernel, extra=extra)
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
            try:
                self.gdb = self._connect(timeout)
                return
            except QemuError as e:
                last = str(e)
                self._stop_process()
                if "in use" not in last.lower():
                    break
        self._log.close()
        raise QemuError(last)

    def _connect(self, timeout: float) -> GdbRemote:
        deadline = time.monotonic() + 10.0
        while True:
            if self.proc.poll() is not None:
                raise QemuError(f"{self.machine}: qemu-system-arm exited ({self.proc.returncode}): {self.stderr_line()}")
            try:
                return GdbRemote("127.0.0.1", self.port, timeout=timeout, connect_timeout=0.2)
            except GdbError as e:
                if time.monotonic() > deadline:
                    raise QemuError(f"{self.machine}: no GDB server on 127.0.0.1:{self.port} ({e})") from None

    def stderr_line(self) -> str:
        self._log.flush()
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode(errors="replace").splitlines()
                 if ln.strip() and "has no peer" not in ln]
        return lines[0] if lines else "(no message)"

    def _stop_process(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=3)
        self.proc = None

    def close(self) -> None:
        if self.gdb is not None:
            self.gdb.close()
            self.gdb = None
        self._stop_process()
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> "QemuProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - safety net
        try:
            self.close()
        except Exception:
            pass


def run_semihosted(machine: str, image_args: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run a program that prints and exits through semihosting (no GDB): its output is on stderr
    (QEMU's semihosting console with target=native) or stdout. `image_args`: e.g. ["-kernel",
    "fw.elf"] or ["-device", "loader,file=fw.hex"]."""
    missing = qemu_missing()
    if missing:
        raise QemuError(missing)
    argv = qemu_argv(machine, 0, semihosting=True, extra=image_args, wait_for_gdb=False)
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise QemuError(f"{machine}: the program did not exit within {timeout:g} s") from None


__all__ = ["QEMU", "QemuError", "QemuProcess", "free_port", "qemu_argv", "qemu_missing", "qemu_version",
           "run_semihosted"]
