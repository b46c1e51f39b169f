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
 * and passes per output channel three int32 words ("channel words"):
 *     bias   the bias with the input offset folded in: bias + input_offset * sum(weights)
 *     mult   M
 *     round  2^(n-1) + zp * 2^n = (2 zp + 1) 2^(n-1)
 * The shift is not stored: 2 zp + 1 is odd, so n - 1 is the count of trailing zero bits of round
 * (tg_fast_shift1: RBIT + CLZ on Armv7-M, a multiply and a 32-byte table on Armv6-M), computed
 * once per channel where the kernels load its words. (The convolution kernels store the words per
 * channel pair as [bias0, bias1, mult0, round0, mult1, round1]; the fully connected kernels as the
 * biases, then (mult, round) per row or once per tensor: 12 bytes per channel, as many as the
 * portable kernels' bias, multiplier and shift.)
 * Under those conditions, with s = SRDHM(acc, M):
 *   - s = floor((2 acc M + 2^31) / 2^32): the rounded high word of (2 acc) * M (SMMULR), because
 *     2 acc fits in int32 and M < 2^31 rules out SRDHM's single saturating case;
 *   - RDBPOT(s, n) = floor((s + 2^(n-1) - [s < 0]) / 2^n) (round half away from zero) for n >= 1,
 *     and [s < 0] may be replaced by [acc < 0]: acc >= 0 gives s >= 0; acc < 0 gives s <= 0, and
 *     s = 0 with acc < 0 yields floor((2^(n-1) - 1) / 2^n) = 0 = floor(2^(n-1) / 2^n);
 *   - adding zp inside the floor as zp * 2^n is exact.
 * So out = clamp((s + round + (acc >> 31)) >> n, lo, hi): with SMMLAR, one instruction computes
 * s + round + (acc >> 31); the shift by n is done as >> (n - 1), then >> 1 (folded into SSAT on
 * the DSP path). A channel whose weights are all zero has a constant output c; the compiler
 * encodes it as bias 0, mult 0, round c * 2 + 1 (n = 1; no bound needed).
 *
 * The scalar variant (no 64-bit multiply on Armv6-M) computes the same s exactly from four
 * 16 x 16 -> 32-bit partial products (tg_fast_mulhi).
 */
#ifndef TG_FAST_H
#define TG_FAST_H

#include <stdint.h>
#include "tg_nn.h"
#include "tg_simd.h"

/* The hand-scheduled loops below need almost every register; at -O0 GCC keeps r7 as the frame
 * pointer and cannot give them, so unoptimized builds use the plain-C versions instead. */
#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
#define TG_FAST_ASM 1
#else
#define TG_FAST_ASM 0
#endif

/* Words per channel pair in the convolution kernels' channel-word array:
 * [bias0, bias1, mult0, round0, mult1, round1]. */
#define TG_FAST_PAIR_WORDS 6

#if defined(TG_FAST_CTZ_TABLE) || !(defined(__GNUC__) || defined(__clang__)) || \
    (defined(__arm__) && !defined(__ARM_FEATURE_CLZ))
/* Bit positions by the multiply-and-lookup method: (x & -x) is a single bit 2^k, and 2^k times the
 * de Bruijn constant 0x077CB531 has a distinct top five bits for every k. */
static const uint8_t tg__ctz_table[32] = {0,  1,  28, 2,  29, 14, 24, 3, 30, 22, 20, 15, 25, 17, 4,  8,
                                          31, 27, 13, 23, 21, 19, 16, 7, 26, 12, 18, 6,  11, 5,  10, 9};
#define TG__CTZ_TABLE 1
#else
#define TG__CTZ_TABLE 0
#endif

/* n - 1 for the channel's rounding word round = (2 zp + 1) 2^(n-1): its count of trailing zero bits
 * (RBIT + CLZ where the core has them; round is never zero). */
TG_INLINE int32_t tg_fast_shift1(int32_t round)
{
#if TG__CTZ_TABLE
    const uint32_t r = (uint32_t)round;
    return tg__ctz_table[((r & (0u - r)) * 0x077CB531u) >> 27];
#else
    return __builtin_ctz((uint32_t)round);
#endif
}

/* s + round + [acc < 0 ? -1 : 0], then >> n (see above; sh1 = n - 1 = tg_fast_shift1(round)), DSP
 * path: not yet saturated to int8. */
TG_INLINE int32_t tg_fast_requant(int32_t acc, int32_t mult, int32_t round, int32_t sh1)
{
    return (tg_smmlar((int32_t)((uint32_t)acc << 1), mult, round + (acc >> 31)) >> sh1) >> 1;
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
TG_INLINE int32_t tg_fast_requant_scalar(int32_t acc, int32_t mult, int32_t round, int32_t sh1)
{
    return ((tg_fast_mulhi(acc, mult) + round + (acc >> 31)) >> sh1) >> 1;
}

/* Clamp of a requantized value to the activation range [lo, hi] (a sub-range of int8). */
TG_INLINE int32_t tg_fast_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* n bytes from src to dst (no overlap), four at a time where possible (the last 1-3 one by one,
 * written out so that GCC does not turn the loops into a memcpy call). */
TG_INLINE void tg_fast_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        tg_write_s8x4(dst, tg_read_s8x4(src));
    }
    if (n > 0) {
        dst[0] = src[0];
        if (n > 1) {
            dst[1] = src[1];
            if (n > 2) {
                dst[2] = src[2];
            }
        }
    }
}

