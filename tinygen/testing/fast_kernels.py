"""Run the fast convolution / fully connected kernels and their portable references on one layer:
on the host through cffi, and as C snippets for tinygen.testing.kernels.arm_kernel_run (several
layers in one program, so that one build serves many cases).

    out_ref = conv_portable_host(layer, x)
    out = conv_fast_host(layer, x, variant="dsp", scratch=True)
    prog = ArmBatch(); prog.add_conv(layer, x, "dsp"); res = prog.run("generic-m4")
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from ..fast.conv import (
    ConvLayer,
    FcLayer,
    lower_conv_dsp,
    lower_conv_scalar,
    lower_fc_dsp,
    lower_fc_scalar,
)
from ..ops import get_op_def
from .kernels import arm_kernel_run, c_struct_init, harness_overhead, host_kernels, ptr, struct_ptr


def _dims(ffi, d):
    return ffi.new("tg_dims *", {"n": int(d[0]), "h": int(d[1]), "w": int(d[2]), "c": int(d[3])})


def _struct(ffi, ctype: str, obj):
    """A cffi struct from a @cstruct dataclass (its arrays as pointers: keep `obj` alive)."""
    return struct_ptr(ffi, ctype, obj)


# -- CONV_2D on the host ---------------------------------------------------------------------------
def conv_portable_host(layer: ConvLayer, x: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    f = np.ascontiguousarray(layer.filter, dtype=np.int8)
    p = ffi.new("tg_conv_params *", {
        "input_offset": int(layer.input_offset), "output_offset": int(layer.output_offset),
        "stride": {"h": layer.stride[0], "w": layer.stride[1]},
        "padding": {"h": layer.padding[0], "w": layer.padding[1]},
        "dilation": {"h": layer.dilation[0], "w": layer.dilation[1]},
        "activation": {"min": layer.act_min, "max": layer.act_max}})
    mult = np.ascontiguousarray(layer.multiplier, dtype=np.int32)
    shift = np.ascontiguousarray(layer.shift, dtype=np.int32)
    q = ffi.new("tg_pc_quant *", {"multiplier": ptr(ffi, mult), "shift": ptr(ffi, shift)})
    b = None if layer.bias is None else np.ascontiguousarray(layer.bias, dtype=np.int32)
    y = np.zeros(int(np.prod(layer.output_dims)), np.int8)
    xs = np.ascontiguousarray(x, dtype=np.int8)
    st = lib.tg_conv_s8(ffi.NULL, p, q, _dims(ffi, layer.input_dims), ptr(ffi, xs), _dims(ffi, f.shape),
                        ptr(ffi, f), ffi.NULL if b is None else ptr(ffi, b), _dims(ffi, layer.output_dims), ptr(ffi, y))
    assert st == 0, st
    return y


#: scratch tiers of tg_conv_dsp_s8: the buffer size function, or None for no buffer
SCRATCH_TIERS = {"full": "tg_conv_dsp_s8_get_buffer_size", "mid": "tg_conv_dsp_s8_get_mid_buffer_size",
                 "min": "tg_conv_dsp_s8_get_min_buffer_size", "none": None}


def conv_fast_host(layer: ConvLayer, x: np.ndarray, variant: str = "dsp", scratch: str = "full",
                   out: np.ndarray | None = None) -> np.ndarray:
    """Run tg_conv_dsp_s8 (variant "dsp", scratch tier "full", "mid", "min" or "none") or
    tg_conv_scalar_s8 ("scalar")."""
    ffi, lib = host_kernels()
    low = lower_conv_dsp(layer) if variant == "dsp" else lower_conv_scalar(layer)
    params = low.params if variant != "dsp" or scratch == "none" else replace(low.params, pad_row=None)
    p = _struct(ffi, "tg_conv_fast_params", params)
    y = np.zeros(int(np.prod(layer.output_dims)), np.int8) if out is None else out
    xs = np.ascontiguousarray(x, dtype=np.int8)
    keep = []
    if variant == "dsp":
        ctx = ffi.new("tg_context *")
        if SCRATCH_TIERS[scratch]:
            n = getattr(lib, SCRATCH_TIERS[scratch])(p)
            buf = np.full((n + 3) // 4 + 1, 0x5A5A5A5A, np.int32)  # garbage, 4-byte aligned
            keep.append(buf)
            ctx.buf, ctx.size = ffi.from_buffer(buf), n
        st = lib.tg_conv_dsp_s8(ctx, p, ptr(ffi, xs), ptr(ffi, y))
    else:
        st = lib.tg_conv_scalar_s8(p, ptr(ffi, xs), ptr(ffi, y))
    assert st == 0, f"kernel returned {st}"
    return y


# -- FULLY_CONNECTED on the host -------------------------------------------------------------------
def fc_portable_host(layer: FcLayer, x: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    rows, depth = layer.weights.shape
    p = ffi.new("tg_fc_params *", {
        "input_offset": int(layer.input_offset), "filter_offset": int(layer.filter_offset),
        "output_offset": int(layer.output_offset), "per_channel": int(np.asarray(layer.multiplier).size > 1),
        "activation": {"min": layer.act_min, "max": layer.act_max}})
    mult = np.ascontiguousarray(np.asarray(layer.multiplier).reshape(-1), dtype=np.int32)
    shift = np.ascontiguousarray(np.asarray(layer.shift).reshape(-1), dtype=np.int32)
    q = ffi.new("tg_pc_quant *", {"multiplier": ptr(ffi, mult), "shift": ptr(ffi, shift)})
    w = np.ascontiguousarray(layer.weights, dtype=np.int8)
    b = None if layer.bias is None else np.ascontiguousarray(layer.bias, dtype=np.int32)
    y = np.zeros(layer.batches * rows, np.int8)
    xs = np.ascontiguousarray(x, dtype=np.int8)
    st = lib.tg_fully_connected_s8(p, q, layer.batches, depth, rows, ptr(ffi, xs), ptr(ffi, w),
                                   ffi.NULL if b is None else ptr(ffi, b), ptr(ffi, y))
    assert st == 0, st
    return y


def fc_fast_host(layer: FcLayer, x: np.ndarray, variant: str = "dsp") -> np.ndarray:
    ffi, lib = host_kernels()
    low = lower_fc_dsp(layer) if variant == "dsp" else lower_fc_scalar(layer)
    p = _struct(ffi, "tg_fc_fast_params", low.params)
    y = np.zeros(layer.batches * layer.weights.shape[0], np.int8)
    xs = np.ascontiguousarray(x, dtype=np.int8)
    fn = lib.tg_fully_connected_dsp_s8 if variant == "dsp" else lib.tg_fully_connected_scalar_s8
    st = fn(p, ptr(ffi, xs), ptr(ffi, y))
    assert st == 0, f"kernel returned {st}"
    return y


# -- on an emulated core, several calls per program ------------------------------------------------
@dataclass
class ArmBatch:
    """Several kernel calls in one firmware: each call's instructions are counted separately by
    running the program once per call (a `which` input selects the call)."""

    decls: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: dict[str, np.ndarray] = field(default_factory=dict)
    outputs: dict[str, tuple[str, int]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    def _dims(self, name: str, d) -> str:
        return f"static const tg_dims {name} = {{ {int(d[0])}, {int(d[1])}, {int(d[2])}, {int(d[3])} }};"

    def add_conv(self, layer: ConvLayer, x: np.ndarray, variant: str, scratch: str = "full",
                 name: str | None = None) -> str:
        """A CONV_2D call: variant "portable", "dsp" (scratch tier "full", "mid", "min" or "none") or
        "scalar". Returns the output array name."""
        i = len(self.calls)
        name = name or f"conv{i}"
        pre = f"k{i}_"
        f = np.ascontiguousarray(layer.filter, dtype=np.int8)
        out_n = int(np.prod(layer.output_dims))
        self.inputs[pre + "x"] = np.ascontiguousarray(x, dtype=np.int8).reshape(-1)
        self.outputs[pre + "y"] = ("int8", out_n)
        d = []
        if variant == "portable":
            d += [self._dims(pre + "din", layer.input_dims), self._dims(pre + "dout", layer.output_dims)]
            self.consts[pre + "w"] = f.reshape(-1)
            self.consts[pre + "mult"] = np.asarray(layer.multiplier, np.int32)
            self.consts[pre + "shift"] = np.asarray(layer.shift, np.int32)
            bias = "0"
            if layer.bias is not None:
                self.consts[pre + "b"] = np.asarray(layer.bias, np.int32)
                bias = pre + "b"
            d.append(self._dims(pre + "dw", f.shape))
            d.append(f"static const tg_conv_params {pre}p = {{ .input_offset = {int(layer.input_offset)}, "
                     f".output_offset = {int(layer.output_offset)}, .stride = {{ {layer.stride[0]}, {layer.stride[1]} }}, "
                     f".padding = {{ {layer.padding[0]}, {layer.padding[1]} }}, "
                     f".dilation = {{ {layer.dilation[0]}, {layer.dilation[1]} }}, "
                     f".activation = {{ {layer.act_min}, {layer.act_max} }} }};")
            d.append(f"static const tg_pc_quant {pre}q = {{ {pre}mult, {pre}shift }};")
            call = (f"status = tg_conv_s8(0, &{pre}p, &{pre}q, &{pre}din, {pre}x, &{pre}dw, {pre}w, {bias}, "
                    f"&{pre}dout, {pre}y);")
        else:
            low = lower_conv_dsp(layer) if variant == "dsp" else lower_conv_scalar(layer)
            self.consts[pre + "w"] = low.weights
            self.consts[pre + "ch"] = low.channels
            self.consts[pre + "pad"] = low.pad_row
            needs_pad = variant != "dsp" or not SCRATCH_TIERS[scratch]
            names = dict(weights=pre + "w", channels=pre + "ch")
            if needs_pad:
                names["pad_row"] = pre + "pad"
            else:
                del self.consts[pre + "pad"]
            d.append(f"static const tg_conv_fast_params {pre}p = {c_struct_init(low.params, **names)};")
            if variant == "dsp":
                if SCRATCH_TIERS[scratch]:
                    d.append(f"static int32_t {pre}buf[1024];")
                    ctx = (f"tg_context {pre}ctx = {{ {pre}buf, {SCRATCH_TIERS[scratch]}(&{pre}p) }}; "
                           f"if ({pre}ctx.size > (int32_t)sizeof({pre}buf)) {{ status = -100; }} else ")
                else:
                    ctx = f"tg_context {pre}ctx = {{ 0, 0 }}; "
                call = f"{{ {ctx}status = tg_conv_dsp_s8(&{pre}ctx, &{pre}p, {pre}x, {pre}y); }}"
            else:
                call = f"status = tg_conv_scalar_s8(&{pre}p, {pre}x, {pre}y);"
        self.decls += d
        self.calls.append(call)
        self.names.append(name)
        return pre + "y"

    def add_fc(self, layer: FcLayer, x: np.ndarray, variant: str, name: str | None = None) -> str:
        i = len(self.calls)
        name = name or f"fc{i}"
        pre = f"k{i}_"
        rows, depth = layer.weights.shape
        self.inputs[pre + "x"] = np.ascontiguousarray(x, dtype=np.int8).reshape(-1)
        self.outputs[pre + "y"] = ("int8", layer.batches * rows)
        d = []
        if variant == "portable":
            self.consts[pre + "w"] = np.ascontiguousarray(layer.weights, np.int8).reshape(-1)
            self.consts[pre + "mult"] = np.asarray(layer.multiplier, np.int32).reshape(-1)
            self.consts[pre + "shift"] = np.asarray(layer.shift, np.int32).reshape(-1)
            bias = "0"
            if layer.bias is not None:
                self.consts[pre + "b"] = np.asarray(layer.bias, np.int32)
                bias = pre + "b"
            per_channel = int(np.asarray(layer.multiplier).size > 1)
            d.append(f"static const tg_fc_params {pre}p = {{ .input_offset = {int(layer.input_offset)}, "
                     f".filter_offset = {int(layer.filter_offset)}, .output_offset = {int(layer.output_offset)}, "
                     f".per_channel = {per_channel}, .activation = {{ {layer.act_min}, {layer.act_max} }} }};")
            d.append(f"static const tg_pc_quant {pre}q = {{ {pre}mult, {pre}shift }};")
            call = (f"status = tg_fully_connected_s8(&{pre}p, &{pre}q, {layer.batches}, {depth}, {rows}, {pre}x, "
                    f"{pre}w, {bias}, {pre}y);")
        else:
            low = lower_fc_dsp(layer) if variant == "dsp" else lower_fc_scalar(layer)
            self.consts[pre + "w"] = low.weights
            self.consts[pre + "ch"] = low.channels
            d.append(f"static const tg_fc_fast_params {pre}p = "
                     f"{c_struct_init(low.params, weights=pre + 'w', channels=pre + 'ch')};")
            fn = "tg_fully_connected_dsp_s8" if variant == "dsp" else "tg_fully_connected_scalar_s8"
            call = f"status = {fn}(&{pre}p, {pre}x, {pre}y);"
        self.decls += d
        self.calls.append(call)
        self.names.append(name)
        return pre + "y"

    def run_all(self, board: str, opt: str = "O2") -> dict[str, np.ndarray]:
        """Build once and run every call in sequence in one emulation; the outputs of all calls
        (a call returning a nonzero status stops the program with it)."""
        call = "\n    ".join(f"if (status == 0) {{ {c} }}" for c in self.calls)
        r = arm_kernel_run(board, call, decls="\n".join(self.decls), consts=self.consts, inputs=self.inputs,
                           outputs=self.outputs, opt=opt)
        if r.status != 0:
            raise RuntimeError(f"a kernel call on {board} returned {r.status}")
        return r.outputs

    def run(self, board: str, opt: str = "O2", with_elf: bool = False):
        """Build once, run each call separately: (outputs of every call, instructions of each call
        without the harness overhead[, the ELF's path])."""
        switch = "\n    ".join(f"case {i}: {c} break;" for i, c in enumerate(self.calls))
        call = f"switch (which[0]) {{\n    {switch}\n    default: status = -99; }}"
        counts, outs, elf = [], {}, None
        for i in range(len(self.calls)):
            inputs = dict(self.inputs)
            inputs["which"] = np.array([i], np.int32)
            r = arm_kernel_run(board, call, decls="\n".join(self.decls), consts=self.consts, inputs=inputs,
                               outputs=self.outputs, opt=opt)
            if r.status != 0:
                raise RuntimeError(f"{self.names[i]} on {board}: status {r.status}")
            name = f"k{i}_y"
            outs[name] = r.outputs[name]
            counts.append(r.instructions - harness_overhead(board) - _switch_overhead(board))
            elf = r.elf
        return (outs, counts, elf) if with_elf else (outs, counts)


@lru_cache(maxsize=None)
def _switch_overhead(board: str) -> int:
    """Instructions the `which` switch of ArmBatch.run adds to a call (measured on a dummy case)."""
    call = "switch (which[0]) {\n    case 0: status = 0; break;\n    case 1: status = 1; break;\n    default: status = -99; }"
    r = arm_kernel_run(board, call, inputs={"which": np.array([0], np.int32)})
    return r.instructions - harness_overhead(board) - 1


# -- layers of real models -------------------------------------------------------------------------
def model_layers(path) -> list[tuple[int, object, object]]:
    """(operator index, op, ConvLayer or FcLayer) for every CONV_2D and FULLY_CONNECTED of a .tflite
    file, with the real weights and quantization (the operator definitions' prepare())."""
    from ..frontend import load_tflite
    from ..ops.conv2d import conv_layer
    from ..ops.fully_connected import fc_layer

    g = load_tflite(path)
    out = []
    for i, op in enumerate(g.ops):
        if op.kind == "CONV_2D":
            out.append((i, op, conv_layer(op, get_op_def(op.kind).prepare(op))))
        elif op.kind == "FULLY_CONNECTED":
            out.append((i, op, fc_layer(op, get_op_def(op.kind).prepare(op))))
    return out


def _t(d) -> tuple[int, int, int, int]:
    return (int(d.n), int(d.h), int(d.w), int(d.c))


# -- random layers for the fast-kernel tests ------------------------------------------------------
class _HypothesisDraw:
    """The choices below, drawn by hypothesis (shrinkable, edge values favoured)."""

    def __init__(self, draw, st) -> None:
        self.draw, self.st = draw, st

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def pick(self, options):
        return self.draw(self.st.sampled_from(list(options)))

    def boolean(self) -> bool:
        return self.draw(self.st.booleans())


class _RngDraw:
    """The same choices from a seeded numpy generator (varied cases for one-shot target batches)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def pick(self, options):
        options = list(options)
        return options[int(self.rng.integers(0, len(options)))]

    def boolean(self) -> bool:
        return bool(self.rng.integers(0, 2))


def _quant(d, rows: int, depth: int):
    """Per-row multipliers in [2^30, 2^31) (edges included) and right shifts, per channel or the
    same for all rows (per tensor). Most shifts put a typical accumulator (std ~ sqrt(depth) * 73
    * 74 for uniform int8 weights and inputs) at a few tens of output steps, so that outputs spread
    over int8 and an accumulation error shows; some are extreme (1, 2, 20)."""
    per_channel = d.boolean()
    typical = max(1, int(round(np.log2(max(depth, 1) ** 0.5 * 5400 / 60))))
    n = rows if per_channel else 1
    mult = [d.integer(2**30, 2**31 - 1) if d.integer(0, 3) else d.pick([2**30, 2**31 - 1]) for _ in range(n)]
    shift = [-(d.integer(max(1, typical - 2), typical + 2) if d.integer(0, 4) else d.pick([1, 2, 20]))
             for _ in range(n)]
    mult, shift = np.array(mult, np.int64), np.array(shift, np.int64)
    if not per_channel:
        mult, shift = np.repeat(mult, rows), np.repeat(shift, rows)
    return mult.astype(np.int32), shift.astype(np.int32), per_channel


def _act(d, zp: int):
    kind = d.pick(["full", "full", "relu", "narrow"])
    if kind == "full":
        return -128, 127
    if kind == "relu":
        return max(-128, zp), 127
    lo = d.integer(-128, 100)
    return lo, d.integer(lo, 127)


def _weights(d, rng, shape):
    style = d.pick(["uniform", "uniform", "extreme", "sparse"])
    if style == "uniform":
        w = rng.integers(-127, 128, shape)
    elif style == "extreme":
        w = rng.choice(np.array([-127, 127, -128]), shape)
    else:
        w = rng.integers(-127, 128, shape) * (rng.random(shape) < 0.3)
    w = w.astype(np.int8)
    zero_rows = rng.random(shape[0]) < d.pick([0.0, 0.0, 0.3])  # some channels all zero (constant outputs)
    w[zero_rows] = 0
    return w


def _bias(d, rng, w2d, input_offset: int, mult, shift, allow_dead: bool = True):
    """None, small, or as large as the fast path's accumulator bound allows (large accumulators);
    dead rows (all-zero weights) may get any bias and a zero multiplier, like real models."""
    from ..fast.conv import input_abs_max

    rows = w2d.shape[0]
    style = d.pick(["none", "small", "small", "large"])
    if style == "none":
        return None, mult, shift
    wabs = np.abs(w2d.astype(np.int64)).sum(axis=1)
    if style == "small":
        b = rng.integers(-20000, 20001, rows)
    else:
        room = (1 << 30) - 1 - wabs * input_abs_max(input_offset)
        b = rng.choice(np.array([-1, 1]), rows) * np.maximum(room - rng.integers(0, 3, rows), 0)
    dead = wabs == 0
    mult, shift = mult.copy(), shift.copy()
    if allow_dead and dead.any() and d.boolean():
        b[dead] = rng.choice(np.array([-(2**30), 2**30, 123456789]), int(dead.sum()))
        mult[dead] = rng.choice(np.array([0, 1 << 30]), int(dead.sum()))
        shift[dead] = rng.choice(np.array([0, -31, 3]), int(dead.sum()))
    return b.astype(np.int32), mult, shift


def _input(d, rng, size):
    if d.pick(["uniform", "uniform", "extreme"]) == "uniform":
        return rng.integers(-128, 128, size).astype(np.int8)
    return rng.choice(np.array([-128, 127], np.int8), size)


def _offsets(d):
    io = d.integer(-127, 128) if d.integer(0, 3) else d.pick([-127, 128, 0])
    oo = d.integer(-128, 127) if d.integer(0, 3) else d.pick([-128, 127])
    return io, oo


def random_conv_case(d) -> tuple[ConvLayer, np.ndarray]:
    """A (ConvLayer, input) pair the fast kernels accept, covering every edge path: channel counts
    1, 2, 3 and not multiples of 4, odd widths, single rows/columns, any padding including
    negative (patches), strides, dilations, 1x1 layers read in place, per-tensor and per-channel
    quantization, extreme offsets, multipliers and shifts, large accumulators, activation clamps.
    d: _HypothesisDraw or _RngDraw."""
    rng = np.random.default_rng(d.integer(0, 2**32 - 1))
    n = d.pick([1, 1, 1, 2])
    if d.boolean():  # 1x1, stride 1, no padding, full width: read in place when C_in % 8 == 0
        cin = d.pick([8, 16, 24, 4, 12, 3, 5])
        h, w = d.integer(1, 7), d.integer(1, 9)
        k, stride, dil, pad = (1, 1), (1, 1), (1, 1), (0, 0)
        oh, ow = d.integer(1, h), w
    else:
        cin = d.pick([1, 2, 3, 4, 5, 7, 8, 12, 16])
        k = (d.integer(1, 4), d.integer(1, 4))
        stride = (d.integer(1, 3), d.integer(1, 3))
        dil = (d.integer(1, 2), d.integer(1, 2))
        pad = (d.integer(-2, 3), d.integer(-2, 3))
        h, w = d.integer(1, 8), d.integer(1, 9)
        oh, ow = d.integer(1, 6), d.integer(1, 7)
    cout = d.pick([1, 2, 3, 4, 5, 6, 7, 8, 9, 16])
    input_offset, output_offset = _offsets(d)
    f = _weights(d, rng, (cout, k[0], k[1], cin))
    mult, shift, _ = _quant(d, cout, k[0] * k[1] * cin)
    bias, mult, shift = _bias(d, rng, f.reshape(cout, -1), input_offset, mult, shift)
    lo, hi = _act(d, output_offset)
    layer = ConvLayer(input_dims=(n, h, w, cin), output_dims=(n, oh, ow, cout), filter=f, bias=bias,
                      stride=stride, padding=pad, dilation=dil, input_offset=input_offset,
                      output_offset=output_offset, multiplier=mult, shift=shift, act_min=lo, act_max=hi)
    return layer, _input(d, rng, n * h * w * cin)


def random_fc_case(d) -> tuple[FcLayer, np.ndarray]:
    """A (FcLayer, input) pair the fast kernels accept: feature counts not multiples of 4 (1, 2, 3
    ...), batches, per-tensor (with nonzero filter zero points) and per-channel weights, extreme
    offsets, large accumulators, activation clamps."""
    rng = np.random.default_rng(d.integer(0, 2**32 - 1))
    rows = d.pick([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16])
    depth = d.pick([1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 67])
    batches = d.pick([1, 1, 2, 3])
    w = _weights(d, rng, (rows, depth))
    input_offset, output_offset = _offsets(d)
    mult, shift, per_channel = _quant(d, rows, depth)
    filter_offset = 0 if per_channel else d.pick([0, 0, 5, -128, 128, -3])
    bias, mult, shift = _bias(d, rng, w.astype(np.int64) + filter_offset, input_offset, mult, shift,
                              allow_dead=per_channel)
    if not per_channel:
        mult, shift = mult[:1], shift[:1]
    lo, hi = _act(d, output_offset)
    layer = FcLayer(weights=w, bias=bias, batches=batches, input_offset=input_offset, filter_offset=filter_offset,
                    output_offset=output_offset, multiplier=mult, shift=shift, act_min=lo, act_max=hi)
    return layer, _input(d, rng, batches * depth)


def conv_layers(st):
    """Hypothesis strategy of random_conv_case()."""
    return st.composite(lambda draw: random_conv_case(_HypothesisDraw(draw, st)))()


def fc_layers(st):
    """Hypothesis strategy of random_fc_case()."""
    return st.composite(lambda draw: random_fc_case(_HypothesisDraw(draw, st)))()


def random_cases(kind: str, count: int, seed: int) -> list:
    """`count` varied cases from a seeded generator (for target tests: one firmware, many cases)."""
    gen = random_conv_case if kind == "conv" else random_fc_case
    rng = np.random.default_rng(seed)
    return [gen(_RngDraw(rng)) for _ in range(count)]


__all__ = ["ArmBatch", "conv_fast_host", "conv_layers", "conv_portable_host", "fc_fast_host", "fc_layers", "fc_portable_host",
           "model_layers", "random_cases", "random_conv_case", "random_fc_case"]
