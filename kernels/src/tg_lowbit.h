/*
 * tg_lowbit.h - helpers of the int4-weight and 16x8 kernels (not part of the public API):
 * reading a packed int4 value, TFLite's 64-bit MultiplyByQuantizedMultiplier, and the clamp of a
 * 16x8 result.
 */
#ifndef TG_LOWBIT_H
#define TG_LOWBIT_H

#include <stdint.h>
#include "tg_nn.h"
#include "tg_internal.h"

/* Element i of a packed int4 tensor (TFLite's order: low nibble first), sign-extended. */
static inline int32_t tg_s4_at(const uint8_t *packed, int32_t i)
{
    const uint32_t b = packed[i >> 1];
    const uint32_t nib = (i & 1) ? (b >> 4) : (b & 0xFu);
    return (int32_t)nib - (int32_t)((nib & 8u) << 1);
}

/* TFLite's MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift): the Q31
 * multiplier rounded to 16 bits, one rounding shift by 15 - shift, the result truncated to int32
 * (TFLite Micro's conversion). Arithmetic shifts of negative values are written as floor
 * divisions by powers of two so that no implementation-defined behaviour is involved. */
static inline int32_t tg_requantize64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? ((int64_t)multiplier + (1 << 15)) / 65536 : 0x7FFF;
    const int32_t total = 15 - shift;
    const int64_t v = x * reduced + ((int64_t)1 << (total - 1));
    const int64_t q = v >= 0 ? v >> total : -((-(v + 1)) >> total) - 1;
    return (int32_t)(uint32_t)(uint64_t)q;
}

/* The 16x8 requantization of an accumulator (int64 path, or the int32 double rounding). */
static inline int32_t tg_requantize_s16(int64_t acc, int32_t acc64, int32_t multiplier, int32_t shift)
{
    return acc64 ? tg_requantize64(acc, multiplier, shift)
                 : tg_requantize((int32_t)(uint32_t)(uint64_t)acc, multiplier, shift);
}

#endif /* TG_LOWBIT_H */