/* n bytes of value v at dst; v4 is v replicated in the four bytes of a word (no memset call). */
TG_INLINE void tg_fast_fill(int8_t *dst, uint32_t v4, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4) {
        tg_write_s8x4(dst, v4);
    }
    if (n > 0) {
        dst[0] = (int8_t)v4;
        if (n > 1) {
            dst[1] = (int8_t)v4;
            if (n > 2) {
                dst[2] = (int8_t)v4;
            }
        }
    }
}

/* -- fused multiply-accumulate loops ------------------------------------------------------------
 * Weights come in groups of four int8 values per output channel, two channels interleaved: word
 * 2g is channel 0's group g, word 2g + 1 channel 1's. A "widened" input holds per group the words
 * (v0, v2) and (v1, v3) as int16 halves (what SXTB16 / SXTB16-ROR8 make of an int8 word), so that
 * SMLAD pairs them with the matching weights. Native: hand-scheduled inline assembly (GCC 12 spills
 * the 14 live values of the 2x2 loop); elsewhere: the plain-C model on the tg_simd.h models.
 */

/* Two pixels x all channel pairs of a convolution (the whole pair-mode channel loop). For each
 * channel pair: a[p][c] = bias_c + x_p . w_c over 2 * groups2 groups, requantized
 * (tg_fast_requant), saturated to int8 and stored at y0[c], y1[c] (no activation clamp: the
 * caller clamps narrower ranges afterwards). Channel words per pair:
 * [bias0, bias1, mult0, round0, mult1, round1].
 *   tg_fast_pairs2x2:  x0 widened at xa (2 words per group), x1 int8 at xb;
 *   tg_fast_pairs2x2m: x0 widened and x1's int8 word interleaved at xa (3 words per group);
 *   tg_fast_pairs2x2w: both widened and interleaved at xa (x0's 2 words, then x1's, per group). */
typedef struct {
    const uint32_t *wp;     /* weights of the next channel pair (advanced) */
    const uint32_t *xa;     /* widened input(s), 4-byte aligned */
    const int8_t *xb;       /* pixel 1, int8 (tg_fast_pairs2x2 only) */
    int32_t wbytes;         /* weight bytes per channel pair: 16 * groups2 (groups2 >= 1) */
    const int32_t *q;       /* channel words of the next pair (advanced) */
    const int32_t *q_end;   /* end of the channel words to do */
    int8_t *y0, *y1;        /* outputs of pixels 0 and 1 (advanced) */
} tg_fast_pair_state;

#if TG_FAST_ASM
/* One group: r1-r4 accumulators a00 a01 a10 a11, r5 weights, r6 x0 (widened), r7 x1 (int8);
 * temporaries r9-r12, lr, r0. 18 instructions for 16 multiply-accumulates. */
