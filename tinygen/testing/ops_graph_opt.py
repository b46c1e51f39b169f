"""Random graphs for the graph optimization passes (tinygen/passes/fold_pad.py, remove_noops.py,
place_float_io.py): explicit PAD/PADV2 before convolutions and max pooling (asymmetric per-side
padding, pad values equal to the zero point or not, producers with and without an activation
clamp), no-op operators between them, and float NCHW inputs / float outputs around layout
operators, as PyTorch exports make them."""

from __future__ import annotations

from hypothesis import strategies as st

from ..ir import Quant, Tensor
from .builder import GraphBuilder
from .strategies import case, seeds


@st.composite
def _block(draw):
    kind = draw(st.sampled_from(["conv", "dw", "maxpool", "conv", "dw"]))
    return dict(
        kind=kind,
        pads=[[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(2)],
        # "zp": PAD (pad value = zero point); "v": PADV2 with a drawn value; "min": PADV2 with -128
        value=draw(st.sampled_from(["zp", "zp", "v", "min"])),
        v=draw(st.integers(-128, 127)),
        k=draw(st.integers(1, 3)), stride=draw(st.integers(1, 2)),
        padding=draw(st.sampled_from(["VALID", "VALID", "SAME"])),
        act=draw(st.sampled_from(["NONE", "RELU", "RELU6"])),
        noop=draw(st.sampled_from([None, None, "reshape", "quantize", "concat", "zero_pad"])),
    )


@st.composite
def graph_opt_case(draw):
    return dict(kind="GRAPH_OPT", h=draw(st.integers(4, 13)), w=draw(st.integers(4, 13)), c=draw(st.integers(1, 5)),
                batch=draw(st.sampled_from([1, 1, 2])), nchw_float=draw(st.booleans()),
                float_out=draw(st.booleans()), blocks=draw(st.lists(_block(), min_size=1, max_size=3)),
                seed=draw(seeds))


def _copy(q: Quant) -> Quant:
    return Quant(scale=q.scale.copy(), zero_point=q.zero_point.copy())


def _noop(b: GraphBuilder, x: Tensor, kind: str | None) -> Tensor:
    if kind == "reshape":
        return b.reshape(x, x.shape)
    if kind == "quantize":
        return b.quantize(x, out_quant=_copy(x.quant))
    if kind == "concat":
        return b.concatenation([x], axis=3)
    if kind == "zero_pad":
        return b.pad(x, [[0, 0]] * 4)
    return x


def graph_opt_graph(b: GraphBuilder, c: dict) -> Tensor:
    shape = (c["batch"], c["h"], c["w"], c["c"])
    if c["nchw_float"]:
        x = b.input((shape[0], shape[3], shape[1], shape[2]), dtype="float32")
        x = b.quantize(b.transpose(x, (0, 2, 3, 1)))
    else:
        x = b.input(shape)
    for blk in c["blocks"]:
        x = _noop(b, x, blk["noop"])
        (pt, pb), (pl, pr) = blk["pads"]
        if blk["value"] == "zp":
            p = b.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
        else:
            p = b.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]], constant=-128 if blk["value"] == "min" else blk["v"])
        k = min(blk["k"], p.shape[1], p.shape[2]) if blk["padding"] == "VALID" else blk["k"]
        kernel, stride = (k, k), (blk["stride"], blk["stride"])
        if blk["kind"] == "conv":
            x = b.conv2d(p, int(b.rng.integers(1, 6)), kernel=kernel, stride=stride, padding=blk["padding"],
                         activation=blk["act"])
        elif blk["kind"] == "dw":
            x = b.depthwise_conv2d(p, kernel=kernel, stride=stride, padding=blk["padding"], activation=blk["act"])
        else:
            x = b.max_pool2d(p, filter=kernel, stride=stride, padding=blk["padding"], activation=blk["act"])
    if c["float_out"]:
        x = b.reshape(b.dequantize(x), (x.shape[0], x.size // x.shape[0]))
    return x


def _build(c: dict) -> bytes:
    b = GraphBuilder("graphopt", seed=c["seed"])
    return b.tflite([graph_opt_graph(b, c)])


_build.strategy = graph_opt_case()  # type: ignore[attr-defined]
case("GRAPH_OPT")(_build)


# -- patch stages that start with layout / quantization operators -------------------------------
@st.composite
def patch_front_case(draw):
    """A PyTorch-like front (float or int8 NCHW input, QUANTIZE, TRANSPOSE, explicit PADs) and
    operators a patch stage now crosses (CONCATENATION of channels, broadcasting ADD/MUL with
    [1, H, 1, C] / [1, 1, W, 1] operands, DEQUANTIZE), then a head that needs everything."""
    # 2+ channels: with one, the converter's TRANSPOSE of an NCHW input is a RESHAPE (no data moves)
    return dict(kind="PATCH_FRONT", h=draw(st.integers(6, 20)), w=draw(st.integers(6, 20)), c=draw(st.integers(2, 4)),
                input=draw(st.sampled_from(["float_nchw", "int8_nchw", "nhwc"])),
                pad=[[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(2)],
                stride=draw(st.sampled_from([1, 2])), mid=draw(st.sampled_from(["concat", "bcast_h", "bcast_w", "none"])),
                pad2=draw(st.booleans()), float_stage_out=draw(st.booleans()),
                k_frac=draw(st.floats(0.2, 1.0)), grid=(draw(st.integers(1, 4)), draw(st.integers(1, 4))),
                seed=draw(seeds))


def patch_front_graph(b: GraphBuilder, c: dict) -> Tensor:
    h, w, ch = c["h"], c["w"], c["c"]
    if c["input"] == "nhwc":
        x = b.input((1, h, w, ch))
    else:
        x = b.input((1, ch, h, w), dtype="float32" if c["input"] == "float_nchw" else "int8")
        if c["input"] == "float_nchw":
            x = b.quantize(x)
        x = b.transpose(x, (0, 2, 3, 1))
    (pt, pb), (pl, pr) = c["pad"]
    x = b.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]])
    x = b.conv2d(x, 6, kernel=(3, 3), stride=(c["stride"], c["stride"]), padding="VALID", activation="RELU6")
    if c["mid"] == "concat":
        y = b.depthwise_conv2d(x, activation="RELU6", out_quant=_copy(x.quant))
        x = b.concatenation([x, y], axis=3)
    elif c["mid"] in ("bcast_h", "bcast_w"):
        shape = (1, x.shape[1], 1, x.shape[3]) if c["mid"] == "bcast_h" else (1, 1, x.shape[2], 1)
        x = b.add(x, b.const_int8(shape))
        x = b.mul(x, b.depthwise_conv2d(x, activation="RELU"))
    if c["pad2"]:
        x = b.pad(x, [[0, 0], [1, 0], [0, 1], [0, 0]])
    x = b.depthwise_conv2d(x, kernel=(3, 3), padding="SAME", activation="RELU6")
    if c["float_stage_out"]:
        x = b.dequantize(x)
        x = b.quantize(x)
    return b.avg_pool2d(x, filter=(x.shape[1], x.shape[2]), stride=(1, 1), padding="VALID")


def _build_front(c: dict) -> bytes:
    b = GraphBuilder("patchfront", seed=c["seed"])
    return b.tflite([patch_front_graph(b, c)])


_build_front.strategy = patch_front_case()  # type: ignore[attr-defined]
case("PATCH_FRONT")(_build_front)
