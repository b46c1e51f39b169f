"""Random test models for the mixed-precision kernels (int4 weights, 16x8), shared by
tests/host/test_precision.py and tests/target/test_precision_target.py.

    cases = random_cases("conv", 96, seed=1)            # seeded: the same cases on every run
    models = build_models(cases, "int4")                # .tflite bytes, 8 cases per model
    cms = [compile_forced(m, CompileOptions(name=f"m{i}", cpu="cortex-m4"), "dsp") ...]

Each case is one operator on its own input; `build_models` packs several cases into one model as
independent branches (fewer compiler runs and builds), builds it in int8 with GraphBuilder, then
converts it with tinygen.testing.precision (to_int4_weights or to_16x8). int4 models get some
weights at -8 (the int4 value the symmetric converter never writes, but TFLite Micro accepts).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..ir import Graph
from ..writer import write_tflite
from .builder import GraphBuilder
from .precision import to_16x8, to_int4_weights

#: operator families of each precision
INT4_FAMILIES = ("conv", "dw", "fc")
S16_FAMILIES = ("conv", "dw", "fc", "avgpool", "maxpool", "softmax", "dwip")
#: operator kind of each family
KIND = {"conv": "CONV_2D", "dw": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED", "avgpool": "AVERAGE_POOL_2D",
        "maxpool": "MAX_POOL_2D", "softmax": "SOFTMAX", "dwip": "DEPTHWISE_CONV_2D",
        "gconv": "CONV_2D"}

_ACTS = ("NONE", "NONE", "RELU", "RELU6")


def _spatial(rng, k, dil, pad, max_hw=10):
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    lo = (eff[0], eff[1]) if pad == "VALID" else (1, 1)
    return int(rng.integers(lo[0], max(max_hw, lo[0]) + 1)), int(rng.integers(lo[1], max(max_hw, lo[1]) + 1))


def _case(rng: np.random.Generator, family: str) -> dict:
    pad = str(rng.choice(["SAME", "VALID"]))
    act = str(rng.choice(_ACTS))
    batch = 2 if rng.random() < 0.1 else 1
    if family == "conv":
        k = tuple(int(v) for v in rng.choice([1, 1, 2, 3, 3, 5], 2)) if rng.random() < 0.3 else \
            ((1, 1) if rng.random() < 0.4 else (3, 3))
        stride = (1, 1) if rng.random() < 0.6 else tuple(int(v) for v in rng.integers(1, 3, 2))
        dil = (2, 2) if rng.random() < 0.1 else (1, 1)
        h, w = _spatial(rng, k, dil, pad)
        cin = int(rng.choice([1, 2, 3, 4, 5, 7, 8, 12, 16, 24, 32]))
        return dict(family=family, shape=(batch, h, w, cin), out=int(rng.integers(1, 13)), kernel=k, stride=stride,
                    dilation=dil, padding=pad, activation=act, per_channel=bool(rng.random() < 0.8),
                    bias=bool(rng.random() < 0.85))
    if family == "dw":
        k = (3, 3) if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(1, 6, 2))
        stride = (1, 1) if rng.random() < 0.6 else tuple(int(v) for v in rng.integers(1, 3, 2))
        dil = (2, 2) if rng.random() < 0.1 else (1, 1)
        h, w = _spatial(rng, k, dil, pad)
        c = int(rng.choice([4, 8, 12, 16, 4, 8, 16, 24, 4, 8, 3, 5, 6]))
        return dict(family=family, shape=(batch, h, w, c), multiplier=1 if rng.random() < 0.9 else 2, kernel=k,
                    stride=stride, dilation=dil, padding=pad, activation=act, per_channel=bool(rng.random() < 0.8),
                    bias=bool(rng.random() < 0.85))
    if family == "gconv":  # grouped convolutions (the portable kernels only)
        groups = int(rng.choice([2, 4]))
        k = (3, 3) if rng.random() < 0.6 else (1, 1)
        h, w = _spatial(rng, k, (1, 1), pad)
        return dict(family="conv", shape=(batch, h, w, groups * int(rng.integers(1, 5))),
                    out=groups * int(rng.integers(1, 4)), kernel=k, stride=(1, 1) if rng.random() < 0.7 else (2, 2),
                    dilation=(1, 1), padding=pad, activation=act, per_channel=bool(rng.random() < 0.8),
                    bias=bool(rng.random() < 0.85), groups=groups)
    if family == "dwip":  # what the in-place 16x8 depthwise kernel takes: one image, dilation 1
        k = (3, 3) if rng.random() < 0.7 else tuple(int(v) for v in rng.integers(1, 6, 2))
        stride = (1, 1) if rng.random() < 0.7 else (2, 2)
        h, w = _spatial(rng, k, (1, 1), pad)
        return dict(family="dw", shape=(1, h, w, int(rng.choice([4, 8, 12, 16]))), multiplier=1, kernel=k,
                    stride=stride, dilation=(1, 1), padding=pad, activation=act, per_channel=bool(rng.random() < 0.8),
                    bias=bool(rng.random() < 0.85))
    if family == "fc":
        lead = [(1,), (1,), (1,), (2,), (3,), (2, 2)][int(rng.integers(0, 6))]
        depth = int(rng.choice([int(rng.integers(1, 80)), 8, 16, 32, 64, 7]))
        return dict(family=family, shape=lead + (depth,), out=int(rng.integers(1, 25)), activation=act,
                    per_channel=bool(rng.random() < 0.5), bias=bool(rng.random() < 0.85))
    if family in ("avgpool", "maxpool"):
        f = tuple(int(v) for v in rng.integers(1, 5, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        h, w = _spatial(rng, f, (1, 1), pad)
        return dict(family=family, shape=(batch, h, w, int(rng.integers(1, 9))), filter=f, stride=stride,
                    padding=pad, activation=act)
    if family == "softmax":
        depth = int(rng.choice([2, 3, 5, 10, 17, 64, 100, int(rng.integers(2, 300))]))
        outer = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
        # real input range from tiny to far past saturation of exp()
        scale = float(np.exp(rng.uniform(np.log(1e-3), np.log(0.5))))
        beta = float(rng.choice([1.0, 1.0, 0.5, 2.0, float(np.exp(rng.uniform(np.log(0.1), np.log(10.0))))]))
        return dict(family=family, shape=tuple(outer) + (depth,), scale=scale, zp=int(rng.integers(-128, 128)),
                    beta=beta)
    raise ValueError(family)


def random_cases(family: str, n: int, seed: int) -> list[dict]:
    """n seeded random cases of one family."""
    rng = np.random.default_rng(seed)
    return [_case(rng, family) for _ in range(n)]


def _add(b: GraphBuilder, c: dict):
    f = c["family"]
    if f == "softmax":
        x = b.input(c["shape"], scale=c["scale"], zero_point=c["zp"])
        return b.softmax(x, beta=c["beta"])
    x = b.input(c["shape"])
    if f == "conv":
        return b.conv2d(x, c["out"], kernel=c["kernel"], stride=c["stride"], dilation=c["dilation"],
                        padding=c["padding"], activation=c["activation"], per_channel=c["per_channel"], bias=c["bias"],
                        groups=c.get("groups", 1))
    if f == "dw":
        return b.depthwise_conv2d(x, c["multiplier"], kernel=c["kernel"], stride=c["stride"], dilation=c["dilation"],
                                  padding=c["padding"], activation=c["activation"], per_channel=c["per_channel"],
                                  bias=c["bias"])
    if f == "fc":
        return b.fully_connected(x, c["out"], activation=c["activation"], per_channel=c["per_channel"], bias=c["bias"])
    fn = b.avg_pool2d if f == "avgpool" else b.max_pool2d
    return fn(x, filter=c["filter"], stride=c["stride"], padding=c["padding"], activation=c["activation"])


def _with_minus_eight(g: Graph, rng: np.random.Generator) -> Graph:
    """Some int4 weights set to -8 (weights only move by one step: the outputs stay in range)."""
    for op in g.ops:
        w = op.inputs[1] if len(op.inputs) > 1 else None
        if w is not None and w.dtype == "int4" and rng.random() < 0.5:
            d = w.data.copy()
            d[(d == -7) & (rng.random(d.shape) < 0.5)] = -8
            w.data = d
    return g


def _with_int32_bias(g: Graph) -> Graph:
    """16x8 CONV_2D and FULLY_CONNECTED on TFLM's int32-accumulator path: int32 biases (the values
    kept, clipped), and without a bias the options' quantized_bias_type INT32."""
    import dataclasses

    from ..schema import schema

    for op in g.ops:
        if op.kind not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        b = op.inputs[2] if len(op.inputs) > 2 else None
        if b is not None:
            b.dtype, b.data = "int32", np.clip(b.data, -(2**31), 2**31 - 1).astype(np.int32)
        else:
            op.attrs = dataclasses.replace(op.attrs, quantized_bias_type=int(schema.TensorType.INT32))
    return g


def build_models(cases: Sequence[dict], precision: str, per_model: int = 8, seed: int = 0) -> list[bytes]:
    """The cases packed `per_model` to a model (independent branches), converted to `precision`
    ("int4": int4 weights, "16x8": int16 activations, "16x8-b32": 16x8 with int32 biases (TFLM's
    int32 accumulator); "int8": unchanged)."""
    out = []
    for start in range(0, len(cases), per_model):
        b = GraphBuilder(f"prec{start}", seed=seed + start)
        g = b.build([_add(b, c) for c in cases[start:start + per_model]])
        if precision == "int4":
            g = _with_minus_eight(to_int4_weights(g), np.random.default_rng(seed + start))
        elif precision == "16x8":
            g = to_16x8(g)
        elif precision == "16x8-b32":
            g = _with_int32_bias(to_16x8(g))
        elif precision != "int8":
            raise ValueError(precision)
        out.append(write_tflite(g))
    return out


__all__ = ["INT4_FAMILIES", "KIND", "S16_FAMILIES", "build_models", "random_cases"]