#define TG__PAIR_GROUP                   \
    "ldr    r9, [r5], #4\n\t"            \
    "ldrd   r10, r11, [r6], #8\n\t"      \
    "sxtb16 r12, r9\n\t"                 \
    "sxtb16 r9, r9, ror #8\n\t"          \
    "smlad  r1, r10, r12, r1\n\t"        \
    "smlad  r1, r11, r9, r1\n\t"         \
    "ldr    lr, [r7], #4\n\t"            \
    "sxtb16 r0, lr\n\t"                  \
    "sxtb16 lr, lr, ror #8\n\t"          \
    "smlad  r3, r0, r12, r3\n\t"         \
    "smlad  r3, lr, r9, r3\n\t"          \
    "ldr    r9, [r5], #4\n\t"            \
    "sxtb16 r12, r9\n\t"                 \
    "sxtb16 r9, r9, ror #8\n\t"          \
    "smlad  r2, r10, r12, r2\n\t"        \
    "smlad  r2, r11, r9, r2\n\t"         \
    "smlad  r4, r0, r12, r4\n\t"         \
    "smlad  r4, lr, r9, r4\n\t"
/* One group, both inputs widened (r6: x0 lo, x0 hi, x1 lo, x1 hi; r7 free): 14 instructions. */
#define TG__PAIR_GROUP_WIDE                       \
    "ldmia  r6!, {r9, r10, r11, r12}\n\t"         \
    "ldrd   r0, lr, [r5], #8\n\t"                 \
    "sxtb16 r7, r0\n\t"                           \
    "sxtb16 r0, r0, ror #8\n\t"                   \
    "smlad  r1, r9, r7, r1\n\t"                   \
    "smlad  r1, r10, r0, r1\n\t"                  \
    "smlad  r3, r11, r7, r3\n\t"                  \
    "smlad  r3, r12, r0, r3\n\t"                  \
    "sxtb16 r7, lr\n\t"                           \
    "sxtb16 lr, lr, ror #8\n\t"                   \
    "smlad  r2, r9, r7, r2\n\t"                   \
    "smlad  r2, r10, lr, r2\n\t"                  \
    "smlad  r4, r11, r7, r4\n\t"                  \
    "smlad  r4, r12, lr, r4\n\t"
/* One group, x0 widened and x1's int8 word interleaved (r6: x0 lo, x0 hi, x1; r7 free): 16. */
#define TG__PAIR_GROUP_MID                        \
    "ldmia  r6!, {r9, r10, r11}\n\t"              \
    "sxtb16 r12, r11\n\t"                         \
    "sxtb16 r11, r11, ror #8\n\t"                 \
    "ldrd   r0, lr, [r5], #8\n\t"                 \
    "sxtb16 r7, r0\n\t"                           \
    "sxtb16 r0, r0, ror #8\n\t"                   \
    "smlad  r1, r9, r7, r1\n\t"                   \
    "smlad  r1, r10, r0, r1\n\t"                  \
    "smlad  r3, r12, r7, r3\n\t"                  \
    "smlad  r3, r11, r0, r3\n\t"                  \
    "sxtb16 r7, lr\n\t"                           \
    "sxtb16 lr, lr, ror #8\n\t"                   \
    "smlad  r2, r9, r7, r2\n\t"                   \
    "smlad  r2, r10, lr, r2\n\t"                  \
    "smlad  r4, r12, r7, r4\n\t"                  \
    "smlad  r4, r11, lr, r4\n\t"
/* Requantize accumulator A with multiplier M, round R, shift N - 1 in S (temporary r5). */
#define TG__PAIR_REQUANT(A, M, R, S)      \
    "add    r5, " R ", " A ", asr #31\n\t" \
    "lsl    " A ", " A ", #1\n\t"         \
    "smmlar " A ", " A ", " M ", r5\n\t"  \
    "asr    " A ", " A ", " S "\n\t"      \
    "ssat   " A ", #8, " A ", asr #1\n\t"
