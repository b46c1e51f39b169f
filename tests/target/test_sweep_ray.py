"""tinygen sweep on a real Ray cluster started by the test: a head node and a worker node on
127.0.0.1 (dashboard and usage statistics off), each with its own build cache; the driver connects
to 127.0.0.1:PORT. Only this test's processes are stopped (tinygen.testing.ray_cluster).

Every node is started by Ray's own `ray start` command line (run through
tinygen.testing.ray_cluster, which keeps 127.0.0.1 from being replaced by this machine's outward
address), and the test checks that no socket of the cluster or the driver leaves the loopback.

One test function runs the scenarios in order on one cluster (a cluster start costs tens of
seconds; pytest-xdist could otherwise split the scenarios across workers and start two):
  1. 20 small candidates x 2 boards, linked: the same rows as the local process pool, and both
     nodes built firmware in their own caches;
  2. an interrupted sweep (the driver stops after 10 rows), resumed: the file is completed without
     recomputing the finished pairs;
  3. the worker node is killed (SIGKILL of its raylet, object store and workers) mid-sweep: no row is
     lost or duplicated, and the rows equal the local pool's.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'tinygen[ray]')")

from tinygen.options import CompileOptions  # noqa: E402
from tinygen.boards import load_board  # noqa: E402
from tinygen.toolchain.arm import build_kernel_library  # noqa: E402
from tinygen.sweep import comparable, read_rows, sweep  # noqa: E402
from tinygen.testing.ray_cluster import LocalRayCluster, non_loopback_connections  # noqa: E402

BOARDS = ["generic-m4", "NUCLEO-F411RE"]

SPACE = '''
from tinygen.testing import GraphBuilder

def candidates():
    out = []
    for i in range(20):
        b = GraphBuilder(f"c{i}", seed=i)
        size = 8 + 2 * (i % 5)
        x = b.input((1, size, size, 3))
        y = b.conv2d(x, 4 + i % 4, activation="RELU", stride=(1 + i % 2, 1 + i % 2))
        y = b.depthwise_conv2d(y)
        if i % 3 == 0:
            y = b.conv2d(y, 6, kernel=(1, 1))
        out.append((f"c{i:02d}", b.tflite([y])))
    return out
'''


def canon(rows):
    return sorted(json.dumps(comparable(r), sort_keys=True) for r in rows)


class Interrupt(Exception):
    pass


def test_ray_cluster_same_rows_resume_and_a_killed_node(tmp_path):
    space_file = tmp_path / "space.py"
    space_file.write_text(SPACE)
    space = f"{space_file}:candidates"
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

    local_link = sweep(space=space, boards=BOARDS, stage="link", jobs=2, output=tmp_path / "local-link.jsonl")
    local_plan = sweep(space=space, boards=BOARDS, stage="plan", jobs=2, output=tmp_path / "local-plan.jsonl")
    assert len(local_link.rows) == 40 and not local_link.errors and not local_plan.errors

    # node deaths are noticed within about a second (the defaults take tens of seconds)
    fast_health = {"RAY_health_check_period_ms": "300", "RAY_health_check_timeout_ms": "300",
                   "RAY_health_check_failure_threshold": "3", "RAY_health_check_initial_delay_ms": "0"}
    cluster = LocalRayCluster(nodes=2, cpus_per_node=1, root=tmp_path / "cluster", env=fast_health)
    for i in range(2):  # each node's own cache, holding the kernel libraries (as a node that built before)
        lib = build_kernel_library(load_board(BOARDS[0])).parent  # both boards are Cortex-M4F
        shutil.copytree(lib, cluster.node_cache(i) / "arm" / lib.name)
    with cluster:
        assert cluster.address.startswith("127.0.0.1:")

        # 1. the same rows as the local pool; each node used its own build cache; every socket of the
        #    cluster's processes and of this driver is on the loopback, checked while tasks run
        outside: list[str] = []

        def check_sockets(row, done, total, reused):
            if done in (5, 30):
                outside.extend(non_loopback_connections(cluster.pids() | {os.getpid()}))

        r1 = sweep(space=space, boards=BOARDS, stage="link", ray=cluster.address, output=tmp_path / "ray-link.jsonl",
                   on_row=check_sockets)
        assert not outside, outside
        assert "2 nodes, 2 CPUs" in r1.executor
        assert canon(r1.rows) == canon(local_link.rows)
        for i in range(2):  # both nodes worked, each in its own cache
            builds = list((cluster.node_cache(i) / "arm").glob("fw-*"))
            assert builds, f"node {i} built no firmware in its cache {cluster.node_cache(i)}"

        # 2. interrupted after 10 rows, then resumed
        out = tmp_path / "ray-resume.jsonl"

        def stop_after_10(row, done, total, reused):
            if done == 10:
                raise Interrupt()

        with pytest.raises(Interrupt):
            sweep(space=space, boards=BOARDS, stage="plan", ray=cluster.address, output=out, on_row=stop_after_10)
        first = out.read_bytes()
        assert len(read_rows(out)) == 10
        r2 = sweep(space=space, boards=BOARDS, stage="plan", ray=cluster.address, output=out)
        assert (r2.computed, r2.reused) == (30, 10)
        assert out.read_bytes().startswith(first)
        lines = [json.loads(x) for x in out.read_text().splitlines()]
        assert len(lines) == 40 and len({r["key"] for r in lines}) == 40
        assert canon(r2.rows) == canon(local_plan.rows)

        # 3. the worker node dies mid-sweep (another planner: every pair is computed again)
        killed: list[int] = []

        def kill_worker_node(row, done, total, reused):
            if done == 4 and not killed:
                killed.extend(cluster.kill_node(1))

        out3 = tmp_path / "ray-kill.jsonl"
        greedy = CompileOptions(planner="greedy")
        r3 = sweep(space=space, boards=BOARDS, stage="plan", options=greedy, ray=cluster.address, output=out3,
                   on_row=kill_worker_node)
        assert killed, "the worker node had no process to kill"
        assert not cluster.node_pids(1)
        lines = [json.loads(x) for x in out3.read_text().splitlines()]
        assert len(lines) == 40 and len({r["key"] for r in lines}) == 40, "a row was lost or duplicated"
        assert not r3.errors, [r["error"] for r in r3.errors]
        local_greedy = sweep(space=space, boards=BOARDS, stage="plan", options=greedy, jobs=2,
                             output=tmp_path / "local-greedy.jsonl")
        assert canon(r3.rows) == canon(local_greedy.rows)
    assert not cluster.node_pids(0) and not cluster.node_pids(1)
    assert Path(tmp_path / "cluster").is_dir()
