"""Mixed-precision variants of existing models, written with tinygen's own .tflite writer (for tests
and benchmarks; TensorFlow is not needed):

    to_int4_weights(graph)   CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weights re-quantized to
                             packed int4 (per channel where the model is per channel; a fully
                             connected layer per tensor, as TFLite Micro requires), biases rescaled;
    to_16x8(graph)           every int8 activation made int16 (symmetric, covering the same real
                             range), the int32 biases of the 16x8 operators made int64 on the new
                             scale (TFLite's 16x8 quantization), SOFTMAX's output at 1/32768.

Both return a new Graph; `write_tflite(graph)` gives the model.
"""

from __future__ import annotations

import copy

import numpy as np

from ..ir import Graph, Quant, Tensor

WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
#: the symmetric int4 range the re-quantized weights use ([-7, 7], like TFLite's narrow-range weights)
INT4_MAX = 7


def _requant_weights(w: Tensor, per_channel: bool, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Real weights of an int8 tensor -> (int4 values, float32 scales) symmetric over the range."""
    q = w.quant
    real = w.data.astype(np.float64) * (np.expand_dims(q.scale.astype(np.float64), tuple(
        d for d in range(w.rank) if d != q.axis)) if q.per_channel else float(q.scale[0]))
    if per_channel:
        amax = np.abs(real).max(axis=tuple(d for d in range(w.rank) if d != axis))
        scale = np.where(amax > 0, amax / INT4_MAX, 1e-6).astype(np.float32)
        s = np.expand_dims(scale.astype(np.float64), tuple(d for d in range(w.rank) if d != axis))
    else:
        amax = float(np.abs(real).max())
        scale = np.array([amax / INT4_MAX if amax > 0 else 1e-6], np.float32)
        s = float(scale[0])
    vals = np.clip(np.round(real / s), -INT4_MAX, INT4_MAX).astype(np.int8)
    return vals, scale


def to_int4_weights(graph: Graph, kinds: tuple[str, ...] = WEIGHT_OPS) -> Graph:
    """A copy of an int8 graph with the weights of `kinds` in int4 (biases rescaled to the new
    input x weight scales; everything else unchanged)."""
    g = copy.deepcopy(graph)
    for op in g.ops:
        if op.kind not in kinds:
            continue
        x, w = op.inputs[0], op.inputs[1]
        b = op.inputs[2] if len(op.inputs) > 2 else None
        axis = 3 if op.kind == "DEPTHWISE_CONV_2D" else 0
        per_channel = op.kind != "FULLY_CONNECTED" and w.quant.per_channel
        vals, scale = _requant_weights(w, per_channel, axis)
        old_bias_scale = (np.float32(x.quant.s) * w.quant.scale).astype(np.float64)
        w.dtype, w.data = "int4", vals
        w.quant = Quant(scale=scale, zero_point=np.zeros(scale.size, np.int64), axis=axis if per_channel else 0)
        if b is not None:
            new_scale = (np.float32(x.quant.s) * scale).astype(np.float32)
            real = b.data.astype(np.float64) * np.broadcast_to(old_bias_scale, b.data.shape)
            b.data = np.clip(np.round(real / np.broadcast_to(new_scale.astype(np.float64), b.data.shape)),
                             -(2**31), 2**31 - 1).astype(np.int32)
            b.quant = Quant(scale=np.broadcast_to(new_scale, b.data.shape).astype(np.float32),
                            zero_point=np.zeros(b.data.size, np.int64))
    return g


def _int16_quant(q: Quant) -> Quant:
    """The symmetric int16 quantization covering an int8 tensor's real range."""
    lo, hi = (-128 - q.zp) * q.s, (127 - q.zp) * q.s
    return Quant(scale=[max(abs(lo), abs(hi)) / 32767.0], zero_point=[0])


def to_16x8(graph: Graph) -> Graph:
    """A copy of an int8 graph with int16 activations (see the module docstring). Operators that
    keep their input's quantization (pooling, RESHAPE...) get the same int16 quantization."""
    g = copy.deepcopy(graph)
    new: dict[int, Quant] = {}
    for t in g.tensors():
        if not t.is_const and t.dtype == "int8" and t.quant is not None:
            new[id(t)] = _int16_quant(t.quant)
    same_quant = ("AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "CONCATENATION", "PAD")
    for op in g.ops:  # in order: outputs follow their inputs where TFLite requires equal scales
        if op.kind in same_quant and op.inputs[0] is not None and id(op.inputs[0]) in new:
            for o in op.outputs:
                new[id(o)] = new[id(op.inputs[0])]
        if op.kind == "SOFTMAX":
            new[id(op.outputs[0])] = Quant(scale=[1.0 / 32768], zero_point=[0])
    for op in g.ops:
        if op.kind in WEIGHT_OPS:
            x, w = op.inputs[0], op.inputs[1]
            b = op.inputs[2] if len(op.inputs) > 2 else None
            if b is not None:
                old = (np.float32(x.quant.s) * w.quant.scale).astype(np.float64)
                sx = float(new[id(x)].scale[0])
                scale = (np.float32(sx) * w.quant.scale).astype(np.float32)
                real = b.data.astype(np.float64) * np.broadcast_to(old, b.data.shape)
                b.data = np.round(real / np.broadcast_to(scale.astype(np.float64), b.data.shape)).astype(np.int64)
                b.dtype = "int64"
                b.quant = Quant(scale=np.broadcast_to(scale, b.data.shape).astype(np.float32),
                                zero_point=np.zeros(b.data.size, np.int64))
    for t in g.tensors():
        if id(t) in new:
            t.dtype, t.quant = "int16", new[id(t)]
    return g


__all__ = ["to_16x8", "to_int4_weights"]
