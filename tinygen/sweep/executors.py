"""Where the pairs run: a local process pool (default) or a Ray cluster (optional extra).

Both take a stream of tasks and yield one row per task, in completion order, keeping only a
bounded number of tasks in flight (candidates are produced lazily; a sweep of thousands does not
hold every model in memory). A worker that dies does not lose its pair: the local pool restarts and
resubmits the pairs that were in flight, Ray retries the task (elsewhere if its node is gone). A
pair whose worker died `max_attempts` times becomes a row with a transient error (retried by the
next resume).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..errors import TinygenError
from .candidates import Candidate
from .evaluate import SweepSettings, empty_row, evaluate_pair, one_line

#: attempts of one pair whose worker keeps dying
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Task:
    candidate: Candidate
    board: str
    key: str


def crashed_row(task: Task, settings: SweepSettings, why: str) -> dict:
    row = empty_row(task.candidate.name, task.candidate.sha256, task.board, settings, task.key)
    row.update(error=why, transient=True)
    return row


class LocalExecutor:
    """A pool of `jobs` worker processes on this machine (spawned: no state inherited from the
    caller's threads)."""

    name = "local"

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(1, int(jobs or os.cpu_count() or 1))

    @property
    def description(self) -> str:
        return f"local pool, {self.jobs} worker{'s' if self.jobs != 1 else ''}"

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"))

    def run(self, tasks: Iterable[Task], settings: SweepSettings) -> Iterator[dict]:
        it = iter(tasks)
        window = 2 * self.jobs
        inflight: dict[Future, tuple[Task, int]] = {}
        pool = self._pool()
        exhausted = False

        def submit(task: Task, attempt: int) -> None:
            c = task.candidate
            f = pool.submit(evaluate_pair, c.data, c.name, c.sha256, task.board, settings, task.key)
            inflight[f] = (task, attempt)

        try:
            while True:
                while not exhausted and len(inflight) < window:
                    task = next(it, None)
                    if task is None:
                        exhausted = True
                    else:
                        submit(task, 1)
                if not inflight:
                    return
                done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                broken: list[tuple[Task, int]] = []
                for f in done:
                    task, attempt = inflight.pop(f)
                    try:
                        row = f.result()
                    except BrokenProcessPool:
                        broken.append((task, attempt))
                        continue
                    except Exception as e:  # noqa: BLE001: e.g. a row that cannot be pickled back
                        row = crashed_row(task, settings, f"worker failed: {one_line(e)}")
                    yield row
                if broken:
                    # a worker died: every pair in flight is lost with the pool; run them again
                    broken += [inflight.pop(f) for f in list(inflight)]
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = self._pool()
                    for task, attempt in broken:
                        if attempt >= MAX_ATTEMPTS:
                            yield crashed_row(task, settings, f"the worker process died {attempt} times while "
                                                              f"evaluating this pair")
                        else:
                            submit(task, attempt + 1)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        pass


def ray_missing() -> str | None:
    try:
        import ray  # noqa: F401
    except ImportError:
        return "--ray needs Ray (pip install 'tinygen[ray]')"
    return None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _host_port(address: str) -> tuple[str, int] | None:
    rest = address.split("://")[-1]
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _loopback_driver(address: str) -> dict:
    """A driver joining a cluster on the loopback gives its node the loopback address too (Ray
    would otherwise look up this machine's outward address for it)."""
    hp = _host_port(address)
    return {"_node_ip_address": hp[0]} if hp and hp[0] in _LOOPBACK else {}


@contextlib.contextmanager
def keep_loopback():
    """While connecting: a loopback bootstrap address stays the loopback. Ray replaces 127.0.0.1 in
    an address it is given by this machine's outward IP address (so that other machines could use
    it), which would make a cluster run on 127.0.0.1 talk through the network interface."""
    try:
        from ray._private import services
    except ImportError:  # pragma: no cover
        yield
        return
    original = getattr(services, "resolve_ip_for_localhost", None)
    if original is None:  # pragma: no cover: another Ray version
        yield
        return
    services.resolve_ip_for_localhost = lambda host: host if host in _LOOPBACK else original(host)
    try:
        yield
    finally:
        services.resolve_ip_for_localhost = original


def _resolve_auto(address: str) -> str:
    """"auto": RAY_ADDRESS, or the cluster this machine started last (as Ray finds it), so that
    a cluster on the loopback is joined on the loopback; a one-line error when there is none."""
    if address != "auto":
        return address
    try:
        from ray._private import services
    except ImportError:  # pragma: no cover
        return address
    try:
        with keep_loopback():
            return services.canonicalize_bootstrap_address_or_die("auto")
    except Exception as e:  # noqa: BLE001: ConnectionError when no cluster runs here
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TinygenError(f"--ray auto: no Ray cluster found (start one with `ray start --head`, or give "
                           f"--ray HOST:PORT): {why}") from None


def _check_reachable(address: str) -> None:
    """Fail fast on HOST:PORT where nothing listens (Ray itself retries for minutes)."""
    hp = _host_port(address)
    if hp is None or address.startswith("ray://"):
        return
    try:
        socket.create_connection(hp, timeout=10).close()
    except OSError as e:
        raise TinygenError(f"--ray {address}: no Ray cluster answers there ({e.strerror or type(e).__name__})") \
            from None


def _ray_task(data: bytes, name: str, sha256: str, board: str, settings: SweepSettings, key: str) -> dict:
    return evaluate_pair(data, name, sha256, board, settings, key)


class RayExecutor:
    """Tasks on a Ray cluster: `address` "auto" (the cluster this machine belongs to, or
    RAY_ADDRESS) or HOST:PORT / ray://HOST:PORT. Each task needs one CPU and is retried
    `max_retries` times when its worker or node dies. Every node must have tinygen installed (the
    same version: a row from another version is an error); each keeps its own build cache
    (TINYGEN_CACHE or ~/.cache/tinygen on that node)."""

    name = "ray"

    def __init__(self, address: str = "auto", max_retries: int = MAX_ATTEMPTS) -> None:
        missing = ray_missing()
        if missing:
            raise TinygenError(missing)
        import ray

        self.address = address
        self.max_retries = max_retries
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        self._connected_here = not ray.is_initialized()
        if self._connected_here:
            address = _resolve_auto(address)
            _check_reachable(address)
            try:
                with keep_loopback():
                    ray.init(address=address, log_to_driver=False, logging_level="WARNING", configure_logging=True,
                             **_loopback_driver(address))
            except Exception as e:  # noqa: BLE001: ConnectionError, ValueError...
                raise TinygenError(f"--ray {address}: cannot connect to a Ray cluster: {one_line(e)}") from None
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        self._remote = ray.remote(num_cpus=1, max_retries=max_retries)(_ray_task)

    @property
    def description(self) -> str:
        return f"Ray cluster at {self.address}: {self.nodes} node{'s' if self.nodes != 1 else ''}, {self.cpus} CPUs"

    def run(self, tasks: Iterable[Task], settings: SweepSettings) -> Iterator[dict]:
        import ray
        from ray.exceptions import RayError

        it = iter(tasks)
        window = 2 * self.cpus
        inflight: dict = {}  # ObjectRef -> Task
        blobs: dict[str, list] = {}  # candidate sha256 -> [ObjectRef of its bytes, tasks in flight]
        exhausted = False

        def submit(task: Task) -> None:
            c = task.candidate
            blob = blobs.get(c.sha256)
            if blob is None:  # one copy of the model in the object store for all its boards
                blob = blobs[c.sha256] = [ray.put(c.data), 0]
            blob[1] += 1
            inflight[self._remote.remote(blob[0], c.name, c.sha256, task.board, settings, task.key)] = task

        while True:
            while not exhausted and len(inflight) < window:
                task = next(it, None)
                if task is None:
                    exhausted = True
                else:
                    submit(task)
            if not inflight:
                return
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=5.0)
            for ref in ready:
                task = inflight.pop(ref)
                try:
                    row = ray.get(ref)
                except RayError as e:
                    row = crashed_row(task, settings, f"ray: {one_line(e)}")
                blob = blobs[task.candidate.sha256]
                blob[1] -= 1
                if blob[1] == 0:
                    del blobs[task.candidate.sha256]
                yield row

    def close(self) -> None:
        import ray

        if self._connected_here and ray.is_initialized():
            ray.shutdown()
