"""Run one layer through a portable kernel and through its fast kernel, on the host (cffi) or on an
emulated Cortex-M core (one program for several calls), for the fast-kernel tests and benchmarks.

    layer = DwLayer(...)                                   # tinygen.fast.depthwise
    y_ref = dw_portable_host(layer, x)                     # portable kernel on the host
    y = dw_fast_host(layer, x, variant="fast")             # fast kernel on the host
    run = target_calls("generic-m4", [dw_fast_call(layer, x), ...])   # .outputs, .instructions

A KernelCall names everything a C call needs on the target (constants in flash, inputs in RAM, the
output array); the *_host functions run the same kernels through cffi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..cstruct import Dims, render_initializer
from ..fast import depthwise as fdw
from ..fast import elementwise as few
from ..fast import pooling as fpool
from .kernels import arm_kernel_run, c_struct_init, harness_overhead, host_kernels, ptr, struct_ptr


@dataclass
class KernelCall:
    """One kernel call: `call` is a C expression returning tg_status, written with the names of the
    arrays below and of the structs declared in `decls` (each name gets a per-call prefix)."""

    function: str
    decls: str                               # C declarations (static const structs)
    args: str                                # the call's argument list
    consts: dict[str, np.ndarray]            # flash arrays
    inputs: dict[str, np.ndarray]            # RAM arrays written before the call
    output: str                              # name of the array read after the call
    output_len: int                          # int8 elements of the output read back
    scratch: int = 0                         # nonzero: the call takes a scratch context CTX
    extra: dict = field(default_factory=dict)


def _dims_init(d) -> str:
    return render_initializer(d if isinstance(d, Dims) else Dims(*d))


# -- depthwise -------------------------------------------------------------------------------------
def dw_portable_call(layer: fdw.DwLayer, x: np.ndarray, inplace: bool = False) -> KernelCall:
    """tg_depthwise_conv_s8 (or tg_depthwise_conv_inplace_s8) on `layer`."""
    kh, kw = layer.filter_hw
    c = layer.channels
    bias = np.zeros(c, np.int32) if layer.bias is None else np.asarray(layer.bias, np.int32)
    decls = (f"static const tg_dw_conv_params P = {{ {layer.input_offset}, {layer.output_offset}, 1, "
             f"{{ {layer.stride[0]}, {layer.stride[1]} }}, {{ {layer.padding[0]}, {layer.padding[1]} }}, "
             f"{{ {layer.dilation[0]}, {layer.dilation[1]} }}, {{ {layer.act_min}, {layer.act_max} }} }};\n"
             f"static const tg_pc_quant Q = {{ mult, shift }};\n"
             f"static const tg_dims IN = {_dims_init(layer.input_shape)}, F = {_dims_init((1, kh, kw, c))}, "
             f"OUT = {_dims_init(layer.output_shape)};")
    consts = {"w": np.ascontiguousarray(layer.weights, np.int8).reshape(-1), "b": bias,
              "mult": np.asarray(layer.multiplier, np.int32), "shift": np.asarray(layer.shift, np.int32)}
    n_out = int(np.prod(layer.output_shape))
    if inplace:
        return KernelCall("tg_depthwise_conv_inplace_s8", decls, "&CTX, &P, &Q, &IN, x, &F, w, b, &OUT", consts,
                          {"x": np.asarray(x, np.int8)}, "x", n_out, scratch=1, extra={"layer": layer})
    return KernelCall("tg_depthwise_conv_s8", decls, "0, &P, &Q, &IN, x, &F, w, b, &OUT, y", consts,
                      {"x": np.asarray(x, np.int8)}, "y", n_out)


DW_VARIANTS = {
    # variant: (function, in place)
    "fast": ("tg_depthwise_conv_fast_s8", False),
    "fast_scalar": ("tg_depthwise_conv_fast_scalar_s8", False),
    "inplace_fast": ("tg_depthwise_conv_inplace_fast_s8", True),
    "inplace_fast_scalar": ("tg_depthwise_conv_inplace_fast_scalar_s8", True),
}


def dw_fast_call(layer: fdw.DwLayer, x: np.ndarray, variant: str = "fast") -> KernelCall:
    fn, inplace = DW_VARIANTS[variant]
    low = fdw.lower_dw_fast(layer)
    decls = f"static const tg_dw_fast_params P = {c_struct_init(low.params, packed='packed', pad='pad')};"
    n_out = int(np.prod(layer.output_shape))
    consts = {"packed": low.packed, "pad": low.pad}
    if inplace:
        return KernelCall(fn, decls, "&CTX, &P, x", consts,
                          {"x": np.asarray(x, np.int8)}, "x", n_out, scratch=1, extra={"lowering": low})
    return KernelCall(fn, decls, "&P, x, y", consts,
                      {"x": np.asarray(x, np.int8)}, "y", n_out, extra={"lowering": low})


# -- ADD -------------------------------------------------------------------------------------------
def add_portable_call(p: Any, x1: np.ndarray, x2: np.ndarray, subtract: bool = False) -> KernelCall:
    """tg_add_s8 / tg_sub_s8 of same-shaped inputs; p: AddSubParams-like."""
    n = int(x1.size)
    decls = (f"static const tg_add_params P = {{ {p.input1_offset}, {p.input2_offset}, {p.output_offset}, "
             f"{p.left_shift}, {{ {p.input1[0]}, {p.input1[1]} }}, {{ {p.input2[0]}, {p.input2[1]} }}, "
             f"{{ {p.output[0]}, {p.output[1]} }}, {{ {p.act_min}, {p.act_max} }} }};\n"
             f"static const tg_broadcast BC = {{ 1, {{ {n} }}, {{ 1 }}, {{ 1 }} }};")
    return KernelCall("tg_sub_s8" if subtract else "tg_add_s8", decls, "&P, &BC, a, b, y", {},
                      {"a": np.asarray(x1, np.int8).reshape(-1), "b": np.asarray(x2, np.int8).reshape(-1)}, "y", n)


def add_fast_call(p: Any, x1: np.ndarray, x2: np.ndarray, subtract: bool = False) -> KernelCall:
    n = int(x1.size)
    params = few.lower_add_fast(p, subtract=subtract)
    decls = f"static const tg_add_fast_params P = {render_initializer(params)};"
    return KernelCall("tg_add_fast_s8", decls, f"&P, {n}, a, b, y", {},
                      {"a": np.asarray(x1, np.int8).reshape(-1), "b": np.asarray(x2, np.int8).reshape(-1)}, "y", n)


def mul_fast_call(p: Any, x1: np.ndarray, x2: np.ndarray) -> KernelCall:
    n = int(x1.size)
    decls = f"static const tg_mul_fast_params P = {render_initializer(few.lower_mul_fast(p))};"
    return KernelCall("tg_mul_fast_s8", decls, f"&P, {n}, a, b, y", {},
                      {"a": np.asarray(x1, np.int8).reshape(-1), "b": np.asarray(x2, np.int8).reshape(-1)}, "y", n)


# -- pooling ---------------------------------------------------------------------------------------
def _pool_decls(params: fpool.PoolParams, in_shape, out_shape) -> str:
    return (f"static const tg_pool_params P = {render_initializer(params)};\n"
            f"static const tg_dims IN = {_dims_init(in_shape)}, OUT = {_dims_init(out_shape)};")


def avgpool_call(params: fpool.PoolParams, in_shape, out_shape, x: np.ndarray, fast: bool) -> KernelCall:
    return KernelCall("tg_avgpool_fast_s8" if fast else "tg_avgpool_s8", _pool_decls(params, in_shape, out_shape),
                      "&P, &IN, x, &OUT, y", {}, {"x": np.asarray(x, np.int8).reshape(-1)}, "y",
                      int(np.prod(out_shape)))


def mean_portable_call(p: Any, x: np.ndarray) -> KernelCall:
    """tg_mean_s8 with the portable kernel's MeanParams (tinygen.ops.mean)."""
    decls = f"static const tg_mean_params P = {render_initializer(p)};"
    n_out = int(np.prod(p.outer.size))
    return KernelCall("tg_mean_s8", decls, "&P, x, y", {}, {"x": np.asarray(x, np.int8).reshape(-1)}, "y", n_out)


