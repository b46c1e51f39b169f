"""The model zoo (models/zoo, real converter output): every model whose operators tinygen
supports compiles and is bit-identical to TFLite Micro on the host; a model needing an operator
that is not implemented yet is skipped with that reason (any other refusal fails)."""

import pytest

from tinygen.check import check_compiled
from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.testing.zoo import missing_operators, zoo_models

MODELS = zoo_models()


def _skip_reason(data: bytes) -> str | None:
    missing = missing_operators(data)
    if missing:
        return f"needs operator(s) not implemented yet: {', '.join(missing)}"
    return None


def test_the_zoo_is_there():
    assert len(MODELS) >= 8, MODELS
    assert all(p.stat().st_size < 1_000_000 for p in MODELS)


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_zoo_model_bit_exact_on_host(path):
    data = path.read_bytes()
    reason = _skip_reason(data)
    if reason:
        pytest.skip(reason)
    items = [(compile_model(data, CompileOptions(name="z")), data)]
    if any(op.kind in ("PAD", "PADV2") for op in items[0][0].graph.ops) or items[0][0].pads and items[0][0].pads.folded:
        # also without the graph optimizations: both bit-exact
        items.append((compile_model(data, CompileOptions(name="zoff", fold_pad=False, remove_noops=False,
                                                         place_float_io=False)), data))
    reports = check_compiled(items, n_random=3)
    for (cm, _), rep in zip(items, reports):
        assert rep.bit_exact, (cm.name, rep.mismatches[:2], rep.first_diverging_op)
