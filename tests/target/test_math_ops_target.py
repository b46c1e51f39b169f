"""The operators of tests/host/test_math_ops.py and test_sequence_ops.py on the emulated Cortex-M4:
64 random cases per operator (hypothesis, derandomized), every output bit-identical to TFLite
Micro. The stateless ones share one firmware (one emulation per input set); SVDF and LSTM run 4
inferences in a row in one firmware, from input sets compiled into it, so their state carries
over as on a device."""

from tinygen.options import CompileOptions
from tinygen.target import check_models_on_board
from tinygen.testing.invocations import check_invocations_on_board
from tinygen.testing.ops_math import MATH_CASES, build_math_packed, distinct_cases, draw_example
from tinygen.testing.ops_sequence import SEQUENCE_CASES, build_sequence_packed

BOARD = "generic-m4"
N = 64  # cases per operator
#: the packed cases are independent subgraphs: their order does not matter, and searching the
#: memory-optimal one among 16 parallel branches would cost more than the whole test
FILE_ORDER = CompileOptions(schedule="file")


def _models(cases_by_kind: dict, build, pack: int):
    models, kinds = [], []
    for kind, kind_cases in sorted(cases_by_kind.items()):
        strategy = kind_cases[0]
        cases = draw_example(distinct_cases(strategy, N))
        for i in range(0, N, pack):
            models.append(build(cases[i:i + pack]))
            kinds.append(kind)
    return models, kinds


def test_math_operators_on_m4():
    models, kinds = _models(MATH_CASES, build_math_packed, pack=16)
    results = check_models_on_board(models, BOARD, n_random=2, options=[FILE_ORDER] * len(models))
    bad = [(kinds[r["model"]], r) for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)} of {len(results)} models differ from TFLM on {BOARD}: {bad[:3]}"


def test_stateful_operators_over_consecutive_inferences_on_m4():
    models, kinds = _models(SEQUENCE_CASES, build_sequence_packed, pack=8)
    results = check_invocations_on_board(models, BOARD, invocations=4, options=FILE_ORDER)
    bad = [(kinds[r["model"]], r) for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)} of {len(results)} models differ from TFLM on {BOARD}: {bad[:3]}"
