"""The operators of tests/host/test_more_ops.py on the emulated Cortex-M4: 64 random cases per
operator (hypothesis, derandomized) and a model of special float32 values, every output
bit-identical to TFLite Micro, all in one firmware (one emulation per input set)."""

from tinygen.options import CompileOptions
from tinygen.target import check_models_on_board
from tinygen.testing.ops_math import distinct_cases, draw_example
from tinygen.testing.ops_more import MORE_CASES, build_float_specials, build_more_packed

BOARD = "generic-m4"
N = 64  # cases per operator
PACK = 16
#: the packed cases are independent subgraphs: their order does not matter
FILE_ORDER = CompileOptions(schedule="file")


def test_more_operators_on_m4():
    models, kinds = [], []
    for kind, (strategy, _) in sorted(MORE_CASES.items()):
        cases = draw_example(distinct_cases(strategy, N))
        for i in range(0, N, PACK):
            models.append(build_more_packed(cases[i:i + PACK]))
            kinds.append(kind)
    models.append(build_float_specials())  # NaN, infinities, halves... through the float32 kernels
    kinds.append("float32 special values")
    results = check_models_on_board(models, BOARD, n_random=2, options=[FILE_ORDER] * len(models))
    bad = [(kinds[r["model"]], r) for r in results if not r["bit_exact"]]
    assert not bad, f"{len(bad)} of {len(results)} models differ from TFLM on {BOARD}: {bad[:3]}"
