"""Hypothesis strategies for random quantized graphs.

Every strategy produces a *case*: a dict of drawn parameters (including a seed for the weights).
`build(case)` turns a case into .tflite bytes with GraphBuilder; tests draw lists of cases and
check them in one host build (see tinygen.testing.harness).
"""

from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st

from .builder import GraphBuilder

#: op kind -> (strategy producing a case, builder function case -> bytes)
CASES: dict[str, tuple[st.SearchStrategy, Callable[[dict], bytes]]] = {}


def case(kind: str):
    """Register a builder for one kind of generated graph; the strategy is attached with .strategy."""
    def deco(fn):
        CASES[kind] = (fn.strategy, fn)  # type: ignore[attr-defined]
        return fn
    return deco


def build(c: dict) -> bytes:
    return CASES[c["kind"]][1](c)


def any_case(kinds: list[str] | None = None) -> st.SearchStrategy:
    ks = sorted(kinds or CASES)
    return st.one_of(*[CASES[k][0] for k in ks])


activations = st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"])
paddings = st.sampled_from(["SAME", "VALID"])
seeds = st.integers(0, 2**31 - 1)


# -- CONV_2D ----------------------------------------------------------------------------------
def _conv_strategy():
    @st.composite
    def s(draw):
        k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if draw(st.booleans()) else (1, 1)
        pad = draw(paddings)
        eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
        h = draw(st.integers(eff[0] if pad == "VALID" else 1, 14))
        w = draw(st.integers(eff[1] if pad == "VALID" else 1, 14))
        groups = draw(st.sampled_from([1, 1, 1, 2]))
        cin = groups * draw(st.integers(1, 6))
        cout = groups * draw(st.integers(1, 6))
        return dict(kind="CONV_2D", shape=(draw(st.integers(1, 2)), h, w, cin), cout=cout, kernel=k, stride=stride,
                    dilation=dil, padding=pad, activation=draw(activations), per_channel=draw(st.booleans()),
                    bias=draw(st.booleans()), groups=groups, seed=draw(seeds))
    return s()


def _conv_build(c: dict) -> bytes:
    b = GraphBuilder("conv", seed=c["seed"])
    x = b.input(c["shape"])
    y = b.conv2d(x, c["cout"], kernel=c["kernel"], stride=c["stride"], dilation=c["dilation"],
                 padding=c["padding"], activation=c["activation"], per_channel=c["per_channel"],
                 bias=c["bias"], groups=c["groups"])
    return b.tflite([y])


_conv_build.strategy = _conv_strategy()  # type: ignore[attr-defined]
case("CONV_2D")(_conv_build)


def _load_families() -> None:
    """Import tinygen/testing/ops_*.py: each adds builder methods and registers its cases."""
    import importlib
    import pkgutil

    from .. import testing as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name.startswith("ops_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


_load_families()