def mean_fast_call(params: fpool.MeanHwParams, in_shape, x: np.ndarray) -> KernelCall:
    decls = (f"static const tg_mean_hw_params P = {render_initializer(params)};\n"
             f"static const tg_dims IN = {_dims_init(in_shape)};")
    return KernelCall("tg_mean_hw_fast_s8", decls, "&P, &IN, x, y", {}, {"x": np.asarray(x, np.int8).reshape(-1)},
                      "y", int(in_shape[0] * in_shape[3]))


# -- host ------------------------------------------------------------------------------------------
def _cstruct(ffi, ctype: str, obj):
    import dataclasses

    if dataclasses.is_dataclass(obj):
        return struct_ptr(ffi, ctype, obj)
    return ffi.new(f"{ctype}*", obj)


def _dims(ffi, shape):
    return ffi.new("tg_dims*", tuple(int(v) for v in (shape if not isinstance(shape, Dims) else
                                                         (shape.n, shape.h, shape.w, shape.c))))


def dw_portable_host(layer: fdw.DwLayer, x: np.ndarray, inplace: bool = False) -> np.ndarray:
    """tg_depthwise_conv_s8 (or the in-place one) on the host."""
    ffi, lib = host_kernels()
    kh, kw = layer.filter_hw
    c = layer.channels
    p = ffi.new("tg_dw_conv_params*", dict(
        input_offset=layer.input_offset, output_offset=layer.output_offset, ch_mult=1,
        stride=dict(h=layer.stride[0], w=layer.stride[1]), padding=dict(h=layer.padding[0], w=layer.padding[1]),
        dilation=dict(h=layer.dilation[0], w=layer.dilation[1]), activation=dict(min=layer.act_min, max=layer.act_max)))
    mult = np.ascontiguousarray(layer.multiplier, np.int32)
    shift = np.ascontiguousarray(layer.shift, np.int32)
    q = ffi.new("tg_pc_quant*", dict(multiplier=ptr(ffi, mult), shift=ptr(ffi, shift)))
    w = np.ascontiguousarray(layer.weights, np.int8).reshape(-1)
    b = np.zeros(c, np.int32) if layer.bias is None else np.ascontiguousarray(layer.bias, np.int32)
    ind, fd, outd = _dims(ffi, layer.input_shape), _dims(ffi, (1, kh, kw, c)), _dims(ffi, layer.output_shape)
    n_out = int(np.prod(layer.output_shape))
    if inplace:
        data = np.ascontiguousarray(x, np.int8).copy()
        n = lib.tg_depthwise_conv_inplace_s8_get_buffer_size(p, ind, outd)
        buf = np.zeros(max(n, 1), np.int8)
        ctx = ffi.new("tg_context*", dict(buf=ffi.cast("void*", ffi.from_buffer(buf)), size=n))
        st = lib.tg_depthwise_conv_inplace_s8(ctx, p, q, ind, ptr(ffi, data), fd, ptr(ffi, w), ptr(ffi, b), outd)
        out = data[:n_out]
    else:
        out = np.zeros(n_out, np.int8)
        st = lib.tg_depthwise_conv_s8(ffi.NULL, p, q, ind, ptr(ffi, np.ascontiguousarray(x, np.int8)), fd,
                                      ptr(ffi, w), ptr(ffi, b), outd, ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"portable depthwise returned {st}")
    return out.copy()


