"""Run many generated models through the host build and TFLM in one go (one compiler run)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Sequence

from ..check import CheckReport, check_compiled
from ..compiler import compile_model
from ..options import CompileOptions


def guard_from_env() -> int:
    """TINYGEN_GUARD=<bytes>: every model the harness checks is compiled as an arena guard build
    (canaries of that many bytes around every buffer, checked after every operator). The guard
    test tier runs the random-graph suites this way."""
    v = os.environ.get("TINYGEN_GUARD", "").strip()
    return int(v) if v.isdigit() else 0


def check_models(models: Sequence[bytes], n_random: int = 3, seed: int = 0,
                 options: CompileOptions | None = None) -> list[CheckReport]:
    """Compile each .tflite (named m0, m1, ...), build all into one shared object, compare every
    output with TFLite Micro on n_random random inputs."""
    items = []
    options = options or CompileOptions()
    guard = guard_from_env()
    if guard and not options.guard:
        options = replace(options, guard=guard)
    for i, data in enumerate(models):
        cm = compile_model(data, replace(options, name=f"m{i}"))
        items.append((cm, data))
    return check_compiled(items, n_random=n_random, seed=seed,
                          labels=[f"generated model {i}" for i in range(len(items))])


def assert_bit_exact(models: Sequence[bytes], n_random: int = 3, seed: int = 0,
                     options: CompileOptions | None = None) -> list[CheckReport]:
    reports = check_models(models, n_random=n_random, seed=seed, options=options)
    bad = [(i, r) for i, r in enumerate(reports) if not r.bit_exact]
    if bad:
        i, r = bad[0]
        raise AssertionError(f"{len(bad)}/{len(reports)} generated models differ from TFLM; first: model {i}: "
                             f"{r.mismatches[:2]} first diverging op: {r.first_diverging_op}")
    return reports
