"""Fast ADD / SUB and MUL (same shapes, per-tensor quantization): applicability and lowering.

Kernels (kernels/include/tg_nn.h, kernels/src/basic/tg_add_fast_s8.c, tg_mul_fast_s8.c):

    tg_add_fast_s8(&params, size, input1, input2, output)      no scratch (get_buffer_size: 0)
    tg_mul_fast_s8(&params, size, input1, input2, output)      no scratch (get_buffer_size: 0)

Element i is written after element i of both inputs is read: the elementwise write-order contract,
so the operator's overlap_gaps() stay as they are. The same source runs everywhere (SMMLAR is one
instruction with the DSP extension, a 64-bit multiply otherwise).

Interface for the operator definition (tinygen/ops/add_sub.py), after prepare():

    from ..fast import elementwise as few
    if few.add_fast_applicable(p, same_shape=<inputs and output have the same shape>):
        params = few.lower_add_fast(p)            # AddFastParams (@cstruct tg_add_fast_params)
        # emit: tg_add_fast_params params = render_initializer(params);
        #       tg_add_fast_s8(&params, <element count>, x1, x2, y)    (input order unchanged)
    `p` is anything with the attribute names of AddSubParams (input1_offset, input2_offset,
    output_offset, left_shift, input1, input2, output as (multiplier, shift), act_min, act_max);
    pass subtract=True for SUB. add_fast_check() gives the reason when not applicable.

    # MUL (tinygen/ops/mul.py), same shapes:
    if few.mul_fast_applicable(p, same_shape=...):
        params = few.lower_mul_fast(p)            # MulFastParams (@cstruct tg_mul_fast_params)
        # emit: tg_mul_fast_s8(&params, <element count>, x1, x2, y)
    `p` is anything with the attribute names of the portable MulParams (input1_offset,
    input2_offset, output_offset, output as (multiplier, shift) or .multiplier/.shift, act_min,
    act_max). Preconditions (mul_fast_check()): multiplier in [2^30, 2^31) (or 0: all outputs are
    the output offset, left to the portable kernel), shift in [-31, 13], and
    the largest |product| << left_shift and the rounding term plus the SMMLAR result within int32
    (checked from the offsets).

The rescaling of TFLite's int8 ADD/SUB gives the input with the larger scale the multiplier 1/2
exactly ((2^30, 0)), so that input's term is exactly (q + offset) * 2^19: the "exact" input. The
kernel computes the other input's term and the output with one SMMLAR each (see the kernel's file
comment for the identities). Preconditions checked by add_fast_check():
  - left_shift 20 (int8), one input multiplier exactly (2^30, 0);
  - the other input's multiplier in [2^30, 2^31), shift in [-31, 0];
  - the output multiplier in [2^30, 2^31), shift in [-31, -1] (a right shift n >= 1), and
    |2^(n-1) + output_offset * 2^n| + 2^29 < 2^31 (the SMMLAR accumulator);
  - activation range within [-128, 127].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ..cstruct import Range, cstruct

_HALF = (1 << 30, 0)


@cstruct("tg_add_fast_params")
@dataclass(frozen=True)
class AddFastParams:
    """Mirror of tg_add_fast_params (tg_nn.h)."""

    exact_input: int
    exact_scale: int
    exact_offset: int
    other_offset: int
    other_multiplier: int
    other_round: int
    other_sign_mask: int
    other_shift: int
    other_sign: int
    output_multiplier: int
    output_round: int
    output_shift: int
    activation: Range


def binary_view(p: Any) -> SimpleNamespace:
    """A portable kernel's parameter struct (tinygen.ops.add_sub.AddSubParams or
    tinygen.ops.mul.MulParams) as the flat view the checks and lowerings here read: requantizations
    as (multiplier, shift) pairs and the activation range as act_min / act_max."""
    flat = {}
    for f in dataclasses.fields(p):
        v = getattr(p, f.name)
        if f.name == "activation":
            flat["act_min"], flat["act_max"] = int(v.min), int(v.max)
        elif hasattr(v, "multiplier"):
            flat[f.name] = (int(v.multiplier), int(v.shift))
        else:
            flat[f.name] = v
    return SimpleNamespace(**flat)


def _q(v) -> tuple[int, int]:
    if hasattr(v, "multiplier"):
        return int(v.multiplier), int(v.shift)
    m, s = v
    return int(m), int(s)


def add_fast_check(p: Any, same_shape: bool = True, subtract: bool = False) -> str | None:
    """None when tg_add_fast_s8 computes the layer bit-exactly, else the reason why not."""
    if not same_shape:
        return "the inputs are broadcast (the fast kernel needs same shapes)"
    if int(p.left_shift) != 20:
        return f"left shift {p.left_shift} (int8 ADD uses 20)"
    m1, m2, mo = _q(p.input1), _q(p.input2), _q(p.output)
    if _HALF not in (m1, m2):
        return "no input has the rescaling multiplier 1/2 exactly"
    other = m2 if m1 == _HALF else m1
    if not (1 << 30) <= other[0] < (1 << 31) or not -31 <= other[1] <= 0:
        return f"input multiplier {other} outside [2^30, 2^31) x 2^[-31, 0]"
    if not (1 << 30) <= mo[0] < (1 << 31) or not -31 <= mo[1] <= -1:
        return f"output multiplier {mo} is not a right shift of 1..31 bits"
    n = -mo[1]
    rnd = (1 << (n - 1)) + int(p.output_offset) * (1 << n)
    if abs(rnd) + (1 << 29) >= (1 << 31):
        return "the output offset and rounding term overflow the requantization"
    if not -128 <= int(p.act_min) <= int(p.act_max) <= 127:
        return f"activation range [{p.act_min}, {p.act_max}] outside int8"
    for off in (p.input1_offset, p.input2_offset):
        if not -127 <= int(off) <= 128:
            return f"input offset {off} outside the int8 zero-point range"
    return None


def add_fast_applicable(p: Any, same_shape: bool = True, subtract: bool = False) -> bool:
    """The predicate: tg_add_fast_s8 is bit-exact for this ADD (subtract=True: SUB)."""
    return add_fast_check(p, same_shape, subtract) is None


def lower_add_fast(p: Any, subtract: bool = False) -> AddFastParams:
    """The tg_add_fast_params of an ADD (or SUB) whose portable parameters are `p`."""
    why = add_fast_check(p, True, subtract)
    if why is not None:
        raise ValueError(f"fast ADD kernel not applicable: {why}")
    m1, m2, mo = _q(p.input1), _q(p.input2), _q(p.output)
    exact = 1 if m1 == _HALF else 2
    e_off, o_off = (int(p.input1_offset), int(p.input2_offset)) if exact == 1 else (int(p.input2_offset), int(p.input1_offset))
    om, osh = m2 if exact == 1 else m1
    # SUB: input1 - input2; the sign goes with input 2
    e_sign = -1 if (subtract and exact == 2) else 1
    o_sign = -1 if (subtract and exact == 1) else 1
    n = -osh
    no = -mo[1]
    return AddFastParams(
        exact_input=exact, exact_scale=e_sign * (1 << 19), exact_offset=e_sign * e_off * (1 << 19),
        other_offset=o_off * (1 << 21), other_multiplier=om, other_round=(1 << (n - 1)) if n >= 1 else 0,
        other_sign_mask=-1 if n >= 1 else 0, other_shift=n, other_sign=o_sign,
        output_multiplier=mo[0], output_round=(1 << (no - 1)) + int(p.output_offset) * (1 << no), output_shift=no,
        activation=Range(int(p.act_min), int(p.act_max)))


@cstruct("tg_mul_fast_params")
@dataclass(frozen=True)
class MulFastParams:
    """Mirror of tg_mul_fast_params (tg_nn.h)."""

    input1_offset: int
    input2_offset: int
    left_shift: int
    multiplier: int
    round: int
    sign_mask: int
    shift: int
    activation: Range


def mul_fast_check(p: Any, same_shape: bool = True) -> str | None:
    """None when tg_mul_fast_s8 computes the MUL bit-exactly, else the reason why not."""
    if not same_shape:
        return "the inputs are broadcast (the fast kernel needs same shapes)"
    m, sh = _q(p.output)
    if not (1 << 30) <= m < (1 << 31):
        return f"output multiplier {m} outside [2^30, 2^31)"
    if not -31 <= sh <= 13:
        return f"output shift {sh} outside [-31, 13]"
    for off in (p.input1_offset, p.input2_offset):
        if not -127 <= int(off) <= 128:
            return f"input offset {off} outside the int8 zero-point range"
    # the largest product and its shifted value
    pmax = max(abs(a * b) for a in (-128 + int(p.input1_offset), 127 + int(p.input1_offset))
               for b in (-128 + int(p.input2_offset), 127 + int(p.input2_offset)))
    lsh = 1 + max(sh, 0)
    if pmax << lsh >= (1 << 31):
        return "the shifted product overflows int32"
    n = max(-sh, 0)
    rnd = ((1 << (n - 1)) if n >= 1 else 0) + int(p.output_offset) * (1 << n)
    vmax = ((pmax << lsh) * m >> 32) + 1
    if abs(rnd) + vmax + 1 >= (1 << 31):
        return "the rounding term and output offset overflow the requantization"
    if not -128 <= int(p.act_min) <= int(p.act_max) <= 127:
        return f"activation range [{p.act_min}, {p.act_max}] outside int8"
    return None


def mul_fast_applicable(p: Any, same_shape: bool = True) -> bool:
    """The predicate: tg_mul_fast_s8 is bit-exact for this MUL."""
    return mul_fast_check(p, same_shape) is None


def lower_mul_fast(p: Any) -> MulFastParams:
    """The tg_mul_fast_params of a MUL whose portable parameters are `p`."""
    why = mul_fast_check(p)
    if why is not None:
        raise ValueError(f"fast MUL kernel not applicable: {why}")
    m, sh = _q(p.output)
    n = max(-sh, 0)
    return MulFastParams(input1_offset=int(p.input1_offset), input2_offset=int(p.input2_offset),
                         left_shift=1 + max(sh, 0), multiplier=m,
                         round=((1 << (n - 1)) if n >= 1 else 0) + int(p.output_offset) * (1 << n),
                         sign_mask=-1 if n >= 1 else 0, shift=n, activation=Range(int(p.act_min), int(p.act_max)))


__all__ = ["AddFastParams", "MulFastParams", "add_fast_applicable", "add_fast_check", "lower_add_fast",
           "lower_mul_fast", "mul_fast_applicable", "mul_fast_check"]
