"""Graph optimizations and patch stages over layout/quantization operators on the emulated
Cortex-M4: random GRAPH_OPT graphs (folded PADs, removed no-ops, moved QUANTIZE/DEQUANTIZE) and
PATCH_FRONT graphs run with a forced patch stage, in one firmware, bit-identical to TFLM."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tinygen.compiler import compile_model
from tinygen.options import CompileOptions
from tinygen.patching.stage import stage_candidates
from tinygen.target import check_models_on_board
from tinygen.testing import GraphBuilder
from tinygen.testing.ops_graph_opt import graph_opt_graph, patch_front_graph
from tinygen.testing.strategies import CASES


def _forced(data: bytes, c: dict) -> CompileOptions:
    g = compile_model(data).graph
    ks = [k for k in stage_candidates(g) if g.ops[k - 1].outputs[0].shape[1] >= 2]
    if not ks:
        return CompileOptions()
    k = ks[min(len(ks) - 1, int(c["k_frac"] * len(ks)))]
    out = g.ops[k - 1].outputs[0]
    return CompileOptions(patches=f"{k}:{min(c['grid'][0], out.shape[1])}x{min(c['grid'][1], out.shape[2])}")


@settings(max_examples=2)
@given(st.lists(CASES["GRAPH_OPT"][0], min_size=16, max_size=16), st.lists(CASES["PATCH_FRONT"][0], min_size=8,
                                                                            max_size=8))
def test_graph_opt_and_patch_fronts_on_m4(opt_cases, front_cases):
    models, options = [], []
    for c in opt_cases:
        b = GraphBuilder("go", seed=c["seed"])
        models.append(b.tflite([graph_opt_graph(b, c)]))
        options.append(CompileOptions())
    for c in front_cases:
        b = GraphBuilder("pf", seed=c["seed"])
        data = b.tflite([patch_front_graph(b, c)])
        models.append(data)
        options.append(_forced(data, c))
    assert sum(o.patches != "off" for o in options) >= 4
    results = check_models_on_board(models, "generic-m4", n_random=2, options=options)
    bad = [(r["model"], options[r["model"]].patches, r) for r in results if not r["bit_exact"]]
    assert not bad, bad[:3]
