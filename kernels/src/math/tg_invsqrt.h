/*
 * tg_invsqrt.h - fixed-point inverse square root of a positive int32 (not part of the public API).
 *
 * TFLite's GetInvSqrtQuantizedMultiplierExp, bit for bit: 1/sqrt(x) as a Q31 multiplier and a
 * power-of-two shift (TFLite convention: shift > 0 is a left shift), so that
 * tg_requantize(v, multiplier, shift) ~ v / sqrt(x). The input is normalised by an even number of
 * bit shifts into [2^27, 2^29), five Newton-Raphson steps on Q3.28 values starting from 1
 * compute 1/sqrt, and a factor sqrt(2)/2 undoes the half of the normalisation.
 */
#ifndef TG_INVSQRT_H
#define TG_INVSQRT_H

#include <stdint.h>
#include "../tg_fixedpoint.h"

static inline void tg_inv_sqrt(int32_t x, int32_t *multiplier, int32_t *shift)
{
    const int32_t three_halves = ((int32_t)1 << 28) + ((int32_t)1 << 27); /* 1.5 in Q3.28 */
    const int32_t half_sqrt_2 = 1518500250;                                  /* sqrt(2)/2 in Q0.31 */
    int32_t exp = 11;
    int32_t pairs, half_x, y, i;

    if (x <= 1) { /* 0 (invalid) and 1 both give the largest multiplier */
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    while (x >= ((int32_t)1 << 29)) {
        x /= 4;
        ++exp;
    }
    pairs = (tg_fp_clz((uint32_t)x) - 1) / 2 - 1;
    exp -= pairs;
    x <<= 2 * pairs;
    /* x is now in [2^27, 2^29): as a Q3.28 value, (x >> 1) is in [1/4, 1) */
    half_x = tg_rdbpot(x >> 1, 1);
    y = (int32_t)1 << 28; /* 1.0 */
    for (i = 0; i < 5; ++i) {
        /* y = 1.5 y - (x/2) y^3, products in Q6/Q9 rescaled to Q3 with saturation */
        const int32_t y3 = tg_fp_mul_pot(tg_srdhm(tg_srdhm(y, y), y), 6);
        y = tg_fp_mul_pot(tg_fp_sub(tg_srdhm(three_halves, y), tg_srdhm(half_x, y3)), 3);
    }
    y = tg_srdhm(y, half_sqrt_2);
    if (exp < 0) {
        y = (int32_t)((uint32_t)y << -exp);
        exp = 0;
    }
    *multiplier = y;
    *shift = -exp;
}

#endif /* TG_INVSQRT_H */
