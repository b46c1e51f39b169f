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

    def _start(self, i: int) -> None:
        common = ["--node-ip-address", "127.0.0.1", "--num-cpus", str(self.cpus_per_node), "--disable-usage-stats",
                  "--object-store-memory", str(self.object_store_bytes),
                  "--node-manager-port", str(free_port()), "--object-manager-port", str(free_port()),
                  "--metrics-export-port", str(free_port()), "--dashboard-agent-listen-port", str(free_port()),
                  "--dashboard-agent-grpc-port", str(free_port()), "--runtime-env-agent-port", str(free_port())]
        if i == 0:
            # the head's session files: a short path of its own (Unix socket paths are limited to 107 bytes)
            tmp = self._session_dir = Path(tempfile.mkdtemp(prefix="tgray-", dir="/tmp"))
            cmd = [ray_executable(), "start", "--head", "--port", str(self.port), "--include-dashboard=false",
                   "--temp-dir", str(tmp), *common]
        else:
            cmd = [ray_executable(), "start", "--address", self.address, *common]
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
        code = ("import ray, sys; ray.init(address=sys.argv[1], _node_ip_address='127.0.0.1', "
                "logging_level='ERROR', log_to_driver=False); "
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