def dw_fast_host(layer: fdw.DwLayer, x: np.ndarray, variant: str = "fast",
                 low: fdw.DwFastLowering | None = None, guard: int = 0) -> np.ndarray:
    """A fast depthwise kernel on the host. guard > 0 surrounds the scratch buffer (and follows
    the in-place data) with that many canary bytes and checks them after the call."""
    ffi, lib = host_kernels()
    fn, inplace = DW_VARIANTS[variant]
    low = low or fdw.lower_dw_fast(layer)
    p = _cstruct(ffi, "tg_dw_fast_params", low.params)
    n_out = int(np.prod(layer.output_shape))
    if inplace:
        n = int(getattr(lib, fn + "_get_buffer_size")(p))
        buf = np.full(n + 2 * guard, 0x5A, np.int8)
        ctx = ffi.new("tg_context*", dict(buf=ffi.cast("int8_t*", ffi.from_buffer(buf)) + guard, size=n))
        data = np.concatenate([np.ascontiguousarray(x, np.int8).reshape(-1), np.full(guard, 0x33, np.int8)])
        st = getattr(lib, fn)(ctx, p, ptr(ffi, data))
        if guard and ((buf[:guard] != 0x5A).any() or (buf[guard + n:] != 0x5A).any()):
            raise AssertionError(f"{fn} wrote outside its scratch buffer")
        if guard and (data[data.size - guard:] != 0x33).any():
            raise AssertionError(f"{fn} wrote past its data")
        out = data[:n_out]
    else:
        out = np.full(n_out + guard, 0x33, np.int8)
        st = getattr(lib, fn)(p, ptr(ffi, np.ascontiguousarray(x, np.int8)), ptr(ffi, out))
        if guard and (out[n_out:] != 0x33).any():
            raise AssertionError(f"{fn} wrote past its output")
        out = out[:n_out]
    if st != 0:
        raise RuntimeError(f"{fn} returned {st}")
    return out.copy()