/* The channel-pair loop around a group (r0: the state). */
#define TG__PAIRS_ASM(GROUP)                                              \
    "1:\n\t"                                                              \
    "ldm    r0, {r5, r6, r7, r8, r9}\n\t" /* wp, xa, xb, wbytes, q */    \
    "ldrd   r1, r2, [r9]\n\t"             /* biases */                    \
    "mov    r3, r1\n\t"                                                   \
    "mov    r4, r2\n\t"                                                   \
    "add    r8, r5, r8\n\t"               /* end of the pair's weights */ \
    "push   {r0}\n\t"                                                     \
    "2:\n\t"                                                              \
    GROUP GROUP                                                           \
    "cmp    r5, r8\n\t"                                                   \
    "bne    2b\n\t"                                                       \
    "pop    {r0}\n\t"                                                     \
    "str    r5, [r0]\n\t"                                                 \
    "ldr    lr, [r0, #16]\n\t"                                            \
    "ldmia  lr!, {r5, r6, r7, r8, r10, r11}\n\t"                         \
    "rbit   r9, r8\n\t"                  /* n - 1 of the rounding words */ \
    "clz    r9, r9\n\t"                                                  \
    "rbit   r12, r11\n\t"                                                \
    "clz    r12, r12\n\t"                                                \
    TG__PAIR_REQUANT("r1", "r7", "r8", "r9")                              \
    TG__PAIR_REQUANT("r3", "r7", "r8", "r9")                              \
    TG__PAIR_REQUANT("r2", "r10", "r11", "r12")                           \
    TG__PAIR_REQUANT("r4", "r10", "r11", "r12")                           \
    "ldrd   r5, r6, [r0, #24]\n\t"                                        \
    "strb   r1, [r5], #1\n\t"                                             \
    "strb   r2, [r5], #1\n\t"                                             \
    "strb   r3, [r6], #1\n\t"                                             \
    "strb   r4, [r6], #1\n\t"                                             \
    "strd   r5, r6, [r0, #24]\n\t"                                        \
    "ldr    r5, [r0, #20]\n\t"                                            \
    "str    lr, [r0, #16]\n\t"                                            \
    "cmp    lr, r5\n\t"                                                   \
    "bne    1b\n\t"
#define TG__PAIRS_CLOBBERS \
    "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"
#else
/* The plain-C model: words = 2 (x1 int8 at xb), 3 (x1's word interleaved) or 4 (both widened). */
static inline void tg__pairs2x2_model(tg_fast_pair_state *st, int words)
{
    while (st->q != st->q_end) {
        const int32_t *q = st->q;
        const uint32_t *xa = st->xa, *w = st->wp;
        const int8_t *xb = st->xb;
        const uint32_t *const end = (const uint32_t *)((const int8_t *)w + st->wbytes);
        int32_t a00 = q[0], a01 = q[1], a10 = q[0], a11 = q[1];
        for (; w != end; w += 2) {
            uint32_t b0, b1, w0, w1;
            const uint32_t x0 = xa[0], x1 = xa[1];
            if (words == 4) {
                b0 = xa[2];
                b1 = xa[3];
                xa += 4;
            } else if (words == 3) {
                b0 = tg_sxtb16(xa[2]);
                b1 = tg_sxtb16_ror8(xa[2]);
                xa += 3;
            } else {
                const uint32_t xv = tg_read_s8x4_ia(&xb);
                b0 = tg_sxtb16(xv);
                b1 = tg_sxtb16_ror8(xv);
                xa += 2;
            }
            w0 = tg_sxtb16(w[0]);
            w1 = tg_sxtb16_ror8(w[0]);
            a00 = tg_smlad(x0, w0, a00);
            a00 = tg_smlad(x1, w1, a00);
            a10 = tg_smlad(b0, w0, a10);
            a10 = tg_smlad(b1, w1, a10);
            w0 = tg_sxtb16(w[1]);
            w1 = tg_sxtb16_ror8(w[1]);
            a01 = tg_smlad(x0, w0, a01);
            a01 = tg_smlad(x1, w1, a01);
            a11 = tg_smlad(b0, w0, a11);
            a11 = tg_smlad(b1, w1, a11);
        }
        st->wp = w;
        {
            const int32_t s0 = tg_fast_shift1(q[3]), s1 = tg_fast_shift1(q[5]);
            *st->y0++ = (int8_t)tg_ssat8(tg_fast_requant(a00, q[2], q[3], s0));
            *st->y0++ = (int8_t)tg_ssat8(tg_fast_requant(a01, q[4], q[5], s1));
            *st->y1++ = (int8_t)tg_ssat8(tg_fast_requant(a10, q[2], q[3], s0));
            *st->y1++ = (int8_t)tg_ssat8(tg_fast_requant(a11, q[4], q[5], s1));
        }
        st->q = q + TG_FAST_PAIR_WORDS;
    }
}
#endif

static inline void tg_fast_pairs2x2(tg_fast_pair_state *st)
{
#if TG_FAST_ASM
    register tg_fast_pair_state *r0 __asm__("r0") = st;
    __asm__ volatile(TG__PAIRS_ASM(TG__PAIR_GROUP) : "+r"(r0) : : TG__PAIRS_CLOBBERS);
#else
    tg__pairs2x2_model(st, 2);
#endif
}

