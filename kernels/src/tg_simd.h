/*
 * tg_simd.h - SIMD32 (Arm DSP extension) helpers for the fast kernels (not part of the public API).
 *
 * On cores with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33, M55) each helper is one
 * instruction (ACLE intrinsics from arm_acle.h, inline assembly where GCC has no intrinsic or does
 * not fold a rotation). Everywhere else (the host build, Cortex-M0+/M3, or any build defining
 * TG_SIMD_MODEL) each helper is a plain-C model of that instruction, bit for bit (wrap-around and
 * saturation included), so the same kernel source runs, bit-exact, on the host and the target.
 *
 * Packed values: a uint32_t holds two int16 halves (bits 0-15 "bottom", 16-31 "top") or four int8
 * bytes (byte 0 lowest).
 *
 * Only static inline functions: include this header from a kernel's .c file.
 */
#ifndef TG_SIMD_H
#define TG_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(TG_SIMD_MODEL)
#define TG_SIMD_NATIVE 1
#include <arm_acle.h>
#else
#define TG_SIMD_NATIVE 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TG_INLINE static inline __attribute__((always_inline))
#else
#define TG_INLINE static inline
#endif

/* -- loads and stores (unaligned allowed; memcpy becomes one LDR/STR on Armv7-M and later) ---- */

/* Four int8 values from p (any alignment). */
TG_INLINE uint32_t tg_read_s8x4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Four int8 values from *p, then *p += 4. */
TG_INLINE uint32_t tg_read_s8x4_ia(const int8_t **p)
{
    uint32_t v;
    memcpy(&v, *p, 4);
    *p += 4;
    return v;
}

/* Two int16 values from p (any alignment). */
TG_INLINE uint32_t tg_read_s16x2(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two int16 values from *p, then *p += 2. */
TG_INLINE uint32_t tg_read_s16x2_ia(const int16_t **p)
{
    uint32_t v;
    memcpy(&v, *p, 4);
    *p += 2;
    return v;
}

TG_INLINE void tg_write_s8x4(int8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

TG_INLINE void tg_write_s8x4_ia(int8_t **p, uint32_t v)
{
    memcpy(*p, &v, 4);
    *p += 4;
}

TG_INLINE void tg_write_s16x2_ia(int16_t **p, uint32_t v)
{
    memcpy(*p, &v, 4);
    *p += 2;
}

/* -- plain-C building blocks of the models -------------------------------------------------- */

TG_INLINE int32_t tg__lo16(uint32_t x)
{
    return (int32_t)(int16_t)(uint16_t)(x & 0xFFFFu);
}

TG_INLINE int32_t tg__hi16(uint32_t x)
{
    return (int32_t)(int16_t)(uint16_t)(x >> 16);
}

TG_INLINE uint32_t tg__pack16(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}

TG_INLINE int32_t tg__byte(uint32_t x, int k)
{
    return (int32_t)(int8_t)(uint8_t)(x >> (8 * k));
}

#if TG_SIMD_NATIVE

/* SXTB16: bytes 0 and 2, sign-extended to the two halves. */
TG_INLINE uint32_t tg_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int32_t)x);
}

/* SXTB16 with ROR #8: bytes 1 and 3, sign-extended to the two halves. */
TG_INLINE uint32_t tg_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* SXTAB16: a + SXTB16(x), per half (wrap-around). */
TG_INLINE uint32_t tg_sxtab16(uint32_t a, uint32_t x)
{
    return (uint32_t)__sxtab16((int32_t)a, (int32_t)x);
}

/* SXTAB16 with ROR #8: a + SXTB16(x ROR 8), per half (wrap-around). */
TG_INLINE uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
    return r;
}

/* SMLAD: acc + bottom(x) * bottom(y) + top(x) * top(y) (32-bit wrap-around; Q flag ignored). */
TG_INLINE int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlad((int32_t)x, (int32_t)y, acc);
}

/* SMLADX: acc + bottom(x) * top(y) + top(x) * bottom(y). */
TG_INLINE int32_t tg_smladx(uint32_t x, uint32_t y, int32_t acc)
{
    return __smladx((int32_t)x, (int32_t)y, acc);
}

/* SMUAD: bottom(x) * bottom(y) + top(x) * top(y) (wrap-around). */
TG_INLINE int32_t tg_smuad(uint32_t x, uint32_t y)
{
    return __smuad((int32_t)x, (int32_t)y);
}

/* SMLABB / SMLATT: acc + one 16x16 product of the named halves. */
TG_INLINE int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlabb((int32_t)x, (int32_t)y, acc);
}

TG_INLINE int32_t tg_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlatt((int32_t)x, (int32_t)y, acc);
}

/* PKHBT: bottom half of a, top half of (b << sh); sh in 0..31 (GCC emits PKHBT for this). */
TG_INLINE uint32_t tg_pkhbt(uint32_t a, uint32_t b, int sh)
{
    return (a & 0xFFFFu) | ((b << sh) & 0xFFFF0000u);
}

/* PKHTB: top half of a, bottom half of (b >> sh) (arithmetic shift); sh in 0..31. */
TG_INLINE uint32_t tg_pkhtb(uint32_t a, uint32_t b, int sh)
{
    return (a & 0xFFFF0000u) | ((uint32_t)((int32_t)b >> sh) & 0xFFFFu);
}

/* SADD16 / SSUB16: per-half wrap-around add / subtract. */
TG_INLINE uint32_t tg_sadd16(uint32_t a, uint32_t b)
{
    return (uint32_t)__sadd16((int32_t)a, (int32_t)b);
}

TG_INLINE uint32_t tg_ssub16(uint32_t a, uint32_t b)
{
    return (uint32_t)__ssub16((int32_t)a, (int32_t)b);
}

