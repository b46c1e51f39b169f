/*
 * tg_lowbit_dsp.h - building blocks of the DSP kernels for int4 weights and 16x8 layers (not part
 * of the public API; see tg_nn_precision.h for the layouts and tinygen/fast/lowbit.py for the
 * compile-time conditions that make them exact).
 *
 * int4 unpacking: a word w of eight nibbles, byte k = v_k | v_(k+4) << 4, becomes four words of
 * int16 pairs, each value times 16:
 *     e = (w << 4) & 0xF0F0F0F0   bytes v0..v3 in their high nibbles
 *     o =  w       & 0xF0F0F0F0   bytes v4..v7
 *     SXTB16(e) = 16 (v0, v2), SXTB16(e ROR 8) = 16 (v1, v3), SXTB16(o) = 16 (v4, v6), ...
 * which meet an int8 input group x0..x7 widened as (x0, x2), (x1, x3), (x4, x6), (x5, x7) in SMLAD.
 */
#ifndef TG_LOWBIT_DSP_H
#define TG_LOWBIT_DSP_H

#include <stdint.h>
#include "tg_nn.h"
#include "tg_simd.h"

#define TG_LB_NIBBLE_MASK 0xF0F0F0F0u

#if defined(__GNUC__) || defined(__clang__)
#define TG_LB_NOINLINE __attribute__((noinline))
#else
#define TG_LB_NOINLINE
#endif

#if TG_SIMD_NATIVE
/* SMMLA: acc + ((x * y) >> 32) (the truncated high word of the 64-bit product). */
TG_INLINE int32_t tg_lb_smmla(int32_t x, int32_t y, int32_t acc)
{
    int32_t r;
    __asm__("smmla %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
    return r;
}

/* SSAT #16. */
TG_INLINE int32_t tg_lb_ssat16(int32_t x)
{
    return __ssat(x, 16);
}
#else
TG_INLINE int32_t tg_lb_smmla(int32_t x, int32_t y, int32_t acc)
{
    /* floor((x * y) / 2^32): the arithmetic shift of the exact 64-bit product */
    const int64_t p = (int64_t)x * (int64_t)y;
    const int64_t hi = p >= 0 ? p / 4294967296LL : -((-(p + 1)) / 4294967296LL) - 1;
    return (int32_t)((uint32_t)acc + (uint32_t)hi);
}

TG_INLINE int32_t tg_lb_ssat16(int32_t x)
{
    return x < -32768 ? -32768 : (x > 32767 ? 32767 : x);
}
#endif

/* A group of eight int8 values (two words, any alignment) widened to the four SMLAD words, stored
 * `lane` words apart. */
TG_INLINE void tg_lb_widen8(const int8_t *src, uint32_t *dst, int32_t lane)
{
    const uint32_t a = tg_read_s8x4(src), b = tg_read_s8x4(src + 4);
    dst[0] = tg_sxtb16(a);
    dst[lane] = tg_sxtb16_ror8(a);
    dst[2 * lane] = tg_sxtb16(b);
    dst[3 * lane] = tg_sxtb16_ror8(b);
}

/* int8 output from acc16 = 16 acc: SMMLAR(2 acc 2^L, mult, round - [acc < 0 and n >= 1]) >> n, with
 * spec = n | a << 5 (a = 3 - L: acc16 >> a = 2 acc 2^L; L > 0 only where TFLite's shift is a left
 * shift, then n = 0) and round = 2^(n-1) + zp 2^n (n >= 1) or zp (n = 0), precomputed. */
TG_INLINE int32_t tg_lb_requant_s8(int32_t acc16, int32_t mult, int32_t round, uint32_t spec)
{
    const int32_t n = (int32_t)(spec & 31u), a = (int32_t)(spec >> 5);
    const int32_t sign = n != 0 ? (acc16 >> 31) : 0;
    return tg_smmlar(acc16 >> a, mult, round + sign) >> n;
}

/* int16 output: the int64 path (SMMLA) or the int32 double rounding (SMMLAR). */
TG_INLINE int32_t tg_lb_requant_s16(int32_t acc, int32_t mult, int32_t round, int32_t n, int32_t acc64)
{
    return acc64 ? tg_lb_smmla(acc, mult, round) >> n
                 : tg_smmlar((int32_t)((uint32_t)acc << 1), mult, round + (acc >> 31)) >> n;
}

/* Four int32 values (each saturated to int8 first) packed as the bytes of one word, v0 lowest. */
TG_INLINE uint32_t tg_lb_pack4(int32_t v0, int32_t v1, int32_t v2, int32_t v3)
{
#if TG_SIMD_NATIVE
    uint32_t r = (uint32_t)__ssat(v0, 8) & 0xFFu;
    __asm__("bfi %0, %1, #8, #8\n\t"
            "bfi %0, %2, #16, #8\n\t"
            "bfi %0, %3, #24, #8"
            : "+&r"(r) : "r"(__ssat(v1, 8)), "r"(__ssat(v2, 8)), "r"(__ssat(v3, 8)));
    return r;
#else
    const int32_t v[4] = {v0, v1, v2, v3};
    uint32_t r = 0;
    int k;
    for (k = 0; k < 4; ++k) {
        const int32_t s = v[k] < -128 ? -128 : (v[k] > 127 ? 127 : v[k]);
        r |= ((uint32_t)s & 0xFFu) << (8 * k);
    }
    return r;
#endif
}

/* Each signed byte of v clamped to the bytes of lo4 and hi4 (SSUB8 + SEL, twice). */
TG_INLINE uint32_t tg_lb_clamp4(uint32_t v, uint32_t lo4, uint32_t hi4)
{
#if TG_SIMD_NATIVE
    uint32_t t;
    __asm__("ssub8 %1, %0, %2\n\t"
            "sel   %0, %0, %2\n\t"
            "ssub8 %1, %3, %0\n\t"
            "sel   %0, %0, %3"
            : "+&r"(v), "=&r"(t) : "r"(lo4), "r"(hi4) : "cc");
    return v;
#else
    uint32_t r = 0;
    int k;
    for (k = 0; k < 4; ++k) {
        int32_t b = tg__byte(v, k);
        const int32_t lo = tg__byte(lo4, k), hi = tg__byte(hi4, k);
        b = b < lo ? lo : (b > hi ? hi : b);
        r |= ((uint32_t)b & 0xFFu) << (8 * k);
    }
    return r;
#endif
}

TG_INLINE int32_t tg_lb_clamp(int32_t v, int32_t lo, int32_t hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

#endif /* TG_LOWBIT_DSP_H */
