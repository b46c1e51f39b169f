"""MobileNetV2 (Sandler et al., 2018) with random weights and realistic int8 quantization, built
with tinygen's own writer: the benchmark network of patch-based inference (MCUNetV2).

    data = mobilenet_v2(width=0.35, resolution=144)   # .tflite bytes
"""

from __future__ import annotations

from .builder import GraphBuilder

#: (expansion t, output channels c, repeats n, first stride s) of the inverted residual stages
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(v: float, divisor: int = 8) -> int:
    """Channel counts of the reference implementation: multiples of 8, never 10 % below v."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new < 0.9 * v:
        new += divisor
    return new


def mobilenet_v2_builder(width: float = 1.0, resolution: int = 224, classes: int = 1000, seed: int = 0,
                         name: str | None = None) -> tuple[GraphBuilder, object]:
    b = GraphBuilder(name or f"mobilenet_v2_{width:g}_{resolution}", seed=seed)
    b.normalize_weights = True
    x = b.input((1, resolution, resolution, 3), scale=1.0 / 128.0, zero_point=0)
    x = b.conv2d(x, make_divisible(32 * width), kernel=(3, 3), stride=(2, 2), activation="RELU6")
    for t, c, n, s in STAGES:
        out_c = make_divisible(c * width)
        for i in range(n):
            stride = s if i == 0 else 1
            inp = x
            y = x
            if t != 1:
                y = b.conv2d(y, x.shape[3] * t, kernel=(1, 1), activation="RELU6")
            y = b.depthwise_conv2d(y, kernel=(3, 3), stride=(stride, stride), activation="RELU6")
            y = b.conv2d(y, out_c, kernel=(1, 1))
            if stride == 1 and inp.shape[3] == out_c:
                y = b.add(inp, y)
            x = y
    last = make_divisible(1280 * width) if width > 1.0 else 1280
    x = b.conv2d(x, last, kernel=(1, 1), activation="RELU6")
    x = b.avg_pool2d(x, filter=(x.shape[1], x.shape[2]), stride=(1, 1), padding="VALID")
    x = b.reshape(x, (1, last))
    x = b.fully_connected(x, classes)
    x = b.softmax(x)
    return b, x


def mobilenet_v2(width: float = 1.0, resolution: int = 224, classes: int = 1000, seed: int = 0) -> bytes:
    b, y = mobilenet_v2_builder(width, resolution, classes, seed)
    return b.tflite([y])


def mobilenet_v2_pytorch_builder(width: float = 1.0, resolution: int = 224, classes: int = 1000, seed: int = 0,
                                 name: str | None = None) -> tuple[GraphBuilder, object]:
    """MobileNetV2 as a PyTorch export to TFLite looks: a float32 NCHW input transposed to NHWC and
    then quantized, an explicit PAD (1 on every side, PyTorch's padding=1) before every stride-2
    convolution, which is then VALID, and a DEQUANTIZE of the float32 output. The same layers,
    weights and quantization as mobilenet_v2_builder() for the same seed."""
    b = GraphBuilder(name or f"mobilenet_v2_pt_{width:g}_{resolution}", seed=seed)
    b.normalize_weights = True
    x = b.input((1, 3, resolution, resolution), dtype="float32")
    x = b.transpose(x, (0, 2, 3, 1))
    x = b.quantize(x, out_quant=b.quant(1.0 / 128.0, 0))

    def padded(t):
        return b.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]])

    x = b.conv2d(padded(x), make_divisible(32 * width), kernel=(3, 3), stride=(2, 2), padding="VALID",
                 activation="RELU6")
    for t, c, n, s in STAGES:
        out_c = make_divisible(c * width)
        for i in range(n):
            stride = s if i == 0 else 1
            inp = x
            y = x
            if t != 1:
                y = b.conv2d(y, x.shape[3] * t, kernel=(1, 1), activation="RELU6")
            if stride == 2:
                y = b.depthwise_conv2d(padded(y), kernel=(3, 3), stride=(2, 2), padding="VALID", activation="RELU6")
            else:
                y = b.depthwise_conv2d(y, kernel=(3, 3), activation="RELU6")
            y = b.conv2d(y, out_c, kernel=(1, 1))
            if stride == 1 and inp.shape[3] == out_c:
                y = b.add(inp, y)
            x = y
    last = make_divisible(1280 * width) if width > 1.0 else 1280
    x = b.conv2d(x, last, kernel=(1, 1), activation="RELU6")
    x = b.avg_pool2d(x, filter=(x.shape[1], x.shape[2]), stride=(1, 1), padding="VALID")
    x = b.reshape(x, (1, last))
    x = b.fully_connected(x, classes)
    x = b.dequantize(b.softmax(x))
    return b, x


def mobilenet_v2_pytorch(width: float = 1.0, resolution: int = 224, classes: int = 1000, seed: int = 0) -> bytes:
    b, y = mobilenet_v2_pytorch_builder(width, resolution, classes, seed)
    return b.tflite([y])