/* QADD / QSUB: 32-bit saturating add / subtract. */
TG_INLINE int32_t tg_qadd(int32_t a, int32_t b)
{
    return __qadd(a, b);
}

TG_INLINE int32_t tg_qsub(int32_t a, int32_t b)
{
    return __qsub(a, b);
}

/* SMMLAR: acc + ((x * y + 2^31) >> 32): the rounded most significant word of the 64-bit product,
 * plus an accumulator (32-bit wrap-around). */
TG_INLINE int32_t tg_smmlar(int32_t x, int32_t y, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(x), "r"(y), "r"(acc));
    return r;
}

/* SSAT #8: x saturated to the int8 range [-128, 127]. */
TG_INLINE int32_t tg_ssat8(int32_t x)
{
    return __ssat(x, 8);
}

#else /* plain-C models */

TG_INLINE int32_t tg_smmlar(int32_t x, int32_t y, int32_t acc)
{
    /* |x * y| <= 2^62, so the rounded product cannot overflow int64 (arithmetic shift) */
    const int64_t hi = ((int64_t)x * (int64_t)y + (int64_t)0x80000000) >> 32;
    return (int32_t)((uint32_t)acc + (uint32_t)hi);
}

TG_INLINE int32_t tg_ssat8(int32_t x)
{
    return x < -128 ? -128 : (x > 127 ? 127 : x);
}

TG_INLINE uint32_t tg_sxtb16(uint32_t x)
{
    return tg__pack16(tg__byte(x, 0), tg__byte(x, 2));
}

TG_INLINE uint32_t tg_sxtb16_ror8(uint32_t x)
{
    return tg__pack16(tg__byte(x, 1), tg__byte(x, 3));
}

TG_INLINE uint32_t tg_sxtab16(uint32_t a, uint32_t x)
{
    return tg__pack16(tg__lo16(a) + tg__byte(x, 0), tg__hi16(a) + tg__byte(x, 2));
}

TG_INLINE uint32_t tg_sxtab16_ror8(uint32_t a, uint32_t x)
{
    return tg__pack16(tg__lo16(a) + tg__byte(x, 1), tg__hi16(a) + tg__byte(x, 3));
}

TG_INLINE int32_t tg_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__lo16(x) * tg__lo16(y)) + (uint32_t)(tg__hi16(x) * tg__hi16(y)));
}

TG_INLINE int32_t tg_smladx(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__lo16(x) * tg__hi16(y)) + (uint32_t)(tg__hi16(x) * tg__lo16(y)));
}

TG_INLINE int32_t tg_smuad(uint32_t x, uint32_t y)
{
    return (int32_t)((uint32_t)(tg__lo16(x) * tg__lo16(y)) + (uint32_t)(tg__hi16(x) * tg__hi16(y)));
}

TG_INLINE int32_t tg_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__lo16(x) * tg__lo16(y)));
}

TG_INLINE int32_t tg_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__hi16(x) * tg__hi16(y)));
}

TG_INLINE uint32_t tg_pkhbt(uint32_t a, uint32_t b, int sh)
{
    return (a & 0xFFFFu) | ((b << sh) & 0xFFFF0000u);
}

TG_INLINE uint32_t tg_pkhtb(uint32_t a, uint32_t b, int sh)
{
    /* arithmetic shift of a negative value, written without implementation-defined behaviour */
    const uint32_t shifted = sh == 0 ? b : ((b >> sh) | ((b & 0x80000000u) ? ~(0xFFFFFFFFu >> sh) : 0u));
    return (a & 0xFFFF0000u) | (shifted & 0xFFFFu);
}

TG_INLINE uint32_t tg_sadd16(uint32_t a, uint32_t b)
{
    return tg__pack16(tg__lo16(a) + tg__lo16(b), tg__hi16(a) + tg__hi16(b));
}

TG_INLINE uint32_t tg_ssub16(uint32_t a, uint32_t b)
{
    return tg__pack16(tg__lo16(a) - tg__lo16(b), tg__hi16(a) - tg__hi16(b));
}

TG_INLINE int32_t tg_qadd(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

TG_INLINE int32_t tg_qsub(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a - (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

#endif /* TG_SIMD_NATIVE */


/* -- more helpers: SMMULR, SMLATB, SMLABT ------------------------------------------------ */
/* For the fast depthwise, elementwise and pooling kernels (kernels/src/conv/tg_dw_fast.h,
 * kernels/src/basic/tg_add_fast_s8.c, kernels/src/pooling/). Same rules as above: one instruction
 * with the DSP extension, a bit-exact plain-C model otherwise. */

#if TG_SIMD_NATIVE

/* SMMULR: (x * y + 2^31) >> 32 (the rounded high word of the 64-bit signed product). */
TG_INLINE int32_t tg_smmulr(int32_t x, int32_t y)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
    return r;
}

/* SMLATB / SMLABT: acc + top(x) * bottom(y) / acc + bottom(x) * top(y) (wrap-around). */
TG_INLINE int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlatb((int32_t)x, (int32_t)y, acc);
}

TG_INLINE int32_t tg_smlabt(uint32_t x, uint32_t y, int32_t acc)
{
    return __smlabt((int32_t)x, (int32_t)y, acc);
}

#else /* plain-C models */

TG_INLINE int32_t tg_smmulr(int32_t x, int32_t y)
{
    return tg_smmlar(x, y, 0);
}

TG_INLINE int32_t tg_smlatb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__hi16(x) * tg__lo16(y)));
}

TG_INLINE int32_t tg_smlabt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tg__lo16(x) * tg__hi16(y)));
}

#endif /* TG_SIMD_NATIVE (depthwise/elementwise helpers) */

#endif /* TG_SIMD_H */
