/*
 * tg_fast.h - requantization and copy helpers shared by the fast convolution and fully connected
 * kernels (tg_conv_dsp_s8, tg_conv_scalar_s8, tg_fully_connected_dsp_s8,
 * tg_fully_connected_scalar_s8). Not part of the public API.
 *
 * Fast requantization
 * -------------------
 * TFLite Micro computes  out = clamp(RDBPOT(SRDHM(acc, M), n) + zp, lo, hi)  with M the Q31
 * multiplier (0 <= M < 2^31) and n the right shift. The compiler (tinygen/fast/conv.py) checks at
 * compile time that, for the layer's weights, bias and every possible input,
 *     n >= 1  and  |acc| < 2^30  and  |acc| + 2^(n-1) + |zp| 2^n + 1 < 2^31,
 * and passes per output channel four int32 words ("channel words"):
 *     [0] bias   the bias with the input offset folded in: bias + input_offset * sum(weights)
 *     [1] mult   M
 *     [2] round  2^(n-1) + zp * 2^n
 *     [3] shift  n
 * Under those conditions, with s = SRDHM(acc, M):
 *   - s = floor((2 acc M + 2^31) / 2^32): the rounded high word of (2 acc) * M (SMMULR), because
 *     2 acc fits in int32 and M < 2^31 rules out SRDHM's single saturating case;
 *   - RDBPOT(s, n) = floor((s + 2^(n-1) - [s < 0]) / 2^n) (round half away from zero) for n >= 1,
 *     and [s < 0] may be replaced by [acc < 0]: acc >= 0 gives s >= 0; acc < 0 gives s <= 0, and
 *     s = 0 with acc < 0 yields floor((2^(n-1) - 1) / 2^n) = 0 = floor(2^(n-1) / 2^n);
 *   - adding zp inside the floor as zp * 2^n is exact.
 * So out = clamp(((s + round + (acc >> 31)) >> n), lo, hi): with SMMLAR, one instruction computes
 * s + round + (acc >> 31). A channel whose weights are all zero has a constant output c; the
 * compiler encodes it as bias 0, mult 0, round c * 2 + 1, shift 1 (no bound needed).
 *
 * The scalar variant (no 64-bit multiply on Armv6-M) computes the same s exactly from four
 * 16 x 16 -> 32-bit partial products (tg_fast_mulhi).
 */
#ifndef TG_FAST_H
#define TG_FAST_H

#include <stdint.h>
#include "tg_nn.h"
#include "tg_simd.h"

/* Words per output channel in the channel-word array. */
#define TG_FAST_CH_WORDS 4

/* s + round + [acc < 0 ? -1 : 0], then >> shift (see above), DSP path. */
TG_INLINE int32_t tg_fast_requant(int32_t acc, int32_t mult, int32_t round, int32_t shift)
{
    return tg_smmlar((int32_t)((uint32_t)acc << 1), mult, round + (acc >> 31)) >> shift;
}

/* floor((2 x m + 2^31) / 2^32) for |x| < 2^30 and 0 <= m < 2^31, with 32-bit multiplies only:
 * (2x) * m = p3 2^32 + (p1 + p2) 2^16 + p0 from the 16-bit halves of 2x (signed high half) and m. */
TG_INLINE int32_t tg_fast_mulhi(int32_t x, int32_t m)
{
    const int32_t u = (int32_t)((uint32_t)x << 1);
    const int32_t uh = u >> 16;                       /* |uh| <= 2^15 */
    const uint32_t ul = (uint32_t)u & 0xFFFFu;
    const int32_t mh = m >> 16;                       /* < 2^15 */
    const uint32_t ml = (uint32_t)m & 0xFFFFu;
    const int32_t p3 = uh * mh;
    const int32_t p1 = uh * (int32_t)ml;              /* |p1| < 2^31 */
    const uint32_t p2 = ul * (uint32_t)mh;            /* < 2^31 */
    const uint32_t p0 = ul * ml;                      /* < 2^32 */
    const uint32_t t = ((uint32_t)p1 & 0xFFFFu) + p2 + (p0 >> 16) + 0x8000u;  /* < 2^32 */
    return p3 + (p1 >> 16) + (int32_t)(t >> 16);
}

/* The same requantization without SMMLAR (Cortex-M0+). */
TG_INLINE int32_t tg_fast_requant_scalar(int32_t acc, int32_t mult, int32_t round, int32_t shift)
{
    return (tg_fast_mulhi(acc, mult) + round + (acc >> 31)) >> shift;
}