static inline void tg_fast_pairs2x2m(tg_fast_pair_state *st)
{
#if TG_FAST_ASM
    register tg_fast_pair_state *r0 __asm__("r0") = st;
    __asm__ volatile(TG__PAIRS_ASM(TG__PAIR_GROUP_MID) : "+r"(r0) : : TG__PAIRS_CLOBBERS);
#else
    tg__pairs2x2_model(st, 3);
#endif
}

static inline void tg_fast_pairs2x2w(tg_fast_pair_state *st)
{
#if TG_FAST_ASM
    register tg_fast_pair_state *r0 __asm__("r0") = st;
    __asm__ volatile(TG__PAIRS_ASM(TG__PAIR_GROUP_WIDE) : "+r"(r0) : : TG__PAIRS_CLOBBERS);
#else
    tg__pairs2x2_model(st, 4);
#endif
}

/* One int8 input x two channels of the pair layout: a0 += x . w_c0, a1 += x . w_c1 over
 * `groups` (>= 0) groups of four; *xp and *wp advance past them. 13 instructions per group. */
#if TG_FAST_ASM
#define TG__MAC1X2_GROUP                         \
    "ldr    %[t1], [%[x]], #4\n\t"               \
    "sxtb16 %[t0], %[t1]\n\t"                    \
    "sxtb16 %[t1], %[t1], ror #8\n\t"            \
    "ldrd   %[t2], %[t3], [%[w]], #8\n\t"        \
    "sxtb16 %[t4], %[t2]\n\t"                    \
    "sxtb16 %[t2], %[t2], ror #8\n\t"            \
    "smlad  %[a0], %[t0], %[t4], %[a0]\n\t"      \
    "smlad  %[a0], %[t1], %[t2], %[a0]\n\t"      \
    "sxtb16 %[t4], %[t3]\n\t"                    \
    "sxtb16 %[t3], %[t3], ror #8\n\t"            \
    "smlad  %[a1], %[t0], %[t4], %[a1]\n\t"      \
    "smlad  %[a1], %[t1], %[t3], %[a1]\n\t"
/* The same for four channels: two pairs, at w and v. 21 instructions per group. */
#define TG__MAC1X4_GROUP                         \
    TG__MAC1X2_GROUP                             \
    "ldrd   %[t2], %[t3], [%[v]], #8\n\t"        \
    "sxtb16 %[t4], %[t2]\n\t"                    \
    "sxtb16 %[t2], %[t2], ror #8\n\t"            \
    "smlad  %[a2], %[t0], %[t4], %[a2]\n\t"      \
    "smlad  %[a2], %[t1], %[t2], %[a2]\n\t"      \
    "sxtb16 %[t4], %[t3]\n\t"                    \
    "sxtb16 %[t3], %[t3], ror #8\n\t"            \
    "smlad  %[a3], %[t0], %[t4], %[a3]\n\t"      \
    "smlad  %[a3], %[t1], %[t3], %[a3]\n\t"
/* The group count in [n] (>= 0), two groups per iteration; an odd count enters at the second. */
#define TG__UNROLLED2(GROUP)                     \
    "lsrs   %[n], %[n], #1\n\t"                  \
    "bcc    1f\n\t"                              \
    "adds   %[n], %[n], #1\n\t"                  \
    "b      2f\n\t"                              \
    "1:\n\t"                                     \
    "beq    3f\n\t"                              \
    "0:\n\t"                                     \
    GROUP                                        \
    "2:\n\t"                                     \
    GROUP                                        \
    "subs   %[n], %[n], #1\n\t"                  \
    "bne    0b\n\t"                              \
    "3:\n\t"
#endif

