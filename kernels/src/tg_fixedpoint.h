/*
 * tg_fixedpoint.h - 32-bit fixed-point transcendental helpers (not part of the public API).
 *
 * Bit-exact C99 equivalents of the scalar gemmlowp fixed-point routines that TFLite Micro's
 * integer SOFTMAX, LOGISTIC and TANH kernels are built on. Values are int32 "Qm" numbers: m
 * integer bits (sign excluded), 31 - m fractional bits, so raw r stands for r / 2^(31 - m).
 * Functions taking `integer_bits` accept 0..29 (tg_fp_tanh 0..28); pass a compile-time constant
 * so the compiler can fold the shifts after inlining.
 *
 * Conventions shared by every function here:
 *   - tg_srdhm (from tg_internal.h) is the fixed-point product: Qa * Qb -> Q(a+b).
 *   - Additions that gemmlowp performs as plain (possibly overflowing) int32 additions are done
 *     through uint32 here, so they wrap instead of being undefined behaviour; in-range results
 *     are identical.
 *
 * Only static inline functions: include this header from a kernel's .c file.
 */
#ifndef TG_FIXEDPOINT_H
#define TG_FIXEDPOINT_H

#include <stdint.h>
#include "tg_internal.h"

/* Q0 "one": the largest raw value, 1 - 2^-31 (1.0 itself is not representable in Q0). */
#define TG_FP_Q0_ONE INT32_MAX

/* a + b and a - b with two's-complement wrap-around (gemmlowp's plain int32 Add/Sub). */
static inline int32_t tg_fp_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t tg_fp_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* -a with wrap-around (-INT32_MIN stays INT32_MIN, as on every two's-complement target). */
static inline int32_t tg_fp_neg(int32_t a)
{
    return (int32_t)(0u - (uint32_t)a);
}

/* (a + b) / 2 rounded to nearest, ties away from zero, computed without overflow. */
static inline int32_t tg_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* x * 2^exponent: for exponent > 0 a left shift saturating to [INT32_MIN, INT32_MAX], for
 * exponent < 0 a rounding right shift (tg_rdbpot), for 0 the identity. |exponent| <= 31. */
static inline int32_t tg_fp_mul_pot(int32_t x, int32_t exponent)
{
    if (exponent > 0) {
        const int32_t limit = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
        if (x > limit) {
            return INT32_MAX;
        }
        if (x < -limit) {
            return INT32_MIN;
        }
        return (int32_t)((uint32_t)x << exponent);
    }
    if (exponent < 0) {
        return tg_rdbpot(x, -exponent);
    }
    return x;
}

/* Converts a raw value from Q(src_bits) to Q(dst_bits) (saturating / rounding as needed). */
static inline int32_t tg_fp_rescale(int32_t x, int32_t src_bits, int32_t dst_bits)
{
    return tg_fp_mul_pot(x, src_bits - dst_bits);
}

/* Number of leading zero bits of x (32 for x == 0). */
static inline int32_t tg_fp_clz(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return x == 0u ? 32 : (int32_t)__builtin_clz(x);
#else
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
#endif
}

/* exp(a) for a Q0 value a in [-1/4, 0): a 4th-order Taylor polynomial around -1/8. Q0 result. */
static inline int32_t tg_fp_exp_on_negative_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;  /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;              /* 1/3 in Q0 */
    const int32_t x = tg_fp_add(a, (int32_t)1 << 28);  /* a + 1/8 */
    const int32_t x2 = tg_srdhm(x, x);
    const int32_t x3 = tg_srdhm(x2, x);
    const int32_t x4 = tg_srdhm(x2, x2);
    const int32_t x4_over_4 = tg_rdbpot(x4, 2);
    /* x^4/24 + x^3/6 + x^2/2 = ((x^4/4 + x^3) / 3 + x^2) / 2 */
    const int32_t poly = tg_rdbpot(tg_fp_add(tg_srdhm(tg_fp_add(x4_over_4, x3), one_third), x2), 1);
    return tg_fp_add(exp_minus_one_eighth, tg_srdhm(exp_minus_one_eighth, tg_fp_add(x, poly)));
}

/*
 * exp(a) for a <= 0 given in Q(integer_bits); result in Q0 (exp(0) gives TG_FP_Q0_ONE).
 * The fractional part modulo 1/4 goes through the polynomial above; every set bit of the
 * remaining multiple of 1/4 multiplies in a constant exp(-2^k), k = -2..4. With more than 5
 * integer bits, inputs below -32 give 0.
 */