/* Clamp of a requantized value to the activation range [lo, hi] (a sub-range of int8). */
TG_INLINE int32_t tg_fast_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* n bytes from src to dst (no overlap), four at a time where possible. */
TG_INLINE void tg_fast_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        tg_write_s8x4(dst, tg_read_s8x4(src));
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* n bytes of value v at dst; v4 is v replicated in the four bytes of a word. */
TG_INLINE void tg_fast_fill(int8_t *dst, uint32_t v4, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4) {
        tg_write_s8x4(dst, v4);
    }
    for (; n > 0; --n) {
        *dst++ = (int8_t)v4;
    }
}

/* -- fused multiply-accumulate loops ------------------------------------------------------------
 * Weights come in groups of four int8 values per output channel, two channels interleaved: word
 * 2g is channel 0's group g, word 2g + 1 channel 1's. A "widened" input holds per group the words
 * (v0, v2) and (v1, v3) as int16 halves (what SXTB16 / SXTB16-ROR8 make of an int8 word), so that
 * SMLAD pairs them with the matching weights. Native: hand-scheduled inline assembly (GCC 12 spills
 * the 14 live values of the 2x2 loop); elsewhere: the plain-C model on the tg_simd.h models.
 */

/* Two inputs x two channels: a00 += x0 . w_c0, a01 += x0 . w_c1, a10 += x1 . w_c0,
 * a11 += x1 . w_c1 over `groups` (>= 1) groups; x0 widened (xa, 4-byte aligned), x1 int8 (xb); *wpp advances. */
#if TG_SIMD_NATIVE
#define TG__MAC2X2_GROUP                              \
    "ldr    %[t0], [%[wp]], #4\n\t"                   \
    "ldrd   %[t1], %[t2], [%[xa]], #8\n\t"            \
    "sxtb16 %[t3], %[t0]\n\t"                         \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                 \
    "smlad  %[a00], %[t1], %[t3], %[a00]\n\t"         \
    "smlad  %[a00], %[t2], %[t0], %[a00]\n\t"         \
    "ldr    %[t4], [%[xb]], #4\n\t"                   \
    "sxtb16 %[t5], %[t4]\n\t"                         \
    "sxtb16 %[t4], %[t4], ror #8\n\t"                 \
    "smlad  %[a10], %[t5], %[t3], %[a10]\n\t"         \
    "smlad  %[a10], %[t4], %[t0], %[a10]\n\t"         \
    "ldr    %[t0], [%[wp]], #4\n\t"                   \
    "sxtb16 %[t3], %[t0]\n\t"                         \
    "sxtb16 %[t0], %[t0], ror #8\n\t"                 \
    "smlad  %[a01], %[t1], %[t3], %[a01]\n\t"         \
    "smlad  %[a01], %[t2], %[t0], %[a01]\n\t"         \
    "smlad  %[a11], %[t5], %[t3], %[a11]\n\t"         \
    "smlad  %[a11], %[t4], %[t0], %[a11]\n\t"
#define TG__MAC2X2_OPERANDS                                                                           \
    : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [wp] "+r"(wp), [xa] "+r"(xa), \
      [xb] "+r"(xb), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),  \
      [t5] "=&r"(t5)
#endif

TG_INLINE void tg_fast_mac2x2(const uint32_t *xa, const int8_t *xb, const uint32_t **wpp, int32_t groups,
                              int32_t *p00, int32_t *p01, int32_t *p10, int32_t *p11)
{
    const uint32_t *wp = *wpp;
    int32_t a00 = *p00, a01 = *p01, a10 = *p10, a11 = *p11;
#if TG_SIMD_NATIVE
    uint32_t t0, t1, t2, t3, t4, t5;
    if (groups & 1) {
        __asm__ volatile(TG__MAC2X2_GROUP TG__MAC2X2_OPERANDS : : "memory");
    }
    if (groups > 1) {
        const uint32_t *const end = wp + 2 * (groups & ~1);
        __asm__ volatile("1:\n\t" TG__MAC2X2_GROUP TG__MAC2X2_GROUP "cmp    %[wp], %[end]\n\t"
                         "bne    1b\n\t" TG__MAC2X2_OPERANDS : [end] "r"(end) : "cc", "memory");
    }
#else
    for (; groups > 0; --groups) {
        const uint32_t x0 = xa[0], x1 = xa[1];
        const uint32_t xv = tg_read_s8x4_ia(&xb);
        const uint32_t b0 = tg_sxtb16(xv), b1 = tg_sxtb16_ror8(xv);
        uint32_t wv = *wp++;
        uint32_t w0 = tg_sxtb16(wv), w1 = tg_sxtb16_ror8(wv);
        a00 = tg_smlad(x0, w0, a00);
        a00 = tg_smlad(x1, w1, a00);
        a10 = tg_smlad(b0, w0, a10);
        a10 = tg_smlad(b1, w1, a10);
        wv = *wp++;
        w0 = tg_sxtb16(wv);
        w1 = tg_sxtb16_ror8(wv);
        a01 = tg_smlad(x0, w0, a01);
        a01 = tg_smlad(x1, w1, a01);
        a11 = tg_smlad(b0, w0, a11);
        a11 = tg_smlad(b1, w1, a11);
        xa += 2;
    }
#endif
    *wpp = wp;
    *p00 = a00;
    *p01 = a01;
    *p10 = a10;
    *p11 = a11;
}

