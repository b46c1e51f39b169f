"""The data-movement and spatial operators on the emulated Cortex-M4: 64 random operators of each
kind (tinygen.testing.ops_spatial: SLICE ... TRANSPOSE_CONV, REVERSE_V2 ... BATCH_TO_SPACE_ND),
bit-identical to TFLM. All cases run in one firmware (16 cases per model, 4 models per kind),
emulated once per input set.

That many cases are more than one hypothesis example can draw, so each kind's 64 cases are drawn
by their own (derandomized in CI) hypothesis run and the firmware is built from all of them."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.host.test_spatial import _patch_spec
from tinygen.options import CompileOptions
from tinygen.target import check_models_on_board
from tinygen.testing.ops_spatial import SPATIAL_CASES, build_spatial, build_spatial_cnn
from tinygen.testing.strategies import CASES

CASES_PER_KIND = 64
PER_MODEL = 16


def draw_cases(kind: str, n: int = CASES_PER_KIND) -> list[dict]:
    drawn: list[dict] = []

    @settings(max_examples=1)
    @given(st.lists(SPATIAL_CASES[kind][0], min_size=n, max_size=n))
    def collect(cases):
        drawn[:] = cases

    collect()
    assert len(drawn) == n
    return drawn


CONVERTED = sorted((Path(__file__).resolve().parents[2] / "models" / "converted").glob("*.tflite"))


def draw_patched_cnns(n: int = 8) -> list[tuple[bytes, str, dict]]:
    """Random CNNs through MIRROR_PAD, RESIZE_*, TRANSPOSE_CONV and SPACE_TO_DEPTH with a forced
    patch stage (model, --patches spec, case)."""
    drawn: list[dict] = []

    @settings(max_examples=1)
    @given(st.lists(CASES["SPATIAL_PATCH_CNN"][0], min_size=n, max_size=n))
    def collect(cases):
        drawn[:] = cases

    collect()
    out = []
    for c in drawn:
        b = build_spatial_cnn(c)
        data = b.tflite([b.final])
        spec = _patch_spec(data, c)
        if spec is not None:
            out.append((data, spec, c))
    return out


def test_spatial_operators_on_m4():
    """...and the converter-made models of models/converted, and patched CNNs of these operators,
    in the same firmware."""
    models, labels = [p.read_bytes() for p in CONVERTED], [(p.name, None) for p in CONVERTED]
    options = [CompileOptions() for _ in models]
    # the cases of a packed model are independent branches: file order (scheduling 16 parallel
    # branches for the least memory is slow and not what this test is about)
    packed = CompileOptions(schedule="file")
    for kind in sorted(SPATIAL_CASES):
        cases = draw_cases(kind)
        for i in range(0, len(cases), PER_MODEL):
            models.append(build_spatial(cases[i:i + PER_MODEL]))
            labels.append((kind, cases[i:i + PER_MODEL]))
            options.append(packed)
    patched = draw_patched_cnns()
    assert patched
    for data, spec, c in patched:
        models.append(data)
        labels.append((f"patched {spec}", c))
        options.append(CompileOptions(patches=spec))
    results = check_models_on_board(models, "generic-m4", n_random=2, options=options)
    assert len(results) == len(models) == len(CONVERTED) + len(SPATIAL_CASES) * CASES_PER_KIND // PER_MODEL + len(patched)
    bad = [(labels[r["model"]], r) for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)} of {len(results)} models differ from TFLM on the M4; first: {bad[0]}"