static inline int32_t tg_fp_exp_on_negative_values(int32_t a, int32_t integer_bits)
{
    static const int32_t exp_of_minus_pow2[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1)   */
        290630308,  /* exp(-2)   */
        39332535,   /* exp(-4)   */
        720401,     /* exp(-8)   */
        242         /* exp(-16)  */
    };
    const int32_t frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = tg_fp_sub(a & (one_quarter - 1), one_quarter);
    const int32_t remainder = tg_fp_sub(a_mod_quarter_minus_quarter, a);
    int32_t result = tg_fp_exp_on_negative_quarter(tg_fp_rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
    int32_t k;
    for (k = -2; k <= 4; ++k) {
        if (integer_bits > k && (remainder & ((int32_t)1 << (frac_bits + k))) != 0) {
            result = tg_srdhm(result, exp_of_minus_pow2[k + 2]);
        }
    }
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits))) {
        result = 0;
    }
    if (a == 0) {
        result = TG_FP_Q0_ONE;
    }
    return result;
}

/* Newton-Raphson iterate of 1 / half_denominator (Q2 result), shared by the two functions
 * below: three steps from the initial estimate 48/17 - 32/17 * d. */
static inline int32_t tg_fp_newton_reciprocal_q2(int32_t half_denominator)
{
    const int32_t c48_over_17 = 1515870810;       /* 48/17 in Q2 */
    const int32_t c_neg_32_over_17 = -1010580540; /* -32/17 in Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t x = tg_fp_add(c48_over_17, tg_srdhm(half_denominator, c_neg_32_over_17));
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t d_times_x = tg_srdhm(half_denominator, x);              /* Q2 */
        const int32_t one_minus = tg_fp_sub(one_q2, d_times_x);               /* Q2 */
        x = tg_fp_add(x, tg_fp_rescale(tg_srdhm(x, one_minus), 4, 2));        /* Q4 -> Q2 */
    }
    return x;
}

/* 1 / (1 + a) for a Q0 value a in [0, 1); Q0 result. */
static inline int32_t tg_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t x = tg_fp_newton_reciprocal_q2(tg_fp_rounding_half_sum(a, TG_FP_Q0_ONE));
    /* x is 2 / (1 + a) in Q2, i.e. 1 / (1 + a) in Q1 with the same raw bits */
    return tg_fp_rescale(x, 1, 0);
}

/* (1 - a) / (1 + a) for a Q0 value a in [0, 1); Q0 result. */
static inline int32_t tg_fp_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t x = tg_fp_newton_reciprocal_q2(tg_fp_rounding_half_sum(a, TG_FP_Q0_ONE));
    return tg_fp_rescale(tg_fp_sub(x, (int32_t)1 << 29), 2, 0);
}

/*
 * Reciprocal of a positive Q(integer_bits) value x (x > 0 required), as TFLite's GetReciprocal:
 * x is normalised by a left shift to 1 + f with f in [0, 1); returns 1 / (1 + f) in Q0 and sets
 * *num_bits_over_unit = n = integer_bits - (leading zeros of x), so that x = (1 + f) * 2^n and
 * 1 / x = result * 2^-n.
 */
static inline int32_t tg_fp_reciprocal(int32_t x, int32_t integer_bits, int32_t *num_bits_over_unit)
{
    const int32_t headroom_plus_one = tg_fp_clz((uint32_t)x);
    const int32_t shifted_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - 0x80000000u);
    *num_bits_over_unit = integer_bits - headroom_plus_one;
    return tg_fp_one_over_one_plus_x(shifted_minus_one);
}

/* logistic(a) = 1 / (1 + exp(-a)) for a in Q(integer_bits); Q0 result (0.5 is 2^30). */
static inline int32_t tg_fp_logistic(int32_t a, int32_t integer_bits)
{
    const int32_t abs_a = a > 0 ? a : tg_fp_neg(a);
    const int32_t if_positive = tg_fp_one_over_one_plus_x(tg_fp_exp_on_negative_values(tg_fp_neg(abs_a), integer_bits));
    if (a == 0) {
        return (int32_t)1 << 30;
    }
    return a > 0 ? if_positive : tg_fp_sub(TG_FP_Q0_ONE, if_positive);
}

/* tanh(a) for a in Q(integer_bits) (integer_bits <= 28); Q0 result. */
static inline int32_t tg_fp_tanh(int32_t a, int32_t integer_bits)
{
    const int32_t non_positive = a < 0 ? a : tg_fp_neg(a);
    /* the same raw bits read with one more integer bit are 2 * non_positive */
    const int32_t t = tg_fp_one_minus_x_over_one_plus_x(tg_fp_exp_on_negative_values(non_positive, integer_bits + 1));
    if (a == 0) {
        return 0;
    }
    return a < 0 ? tg_fp_neg(t) : t;
}

#endif /* TG_FIXEDPOINT_H */
