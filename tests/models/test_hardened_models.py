"""Every real model under ../shared/models through the arena guard build and the sanitizer build
(issue 12): bit-exact with TFLM, no operator writing outside its buffers, ASan and UBSan clean.
Random inputs and the golden inputs; one host build per tier for all the models."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED_MODELS, needs_shared, shared_model_paths
from tests.models.test_shared_models_host import GOLDEN, golden_samples
from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.guard import DEFAULT_GUARD
from tinygen.options import CompileOptions
from tinygen.toolchain.sanitize import sanitizers_missing


def _items(**options):
    items, extra = [], []
    for i, path in enumerate(shared_model_paths()):
        data = path.read_bytes()
        items.append((compile_model(data, CompileOptions(name=f"h{i}", **options)), data))
        rel = path.relative_to(SHARED_MODELS).as_posix()
        extra.append([[np.load(SHARED_MODELS / "golden" / f"{s}__input.npy")] for s, m in golden_samples() if m == rel])
    return items, extra


@needs_shared()
@pytest.mark.parametrize("tier", ["guard", "sanitize"])
def test_shared_models_in_hardened_builds(tier):
    if tier == "sanitize" and sanitizers_missing():
        pytest.skip(sanitizers_missing())
    items, extra = _items(**({"guard": DEFAULT_GUARD} if tier == "guard" else {}))
    assert len(items) == len(shared_model_paths()) >= 7 and sum(map(len, extra)) == len(golden_samples())
    reports = check_compiled(items, n_random=3, extra_inputs=extra, sanitize=tier == "sanitize", diagnose=False,
                             labels=[p.name for p in shared_model_paths()])
    bad = [(r.model, r.mismatches[:1]) for r in reports if not r.bit_exact]
    assert not bad
    assert all(r.inputs_checked >= 3 for r in reports)
    if tier == "guard":
        assert all(cm.plan.guard == DEFAULT_GUARD for cm, _ in items)
    assert GOLDEN  # the golden table these inputs come from