TG_INLINE void tg_fast_mac1x2(const int8_t **xp, const uint32_t **wp, int32_t groups, int32_t *p0, int32_t *p1)
{
    const int8_t *x = *xp;
    const uint32_t *w = *wp;
    int32_t a0 = *p0, a1 = *p1;
#if TG_FAST_ASM
    uint32_t t0, t1, t2, t3, t4;
    __asm__ volatile(TG__UNROLLED2(TG__MAC1X2_GROUP)
                     : [a0] "+r"(a0), [a1] "+r"(a1), [x] "+r"(x), [w] "+r"(w), [n] "+r"(groups),
                       [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4)
                     : : "cc", "memory");
#else
    for (; groups > 0; --groups, w += 2) {
        const uint32_t xv = tg_read_s8x4_ia(&x);
        const uint32_t b0 = tg_sxtb16(xv), b1 = tg_sxtb16_ror8(xv);
        a0 = tg_smlad(b0, tg_sxtb16(w[0]), a0);
        a0 = tg_smlad(b1, tg_sxtb16_ror8(w[0]), a0);
        a1 = tg_smlad(b0, tg_sxtb16(w[1]), a1);
        a1 = tg_smlad(b1, tg_sxtb16_ror8(w[1]), a1);
    }
#endif
    *xp = x;
    *wp = w;
    *p0 = a0;
    *p1 = a1;
}

/* One int8 input x four channels: the pairs at *wp and *vp (each advanced past `groups`
 * groups). */
TG_INLINE void tg_fast_mac1x4(const int8_t **xp, const uint32_t **wp, const uint32_t **vp, int32_t groups,
                              int32_t *p0, int32_t *p1, int32_t *p2, int32_t *p3)
{
    const int8_t *x = *xp;
    const uint32_t *w = *wp, *v = *vp;
    int32_t a0 = *p0, a1 = *p1, a2 = *p2, a3 = *p3;
#if TG_FAST_ASM
    uint32_t t0, t1, t2, t3, t4;
    __asm__ volatile(TG__UNROLLED2(TG__MAC1X4_GROUP)
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                       [v] "+r"(v), [n] "+r"(groups), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2),
                       [t3] "=&r"(t3), [t4] "=&r"(t4)
                     : : "cc", "memory");
#else
    for (; groups > 0; --groups, w += 2, v += 2) {
        const uint32_t xv = tg_read_s8x4_ia(&x);
        const uint32_t b0 = tg_sxtb16(xv), b1 = tg_sxtb16_ror8(xv);
        a0 = tg_smlad(b0, tg_sxtb16(w[0]), a0);
        a0 = tg_smlad(b1, tg_sxtb16_ror8(w[0]), a0);
        a1 = tg_smlad(b0, tg_sxtb16(w[1]), a1);
        a1 = tg_smlad(b1, tg_sxtb16_ror8(w[1]), a1);
        a2 = tg_smlad(b0, tg_sxtb16(v[0]), a2);
        a2 = tg_smlad(b1, tg_sxtb16_ror8(v[0]), a2);
        a3 = tg_smlad(b0, tg_sxtb16(v[1]), a3);
        a3 = tg_smlad(b1, tg_sxtb16_ror8(v[1]), a3);
    }
#endif
    *xp = x;
    *wp = w;
    *vp = v;
    *p0 = a0;
    *p1 = a1;
    *p2 = a2;
    *p3 = a3;
}

/* Requantizes four accumulators (channel words (mult, round) at q0..q3), clamps them to [lo, hi]
 * and stores the first n (1..4) at y. All values are computed before the first int8 store (which
 * may alias the channel words and would force reloads). */
TG_INLINE void tg_fast_store4(int8_t *y, int32_t n, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                              const int32_t *q0, const int32_t *q1, const int32_t *q2, const int32_t *q3,
                              int32_t lo, int32_t hi)
{
    int32_t v0 = tg_ssat8(tg_fast_requant(a0, q0[0], q0[1], tg_fast_shift1(q0[1])));
    int32_t v1 = tg_ssat8(tg_fast_requant(a1, q1[0], q1[1], tg_fast_shift1(q1[1])));
    int32_t v2 = 0, v3 = 0;
    if (n > 2) {
        v2 = tg_ssat8(tg_fast_requant(a2, q2[0], q2[1], tg_fast_shift1(q2[1])));
        v3 = tg_ssat8(tg_fast_requant(a3, q3[0], q3[1], tg_fast_shift1(q3[1])));
    }
    if (lo != -128 || hi != 127) {
        v0 = tg_fast_clamp(v0, lo, hi);
        v1 = tg_fast_clamp(v1, lo, hi);
        v2 = tg_fast_clamp(v2, lo, hi);
        v3 = tg_fast_clamp(v3, lo, hi);
    }
    y[0] = (int8_t)v0;
    if (n > 1) {
        y[1] = (int8_t)v1;
        if (n > 2) {
            y[2] = (int8_t)v2;
            if (n > 3) {
                y[3] = (int8_t)v3;
            }
        }
    }
}

