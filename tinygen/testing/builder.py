"""GraphBuilder: quantized graphs with realistic random weights, written with tinygen's writer.

    b = GraphBuilder("demo", seed=1)
    x = b.input((1, 16, 16, 3))
    y = b.conv2d(x, 8, kernel=(3, 3), stride=(2, 2), activation="RELU")
    model_bytes = b.tflite([y])

Output quantization is chosen from the expected spread of the accumulator, so outputs use the
int8 range instead of saturating (a test where everything clamps to -128 proves nothing).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..ir import Graph, Op, Quant, Tensor
from ..ops import get_op_def
from ..ops.conv2d import Conv2DAttrs
from ..ops.reshape import ReshapeAttrs
from ..writer import write_tflite

# spread of a uniformly random int8 value around its zero point
_U8_STD = 74.0


def builder_method(fn):
    """Attach a function as a GraphBuilder method (op families add their builders this way from
    tinygen/testing/ops_<family>.py)."""
    setattr(GraphBuilder, fn.__name__, fn)
    return fn


class GraphBuilder:
    def __init__(self, name: str = "g", seed: int = 0) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.ops: list[Op] = []
        self.inputs: list[Tensor] = []
        self._count = 0
        #: estimated std (in quantized steps around the zero point) of each activation
        self.spread: dict[int, float] = {}

    # -- tensors ------------------------------------------------------------------------------
    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def quant(self, scale: float | None = None, zero_point: int | None = None) -> Quant:
        if scale is None:
            scale = float(np.exp(self.rng.uniform(np.log(0.005), np.log(0.2))))
        if zero_point is None:
            zero_point = int(self.rng.integers(-128, 128))
        return Quant(scale=[scale], zero_point=[zero_point])

    def input(self, shape: Sequence[int], scale: float | None = None, zero_point: int | None = None,
              dtype: str = "int8", name: str | None = None) -> Tensor:
        q = self.quant(scale, zero_point) if dtype in ("int8", "int16") else (
            Quant(scale=[scale], zero_point=[zero_point or 0]) if scale is not None else None)
        t = Tensor(name=name or self._name("input"), shape=tuple(shape), dtype=dtype, quant=q)
        self.inputs.append(t)
        self.spread[id(t)] = _U8_STD
        return t

    def const(self, data: np.ndarray, dtype: str, quant: Quant | None = None, name: str | None = None) -> Tensor:
        data = np.asarray(data)
        return Tensor(name=name or self._name("const"), shape=data.shape, dtype=dtype, quant=quant, data=data)

    #: pick weight scales that keep activations at a steady spread through deep networks
    #: (scale ~ 1 / (sqrt(fan_in) * weight spread), like a normalized network), instead of a fixed range
    normalize_weights: bool = False

    def weights(self, shape: Sequence[int], per_channel: bool, axis: int = 0,
                scale_range: tuple[float, float] = (0.002, 0.05)) -> Tensor:
        w = self.rng.integers(-127, 128, size=tuple(shape)).astype(np.int8)
        if self.normalize_weights:
            fan_in = max(1, int(np.prod(shape)) // max(1, shape[axis]))
            center = 1.0 / (math.sqrt(fan_in) * 73.0)
            scale_range = (center / 1.5, center * 1.5)
        n = shape[axis] if per_channel else 1
        scales = np.exp(self.rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]), size=n)).astype(np.float32)
        return self.const(w, "int8", Quant(scale=scales, zero_point=np.zeros(n, dtype=np.int64), axis=axis if per_channel else 0),
                          name=self._name("weights"))

    def bias(self, n: int, input_scale: float, weight_scales: np.ndarray, magnitude: float = 2000.0) -> Tensor:
        b = self.rng.normal(0.0, magnitude, size=n).round().astype(np.int32)
        ws = np.broadcast_to(np.asarray(weight_scales, dtype=np.float32), (n,))
        q = Quant(scale=(np.float32(input_scale) * ws).astype(np.float32), zero_point=np.zeros(n, dtype=np.int64))
        return self.const(b, "int32", q, name=self._name("bias"))

    def output_quant_for(self, real_std: float, jitter: bool = True) -> Quant:
        """A quantization that spans about +-3 standard deviations of the real output."""
        f = float(np.exp(self.rng.uniform(np.log(0.5), np.log(2.0)))) if jitter else 1.0
        scale = max(real_std * 3.0 / 128.0 * f, 1e-6)
        zp = int(self.rng.integers(-40, 41))
        return Quant(scale=[scale], zero_point=[zp])

    # -- operators ----------------------------------------------------------------------------
    def op(self, kind: str, inputs: Sequence[Tensor | None], attrs: Any, out_quant: Quant | None,
           out_dtype: str = "int8", out_shape: Sequence[int] | None = None, n_outputs: int = 1) -> Tensor:
        """Add any operator; output shape from the op's infer() unless given."""
        d = get_op_def(kind)
        if d is None:
            raise ValueError(f"no operator {kind}")
        outs = [Tensor(name=self._name(kind.lower()), shape=(0,), dtype=out_dtype, quant=out_quant)
                for _ in range(n_outputs)]
        op = Op(kind=kind, inputs=list(inputs), outputs=outs, attrs=attrs)
        shapes = [tuple(out_shape)] if out_shape is not None else d.infer(op)
        for t, s in zip(outs, shapes):
            t.shape = tuple(int(v) for v in s)
        self.ops.append(op)
        return outs[0]

    def conv2d(self, x: Tensor, out_channels: int, kernel=(3, 3), stride=(1, 1), dilation=(1, 1),
               padding: str = "SAME", activation: str = "NONE", per_channel: bool = True,
               bias: bool = True, out_quant: Quant | None = None, groups: int = 1) -> Tensor:

        cin = x.shape[3] // groups
        w = self.weights((out_channels, kernel[0], kernel[1], cin), per_channel)
        b = self.bias(out_channels, x.quant.s, w.quant.scale) if bias else None
        if out_quant is None:
            k = kernel[0] * kernel[1] * cin
            real_std = math.sqrt(k) * self.spread.get(id(x), _U8_STD) * 73.0 * x.quant.s * float(np.mean(w.quant.scale))
            out_quant = self.output_quant_for(real_std)
        y = self.op("CONV_2D", [x, w, b], Conv2DAttrs(padding=padding, stride=tuple(stride),
                                                       dilation=tuple(dilation), activation=activation), out_quant)
        self.spread[id(y)] = 128.0 / 3.0
        return y

    def reshape(self, x: Tensor, shape: Sequence[int]) -> Tensor:
        shape = tuple(int(d) for d in shape)
        s = self.const(np.array(shape, dtype=np.int32), "int32", name=self._name("shape"))
        y = self.op("RESHAPE", [x, s], ReshapeAttrs(new_shape=shape), Quant(scale=x.quant.scale.copy(),
                    zero_point=x.quant.zero_point.copy()) if x.quant is not None else None,
                    out_dtype=x.dtype, out_shape=shape)
        self.spread[id(y)] = self.spread.get(id(x), _U8_STD)
        return y

    # -- result -------------------------------------------------------------------------------
    def build(self, outputs: Sequence[Tensor]) -> Graph:
        g = Graph(name=self.name, ops=list(self.ops), inputs=list(self.inputs), outputs=list(outputs))
        return g

    def tflite(self, outputs: Sequence[Tensor]) -> bytes:
        return write_tflite(self.build(outputs))
