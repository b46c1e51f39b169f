"""Random CNNs for patch-based inference tests: odd sizes, stride 2, dilation, 3x3/5x5/7x7
depthwise convolutions, pooling, residual ADDs; plus a patch stage (K, grid) to force."""

from __future__ import annotations

from hypothesis import strategies as st

from .builder import GraphBuilder
from .strategies import case


@st.composite
def _cnn_case(draw):
    h = draw(st.integers(7, 23))
    w = draw(st.integers(7, 23))
    c = draw(st.integers(1, 4))
    blocks = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["conv", "dw", "dw", "pool", "residual"]))
        blocks.append(dict(
            kind=kind,
            k=draw(st.sampled_from([1, 3, 5]) if kind == "conv" else st.sampled_from([3, 5, 7])),
            stride=draw(st.sampled_from([1, 1, 2])),
            dilation=draw(st.sampled_from([1, 1, 1, 2])),
            padding=draw(st.sampled_from(["SAME", "SAME", "VALID"])),
            cout=draw(st.integers(2, 6)),
            act=draw(st.sampled_from(["NONE", "RELU", "RELU6"])),
            pool=draw(st.sampled_from(["max", "avg"])),
        ))
    return dict(kind="PATCH_CNN", shape=(1, h, w, c), blocks=blocks, seed=draw(st.integers(0, 2**31 - 1)),
                k_frac=draw(st.floats(0.3, 1.0)), grid=(draw(st.integers(1, 4)), draw(st.integers(1, 4))))


def build_cnn(c: dict) -> GraphBuilder:
    b = GraphBuilder("patchcnn", seed=c["seed"])
    x = b.input(c["shape"])
    for blk in c["blocks"]:
        h, w = x.shape[1], x.shape[2]
        k, s, d = blk["k"], blk["stride"], blk["dilation"]
        eff = (k - 1) * d + 1
        pad = blk["padding"] if min(h, w) >= eff else "SAME"
        if blk["kind"] == "conv":
            x = b.conv2d(x, blk["cout"], kernel=(k, k), stride=(s, s), dilation=(d, d), padding=pad, activation=blk["act"])
        elif blk["kind"] == "dw":
            x = b.depthwise_conv2d(x, kernel=(k, k), stride=(s, s), dilation=(d, d), padding=pad, activation=blk["act"])
        elif blk["kind"] == "pool":
            f = 3 if min(h, w) >= 3 else 2
            fn = b.max_pool2d if blk["pool"] == "max" else b.avg_pool2d
            x = fn(x, filter=(f, f), stride=(2, 2), padding="SAME")
        else:  # an inverted-residual-like block: expand, depthwise, project, add
            y = b.conv2d(x, x.shape[3] * 2, kernel=(1, 1), activation="RELU6")
            y = b.depthwise_conv2d(y, kernel=(k, k), dilation=(d, d), padding="SAME", activation="RELU6")
            y = b.conv2d(y, x.shape[3], kernel=(1, 1))
            x = b.add(x, y)
    # a tail that cannot be patched, like a classifier head
    y = b.avg_pool2d(x, filter=(x.shape[1], x.shape[2]), stride=(1, 1), padding="VALID")
    b.final = y
    return b


def _build(c: dict) -> bytes:
    b = build_cnn(c)
    return b.tflite([b.final])


_build.strategy = _cnn_case()  # type: ignore[attr-defined]
case("PATCH_CNN")(_build)