/* Scalar (Cortex-M0+): a0 += x . w0, a1 += x . w1 over n >= 0 int8 values, one index register
 * counting up to zero for the three arrays (Armv6-M loads only take a register offset): 9
 * instructions per value on Armv6-M (hand-written: GCC adds a compare). */
TG_INLINE void tg_fast_dot1x2_scalar(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                                     int32_t *p0, int32_t *p1)
{
    int32_t s0 = *p0, s1 = *p1;
    if (n > 0) {
        int32_t i = -n;
        x += n;
        w0 += n;
        w1 += n;
#if defined(__ARM_ARCH_6M__) && !defined(TG_SIMD_MODEL) && defined(__OPTIMIZE__)
        {
            int32_t v, a;
            __asm__ volatile(
                ".syntax unified\n\t"  /* GCC hands Thumb-1 inline assembly over in divided syntax */
                "1:\n\t"
                "ldrsb  %[v], [%[x], %[i]]\n\t"
                "ldrsb  %[a], [%[w0], %[i]]\n\t"
                "muls   %[a], %[v], %[a]\n\t"
                "adds   %[s0], %[s0], %[a]\n\t"
                "ldrsb  %[a], [%[w1], %[i]]\n\t"
                "muls   %[a], %[v], %[a]\n\t"
                "adds   %[s1], %[s1], %[a]\n\t"
                "adds   %[i], %[i], #1\n\t"
                "bne    1b\n\t"
                ".syntax divided\n\t"
                : [s0] "+l"(s0), [s1] "+l"(s1), [i] "+l"(i), [v] "=&l"(v), [a] "=&l"(a)
                : [x] "l"(x), [w0] "l"(w0), [w1] "l"(w1)
                : "cc", "memory");
        }
#else
        do {
            const int32_t v = x[i];
            s0 += v * w0[i];
            s1 += v * w1[i];
        } while (++i != 0);
#endif
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

/* -- convolution windows ------------------------------------------------------------------------
 * The window of the output pixel whose top-left tap lies at input row y0, column x0 (any integers:
 * padding) is KH rows of KW taps of C values each, in window order (ky, kx, c). The kernels walk a
 * row as parts, without storing them (no table on the stack): runs of taps inside the input
 * (consecutive taps of the row when the horizontal dilation is 1, else one tap at a time) and runs
 * of padded taps. */

/* Helpers kept out of line, with their arguments as written (GCC's IPA-SRA would otherwise split
 * a struct argument into more arguments, some on the stack). */
#if defined(__GNUC__) && !defined(__clang__)
#define TG_NOINLINE __attribute__((noinline, noipa))
#elif defined(__clang__)
#define TG_NOINLINE __attribute__((noinline))
#else
#define TG_NOINLINE
#endif

/* The taps [*lo, *hi) of every row of a window starting at column x0 fall inside [0, in_w). */
TG_INLINE void tg_fast_window_cols(int32_t x0, int32_t k_w, int32_t dw, int32_t in_w, int32_t *lo, int32_t *hi)
{
    int32_t l = 0, h = k_w;
    if (dw == 1) {
        l = x0 < 0 ? (-x0 < k_w ? -x0 : k_w) : 0;
        h = in_w - x0 < k_w ? in_w - x0 : k_w;
    } else {
        while (l < k_w && x0 + l * dw < 0) {
            ++l;
        }
        while (h > l && x0 + (h - 1) * dw >= in_w) {
            --h;
        }
    }
    *lo = l;
    *hi = h < l ? l : h;
}

/* The part of a window row starting at tap kx: returns its tap count and sets *src to its first
 * value in the input, or to NULL for padded taps. row_off: (y * in_w + x0) * C for a row inside the
 * input (inside != 0). */
TG_INLINE int32_t tg_fast_part(const int8_t *in_b, int32_t row_off, int inside, int32_t kx, int32_t lo, int32_t hi,
                               int32_t k_w, int32_t dw, int32_t c, const int8_t **src)
{
    if (inside && kx >= lo && kx < hi) {
        *src = in_b + (row_off + kx * dw * c);
        return dw == 1 ? hi - kx : 1;
    }
    *src = NULL;
    return inside && kx < lo ? lo - kx : k_w - kx;
}

#endif /* TG_FAST_H */
