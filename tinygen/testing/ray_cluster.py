"""A real Ray cluster on this machine for tests and benchmarks: a head node and worker nodes, every
one bound to 127.0.0.1, the dashboard and usage statistics off, each with its own build cache.

    with LocalRayCluster(nodes=2, cpus_per_node=1, root=tmp_path) as cluster:
        sweep(..., ray=cluster.address)          # "127.0.0.1:PORT"
        cluster.kill_node(1)                     # the second node dies (SIGKILL of its processes)

Only the processes this object started are touched: every node is started with a marker in its
environment (inherited by its raylet, object store and workers), and stopping or killing a node
signals exactly the processes carrying that node's marker (never `ray stop`, which would stop every
Ray on the machine).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MARKER = "TINYGEN_RAY_TEST_NODE"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_executable() -> str:
    exe = Path(sys.executable).with_name("ray")
    return str(exe) if exe.exists() else (shutil.which("ray") or "ray")


def _processes_with(marker_value: str) -> list[int]:
    needle = f"{MARKER}={marker_value}".encode()
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            env = (d / "environ").read_bytes()
        except OSError:
            continue
        if needle in env.split(b"\0"):
            pids.append(int(d.name))
    return pids


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


class LocalRayCluster:
    def __init__(self, nodes: int = 2, cpus_per_node: int = 1, root: str | Path | None = None,
                 env: dict[str, str] | None = None, object_store_bytes: int = 200 * 1024 * 1024,
                 cache: str | Path | None = None) -> None:
        self.n_nodes = nodes
        self.cpus_per_node = cpus_per_node
        self._own_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="tg-ray-"))
        self.env = dict(env or {})
        self.object_store_bytes = object_store_bytes
        #: one build cache for every node (default: one per node, under root)
        self.cache = Path(cache) if cache is not None else None
        self.id = uuid.uuid4().hex[:12]
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.started: list[str] = []  # marker value of every node started
        #: every port given to a node (the GCS port first)
        self.ports: set[int] = {self.port}
        self._session_dir: Path | None = None

    def node_marker(self, i: int) -> str:
        return f"{self.id}-{i}"

    def node_cache(self, i: int) -> Path:
        return self.cache if self.cache is not None else self.root / f"cache-node{i}"

    def _env(self, i: int) -> dict[str, str]:
        e = dict(os.environ)
        e.update(self.env)
        e.update({MARKER: self.node_marker(i), "TINYGEN_CACHE": str(self.node_cache(i)),
                  "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"})
        return e

    def _port(self) -> str:
        p = free_port()
        self.ports.add(p)
        return str(p)

    def _start(self, i: int) -> None:
        common = ["--node-ip-address", "127.0.0.1", "--num-cpus", str(self.cpus_per_node), "--disable-usage-stats",
                  "--object-store-memory", str(self.object_store_bytes),
                  "--node-manager-port", self._port(), "--object-manager-port", self._port(),
                  "--metrics-export-port", self._port(), "--dashboard-agent-listen-port", self._port(),
                  "--dashboard-agent-grpc-port", self._port(), "--runtime-env-agent-port", self._port()]
        if i == 0:
            # the head's session files: a short path of its own (Unix socket paths are limited to 107 bytes)
            tmp = self._session_dir = Path(tempfile.mkdtemp(prefix="tgray-", dir="/tmp"))
            args = ["--head", "--port", str(self.port), "--include-dashboard=false", "--temp-dir", str(tmp)]
        else:
            args = ["--address", self.address]
        # `ray start ...` through this module's __main__ (Ray's own command line), so that 127.0.0.1
        # stays 127.0.0.1 (see tinygen.sweep.executors.keep_loopback): without it the head's and the
        # worker's processes reach the GCS through this machine's network interface
        cmd = [sys.executable, "-m", "tinygen.testing.ray_cluster", "start", *args, *common]
        self.node_cache(i).mkdir(parents=True, exist_ok=True)
        self.started.append(self.node_marker(i))
        r = subprocess.run(cmd, env=self._env(i), capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            raise RuntimeError(f"ray start (node {i}) failed:\n{r.stdout}\n{r.stderr}")

    def start(self) -> "LocalRayCluster":
        try:
            for i in range(self.n_nodes):
                self._start(i)
            self.wait_for_nodes(self.n_nodes)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_for_nodes(self, n: int, timeout: float = 120.0) -> None:
        """Wait until `n` nodes are alive (asked through a short-lived driver process)."""
        code = ("import ray, sys; from tinygen.sweep.executors import keep_loopback\n"
                "with keep_loopback(): ray.init(address=sys.argv[1], _node_ip_address='127.0.0.1', "
                "logging_level='ERROR', log_to_driver=False)\n"
                "print(sum(1 for n in ray.nodes() if n['Alive']))")
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            r = subprocess.run([sys.executable, "-c", code, self.address], capture_output=True, text=True,
                               timeout=120, env=self._env(0) | {MARKER: f"{self.id}-driver"})
            last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-500:]
            if r.returncode == 0 and last.isdigit() and int(last) >= n:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the Ray cluster at {self.address} did not reach {n} nodes: {last}")

    def node_pids(self, i: int) -> list[int]:
        return _processes_with(self.node_marker(i))

    def pids(self) -> set[int]:
        """Every live process of every node."""
        return {p for m in self.started for p in _processes_with(m)}

    def kill_node(self, i: int) -> list[int]:
        """SIGKILL every process of node i (its raylet, object store, workers); returns their pids."""
        pids = self.node_pids(i)
        _signal_all(pids, signal.SIGKILL)
        return pids

    def stop(self) -> None:
        """Stop every node this object started (workers first, the head last): SIGTERM, then SIGKILL
        whatever is left after a few seconds."""
        markers = list(reversed(self.started)) + [f"{self.id}-driver"]
        for m in markers:
            _signal_all(_processes_with(m), signal.SIGTERM)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and any(_processes_with(m) for m in markers):
            time.sleep(0.2)
        for m in markers:
            _signal_all(_processes_with(m), signal.SIGKILL)
        self.started.clear()
        if self._session_dir is not None:
            shutil.rmtree(self._session_dir, ignore_errors=True)
            self._session_dir = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalRayCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _socket_inodes(pids: set[int]) -> set[str]:
    out = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    link = os.readlink(fd)
                except OSError:
                    continue
                if link.startswith("socket:["):
                    out.add(link[8:-1])
        except OSError:
            continue
    return out


def non_loopback_connections(pids: set[int]) -> list[str]:
    """TCP sockets of the processes `pids` (listening or connected) with an address that is not a
    loopback one, from /proc/net/tcp and tcp6: what a cluster kept on 127.0.0.1 must never have."""
    inodes = _socket_inodes(pids)
    bad = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            if f[9] not in inodes:
                continue
            for addr in (f[1].split(":")[0], f[2].split(":")[0]):
                if not _is_loopback_hex(addr):
                    bad.append(f"{table}: {f[1]} -> {f[2]} (state {f[3]})")
                    break
    return bad


def _is_loopback_hex(a: str) -> bool:
    if len(a) == 8:  # IPv4, little-endian: 127.x.x.x has its first byte last
        return a[6:8] == "7F" or a == "00000000"
    v4 = a[24:32]  # ::ffff:a.b.c.d
    return a in ("0" * 32, "0" * 24 + "01000000") or (a[:24] == "0000000000000000FFFF0000" and
                                                      (v4[6:8] == "7F" or v4 == "00000000"))


if __name__ == "__main__":  # python -m tinygen.testing.ray_cluster start ...: Ray's CLI, loopback kept
    from ray.scripts.scripts import main

    from tinygen.sweep.executors import keep_loopback

    with keep_loopback():
        sys.argv[0] = "ray"
        main()
