/*
 * tg_internal.h - fixed-point helpers shared by the kernels (not part of the public API).
 *
 * These reproduce gemmlowp's / TFLite's integer arithmetic exactly.
 */
#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

#include <stdint.h>
#include "tg_nn.h"

#define TG_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TG_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline int32_t tg_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31 rounding) >> 32, saturating the single
 * overflow case. Adding 2^30 and shifting right arithmetically by 31 equals gemmlowp's
 * nudge-and-truncate for both signs, and needs no 64-bit division. */
static inline int32_t tg_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero. */
static inline int32_t tg_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier (double rounding, TFLite Micro's default). */
static inline int32_t tg_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return tg_rdbpot(tg_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

#endif /* TG_INTERNAL_H */