def add_portable_host(p: Any, x1: np.ndarray, x2: np.ndarray, subtract: bool = False) -> np.ndarray:
    ffi, lib = host_kernels()
    n = int(x1.size)
    P = ffi.new("tg_add_params*", dict(
        input1_offset=p.input1_offset, input2_offset=p.input2_offset, output_offset=p.output_offset,
        left_shift=p.left_shift, input1=dict(multiplier=p.input1[0], shift=p.input1[1]),
        input2=dict(multiplier=p.input2[0], shift=p.input2[1]), output=dict(multiplier=p.output[0], shift=p.output[1]),
        activation=dict(min=p.act_min, max=p.act_max)))
    bc = ffi.new("tg_broadcast*", dict(rank=1, shape=[n], stride1=[1], stride2=[1]))
    out = np.zeros(n, np.int8)
    st = (lib.tg_sub_s8 if subtract else lib.tg_add_s8)(P, bc, ptr(ffi, np.ascontiguousarray(x1, np.int8).reshape(-1)),
                                                        ptr(ffi, np.ascontiguousarray(x2, np.int8).reshape(-1)), ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"portable add returned {st}")
    return out


def add_fast_host(p: Any, x1: np.ndarray, x2: np.ndarray, subtract: bool = False, out: np.ndarray | None = None
                  ) -> np.ndarray:
    """tg_add_fast_s8 on the host; `out` may be x1 or x2 (in place)."""
    ffi, lib = host_kernels()
    n = int(x1.size)
    P = _cstruct(ffi, "tg_add_fast_params", few.lower_add_fast(p, subtract=subtract))
    out = np.zeros(n, np.int8) if out is None else out
    st = lib.tg_add_fast_s8(P, n, ptr(ffi, x1.reshape(-1)), ptr(ffi, x2.reshape(-1)), ptr(ffi, out.reshape(-1)))
    if st != 0:
        raise RuntimeError(f"tg_add_fast_s8 returned {st}")
    return out.reshape(-1).copy()