/* One int8 input x two channels: a0 += x . w_c0, a1 += x . w_c1 over `groups` (>= 0) groups;
 * *wp advances past them. */
TG_INLINE void tg_fast_mac1x2(const int8_t *x, const uint32_t **wp, int32_t groups, int32_t *p0, int32_t *p1)
{
    const uint32_t *w = *wp;
    int32_t a0 = *p0, a1 = *p1;
    for (; groups > 0; --groups, w += 2) {
        const uint32_t xv = tg_read_s8x4_ia(&x);
        const uint32_t b0 = tg_sxtb16(xv), b1 = tg_sxtb16_ror8(xv);
        uint32_t wv = w[0];
        a0 = tg_smlad(b0, tg_sxtb16(wv), a0);
        a0 = tg_smlad(b1, tg_sxtb16_ror8(wv), a0);
        wv = w[1];
        a1 = tg_smlad(b0, tg_sxtb16(wv), a1);
        a1 = tg_smlad(b1, tg_sxtb16_ror8(wv), a1);
    }
    *wp = w;
    *p0 = a0;
    *p1 = a1;
}

/* One int8 input x four rows: a[r] += x . w_r over `groups` (>= 0) groups of four values; the
 * weights hold per group the words of rows 0, 1, 2, 3; *wp advances past them. */
TG_INLINE void tg_fast_mac1x4(const int8_t *x, const uint32_t **wp, int32_t groups, int32_t *a)
{
    const uint32_t *w = *wp;
    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
    for (; groups > 0; --groups, w += 4) {
        const uint32_t xv = tg_read_s8x4_ia(&x);
        const uint32_t b0 = tg_sxtb16(xv), b1 = tg_sxtb16_ror8(xv);
        uint32_t wv = w[0];
        a0 = tg_smlad(b0, tg_sxtb16(wv), a0);
        a0 = tg_smlad(b1, tg_sxtb16_ror8(wv), a0);
        wv = w[1];
        a1 = tg_smlad(b0, tg_sxtb16(wv), a1);
        a1 = tg_smlad(b1, tg_sxtb16_ror8(wv), a1);
        wv = w[2];
        a2 = tg_smlad(b0, tg_sxtb16(wv), a2);
        a2 = tg_smlad(b1, tg_sxtb16_ror8(wv), a2);
        wv = w[3];
        a3 = tg_smlad(b0, tg_sxtb16(wv), a3);
        a3 = tg_smlad(b1, tg_sxtb16_ror8(wv), a3);
    }
    *wp = w;
    a[0] = a0;
    a[1] = a1;
    a[2] = a2;
    a[3] = a3;
}

/* Scalar (Cortex-M0+): a0 += x . w0, a1 += x . w1 over n >= 0 int8 values, one index register
 * counting up to zero for the three arrays (Armv6-M loads only take a register offset). */
TG_INLINE void tg_fast_dot1x2_scalar(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                                     int32_t *p0, int32_t *p1)
{
    int32_t s0 = *p0, s1 = *p1;
    int32_t i = -n;
    if (n > 0) {
        x += n;
        w0 += n;
        w1 += n;
        do {
            const int32_t v = x[i];
            s0 += v * w0[i];
            s1 += v * w1[i];
        } while (++i != 0);
    }
    *p0 = s0;
    *p1 = s1;
}

/* Sum of n int8 values (the filter-offset correction of fully connected layers). */
TG_INLINE int32_t tg_fast_sum_s8(const int8_t *x, int32_t n)
{
    int32_t s = 0;
    for (; n > 0; --n) {
        s += *x++;
    }
    return s;
}

#endif /* TG_FAST_H */
