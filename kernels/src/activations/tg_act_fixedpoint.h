/*
 * tg_act_fixedpoint.h - 16-bit fixed-point helpers for HARD_SWISH (private to
 * kernels/src/activations; the 32-bit exp/logistic/tanh helpers live in ../tg_fixedpoint.h).
 *
 * Values are int16 Q0.15 numbers. These reproduce the int16 arithmetic of TFLite's reference
 * HARD_SWISH (gemmlowp's int16 instantiations), including where it wraps or truncates.
 */
#ifndef TG_ACT_FIXEDPOINT_H
#define TG_ACT_FIXEDPOINT_H

#include <stdint.h>

static inline int16_t tg_q15_saturate(int64_t x)
{
    return (int16_t)(x > INT16_MAX ? INT16_MAX : (x < INT16_MIN ? INT16_MIN : x));
}

/* Rounding doubling high multiply (ties away from zero); (-1) * (-1) saturates. */
static inline int16_t tg_q15_srdhm(int16_t a, int16_t b)
{
    int32_t ab;
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    ab = (int32_t)a * (int32_t)b;
    return (int16_t)((ab + (ab >= 0 ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15));
}

/* Doubling high multiply rounding toward zero; (-1) * (-1) saturates. */
static inline int16_t tg_q15_sdhm(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* x * 2^amount (0 <= amount < 31), saturating to int16. */
static inline int16_t tg_q15_sat_shl(int16_t x, int amount)
{
    return tg_q15_saturate((int64_t)x * ((int64_t)1 << amount));
}

/* Rounding right shift by 0..31 carried out in 16-bit lanes: the mask and the threshold wrap
 * to 16 bits exactly like the reference's int16 instantiation (this only matters for shifts
 * of 16 or more). */
static inline int16_t tg_q15_rdbpot(int16_t x, int exponent)
{
    const int16_t mask = (int16_t)(uint16_t)(((uint64_t)1 << exponent) - 1u);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

#endif /* TG_ACT_FIXEDPOINT_H */