def mul_portable_host(p: Any, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    n = int(x1.size)
    P = ffi.new("tg_mul_params*", dict(input1_offset=p.input1_offset, input2_offset=p.input2_offset,
                                       output_offset=p.output_offset,
                                       output=dict(multiplier=p.output[0], shift=p.output[1]),
                                       activation=dict(min=p.act_min, max=p.act_max)))
    bc = ffi.new("tg_broadcast*", dict(rank=1, shape=[n], stride1=[1], stride2=[1]))
    out = np.zeros(n, np.int8)
    st = lib.tg_mul_s8(P, bc, ptr(ffi, np.ascontiguousarray(x1, np.int8).reshape(-1)),
                       ptr(ffi, np.ascontiguousarray(x2, np.int8).reshape(-1)), ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"tg_mul_s8 returned {st}")
    return out


def mul_fast_host(p: Any, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    n = int(x1.size)
    out = np.zeros(n, np.int8)
    st = lib.tg_mul_fast_s8(_cstruct(ffi, "tg_mul_fast_params", few.lower_mul_fast(p)), n,
                            ptr(ffi, np.ascontiguousarray(x1, np.int8).reshape(-1)),
                            ptr(ffi, np.ascontiguousarray(x2, np.int8).reshape(-1)), ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"tg_mul_fast_s8 returned {st}")
    return out


def avgpool_host(params: fpool.PoolParams, in_shape, out_shape, x: np.ndarray, fast: bool) -> np.ndarray:
    ffi, lib = host_kernels()
    out = np.zeros(int(np.prod(out_shape)), np.int8)
    fn = lib.tg_avgpool_fast_s8 if fast else lib.tg_avgpool_s8
    st = fn(_cstruct(ffi, "tg_pool_params", params), _dims(ffi, in_shape),
            ptr(ffi, np.ascontiguousarray(x, np.int8).reshape(-1)), _dims(ffi, out_shape), ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"avgpool returned {st}")
    return out


def mean_portable_host(p: Any, x: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    out = np.zeros(int(np.prod(p.outer.size)), np.int8)
    st = lib.tg_mean_s8(_cstruct(ffi, "tg_mean_params", p), ptr(ffi, np.ascontiguousarray(x, np.int8).reshape(-1)),
                        ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"tg_mean_s8 returned {st}")
    return out


def mean_fast_host(params: fpool.MeanHwParams, in_shape, x: np.ndarray) -> np.ndarray:
    ffi, lib = host_kernels()
    out = np.zeros(int(in_shape[0] * in_shape[3]), np.int8)
    st = lib.tg_mean_hw_fast_s8(_cstruct(ffi, "tg_mean_hw_params", params), _dims(ffi, in_shape),
                                ptr(ffi, np.ascontiguousarray(x, np.int8).reshape(-1)), ptr(ffi, out))
    if st != 0:
        raise RuntimeError(f"tg_mean_hw_fast_s8 returned {st}")
    return out


# -- emulated target -------------------------------------------------------------------------------
def scratch_bytes(call: KernelCall) -> int:
    """Scratch bytes of an in-place call, from the kernel's own query (host library)."""
    ffi, lib = host_kernels()
    low = call.extra.get("lowering")
    if low is not None:
        p = _cstruct(ffi, "tg_dw_fast_params", low.params)
        return int(getattr(lib, call.function + "_get_buffer_size")(p))
    layer = call.extra["layer"]
    p = ffi.new("tg_dw_conv_params*", dict(ch_mult=1, stride=dict(h=layer.stride[0], w=layer.stride[1]),
                                           padding=dict(h=layer.padding[0], w=layer.padding[1]),
                                           dilation=dict(h=layer.dilation[0], w=layer.dilation[1])))
    return int(lib.tg_depthwise_conv_inplace_s8_get_buffer_size(p, _dims(ffi, layer.input_shape),
                                                                 _dims(ffi, layer.output_shape)))


@dataclass
class TargetRun:
    outputs: list[np.ndarray]   # each call's output
    instructions: int           # all calls together, harness overhead subtracted
    elf: Any                    # path of the program (symbol sizes)
    stack_peak_bytes: int = 0   # the program's stack high-water mark (harness included)


def target_calls(board: str, calls: Sequence[KernelCall], max_instructions: int = 2_000_000_000) -> TargetRun:
    """Runs the calls one after the other in one program on the emulated `board`."""
    import re

    consts, inputs, outputs, decls, stmts = {}, {}, {}, [], []
    for i, c in enumerate(calls):
        pre = f"c{i}_"
        names = list(c.consts) + list(c.inputs) + [c.output] + ["P", "Q", "IN", "OUT", "F", "BC", "CTX"]

        def rename(text: str) -> str:
            for n in names:
                text = re.sub(rf"(?<![\w.]){n}(?![\w])", pre + n, text)
            return text

        for k, a in c.consts.items():
            consts[pre + k] = np.asarray(a)
        for k, a in c.inputs.items():
            inputs[pre + k] = np.asarray(a)
        outputs[pre + c.output] = ("int8", c.output_len)
        decls.append(rename(c.decls))
        if c.scratch:
            n = scratch_bytes(c)
            decls.append(f"static int8_t {pre}scratch[{max(n, 1)}] __attribute__((aligned(4)));\n"
                         f"static const tg_context {pre}CTX = {{ {pre}scratch, {n} }};")
        stmts.append(f"status |= ({c.function}({rename(c.args)}) != 0) << {i % 31};")
    run = arm_kernel_run(board, call="\n    ".join(stmts), decls="\n".join(decls), consts=consts, inputs=inputs,
                         outputs=outputs, max_instructions=max_instructions)
    if run.status != 0:
        raise RuntimeError(f"a kernel call failed on {board} (status bits {run.status:#x})")
    outs = [run.outputs[f"c{i}_{c.output}"] for i, c in enumerate(calls)]
    return TargetRun(outs, run.instructions - harness_overhead(board), run.elf, run.stack_peak_bytes)


__all__ = ["DW_VARIANTS", "KernelCall", "TargetRun", "add_fast_call", "add_fast_host", "add_portable_call", "add_portable_host",
           "avgpool_call", "avgpool_host", "dw_fast_call", "dw_fast_host", "dw_portable_call", "dw_portable_host",
           "mean_fast_call", "mean_fast_host", "mean_portable_call", "mean_portable_host", "mul_fast_call",
           "mul_fast_host", "mul_portable_host", "scratch_bytes",
           "target_calls"]
