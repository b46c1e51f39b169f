/*
 * tg_dw_fast.h - the fast int8 depthwise convolution (depth multiplier 1), shared by
 * tg_depthwise_conv_fast_s8, tg_depthwise_conv_fast_scalar_s8, tg_depthwise_conv_inplace_fast_s8
 * and tg_depthwise_conv_inplace_fast_scalar_s8 (not part of the public API).
 *
 * Everything that does not depend on the input is computed by the compiler
 * (tinygen/fast/depthwise.py) and handed over as one int32 array, `packed`:
 *
 *   packed[0 .. G-1]   pad words: 4 * G bytes holding the input zero point; padded taps read these
 *                      (G = ceil(C / 4) groups of 4 channels)
 *   then, for each group g of channels 4g .. 4g+3 (missing channels of the last group are zero),
 *   TG_DWF_GROUP_WORDS(T) words (T = KH * KW taps):
 *     B[4]   folded bias: bias + input_offset * (sum of the channel's weights), so that the inner
 *            loops multiply raw int8 values and a padded tap (value = zero point) adds nothing
 *     W[T]   one word per tap, taps in row-major order (ky, kx); byte j = weight of channel 4g + j
 *     MR[8]  per channel j: M_j, the Q31 multiplier in [2^30, 2^31), then R_j = 2^(n-1) +
 *            output_offset * 2^n (rounding term and output offset)
 *     N      the right shifts n (1..31): byte j for channel 4g + j
 *
 * Requantization (exact; the compiler checks the preconditions |acc| < 2^30 and the int32 range of
 * R + acc * M / 2^31): TFLite Micro computes, with v = SaturatingRoundingDoublingHighMul(acc, M),
 *   out = RoundingDivideByPOT(v, n) + output_offset = floor((v + 2^(n-1) - [v < 0]) / 2^n) + off
 * and v = floor((2 acc M + 2^31) / 2^32) is SMMLAR(2 acc, M, 0). Adding the bracket inside the
 * SMMLAR accumulator gives out = SMMLAR(2 acc, M, R - [acc < 0]) >> n (for n >= 1, [v < 0] may be
 * replaced by [acc < 0]: they differ only when v = 0, where both give 0).
 */
#ifndef TG_DW_FAST_H
#define TG_DW_FAST_H

#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"

/* GCC's first scheduling pass (before register allocation, on by default at -O2 for Arm) hoists
 * the loads of the 9 unrolled taps and runs out of registers in the inner loop (stack spills); the
 * public functions of the fast depthwise kernels turn it off for themselves. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
#define TG_DWF_FUNC __attribute__((optimize("no-schedule-insns")))
#else
#define TG_DWF_FUNC
#endif

/* The core of the kernels without _scalar_ in their name: the scalar one on Arm cores without the
 * DSP extension (Armv6-M, Armv7-M: byte loads, 32-bit multiplies), the SIMD one elsewhere (with
 * the plain-C models of tg_simd.h on the host). */
#if defined(__arm__) && !TG_SIMD_NATIVE
#define TG_DWF_AUTO_SCALAR 1
#else
#define TG_DWF_AUTO_SCALAR 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TG_DWF_NOINLINE static __attribute__((noinline))
#else
#define TG_DWF_NOINLINE static
#endif

/* words per group of 4 channels in the packed array, for T taps */
#define TG_DWF_GROUP_WORDS(T) (13 + (T))
/* taps of a 3x3 filter (the unrolled group loop) */
#define TG_DWF_TAPS_3X3 9
/* the largest filter the fast kernels take (KH * KW taps): the size of a tap offset table */
#define TG_DWF_MAX_TABLE 16

/* One requantized output: acc -> int8 range (before the activation clamp); mr: (M, R). */
TG_INLINE int32_t tg_dwf_requant(int32_t acc, const int32_t *mr, uint32_t n)
{
    const int32_t m = mr[0], r = mr[1]; /* in this order: one LDRD */
    const int32_t v = tg_smmlar((int32_t)((uint32_t)acc << 1), m, r + (acc >> 31));
    return tg_ssat8(v >> n);
}

/* Clamp of one output to the activation range (only called when it is narrower than int8). */
TG_INLINE int32_t tg_dwf_clamp(int32_t v, const tg_range *act)
{
    return v < act->min ? act->min : (v > act->max ? act->max : v);
}

/* Requantizes the 4 accumulators of a full group (q points at the group's M[0]) and writes them
 * to out[0..3], clamped to the activation range when clamp is set. */
TG_INLINE void tg_dwf_store4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q, int clamp,
                             const tg_range *act, int8_t *out)
{
    /* (M_j, R_j) pairs: one LDRD each */
    const uint32_t nn = (uint32_t)q[8];
    int32_t v0 = tg_dwf_requant(a0, q, nn & 31u);
    int32_t v1 = tg_dwf_requant(a1, q + 2, (nn >> 8) & 31u);
    int32_t v2 = tg_dwf_requant(a2, q + 4, (nn >> 16) & 31u);
    int32_t v3 = tg_dwf_requant(a3, q + 6, nn >> 24);
    if (clamp) {
        v0 = tg_dwf_clamp(v0, act);
        v1 = tg_dwf_clamp(v1, act);
        v2 = tg_dwf_clamp(v2, act);
        v3 = tg_dwf_clamp(v3, act);
    }
    out[0] = (int8_t)v0;
    out[1] = (int8_t)v1;
    out[2] = (int8_t)v2;
    out[3] = (int8_t)v3;
}

/* The same for the first `count` (1..3) channels of a partial group. */
TG_INLINE void tg_dwf_store_partial(const int32_t acc[4], const int32_t *q, int32_t count, const tg_range *act,
                                    int8_t *out)
{
    int32_t j;
    for (j = 0; j < count; ++j) {
        const int32_t v = tg_dwf_requant(acc[j], q + 2 * j, ((uint32_t)q[8] >> (8 * j)) & 31u);
        out[j] = (int8_t)tg_dwf_clamp(v, act);
    }
}

/* -- the multiply-accumulate cores ------------------------------------------------------------ */

/* The 4 accumulators of a group of channels. */
typedef struct {
    int32_t a0, a1, a2, a3;
} tg_dwf_acc;

/* DSP core: a_j += byte j of x * byte j of w, j = 0..3 (SXTB16 splits the even and the odd bytes
 * into halfword pairs; SMLABB/SMLATT multiply-accumulate one pair each). */
TG_INLINE void tg_dwf_mac4_dsp(uint32_t x, uint32_t w, tg_dwf_acc *a)
{
    const uint32_t xe = tg_sxtb16(x), we = tg_sxtb16(w);
    uint32_t xo, wo;
    a->a0 = tg_smlabb(xe, we, a->a0);
    a->a2 = tg_smlatt(xe, we, a->a2);
    xo = tg_sxtb16_ror8(x);
    wo = tg_sxtb16_ror8(w);
    a->a1 = tg_smlabb(xo, wo, a->a1);
    a->a3 = tg_smlatt(xo, wo, a->a3);
}

/* Scalar core (no DSP, no unaligned word loads): the same sums from single bytes. */
TG_INLINE void tg_dwf_mac4_scalar(const int8_t *x, uint32_t w, tg_dwf_acc *a)
{
    a->a0 += (int32_t)x[0] * (int32_t)(int8_t)(uint8_t)w;
    a->a1 += (int32_t)x[1] * (int32_t)(int8_t)(uint8_t)(w >> 8);
    a->a2 += (int32_t)x[2] * (int32_t)(int8_t)(uint8_t)(w >> 16);
    a->a3 += (int32_t)x[3] * ((int32_t)w >> 24);
}

/* One tap of a full group: the DSP core reads the 4 input bytes as one (possibly unaligned) word. */
TG_INLINE void tg_dwf_tap(const int8_t *x, int32_t w, tg_dwf_acc *a, int scalar)
{
    if (scalar) {
        tg_dwf_mac4_scalar(x, (uint32_t)w, a);
    } else {
        tg_dwf_mac4_dsp(tg_read_s8x4(x), (uint32_t)w, a);
    }
}

TG_INLINE void tg_dwf_bias(tg_dwf_acc *a, const int32_t *q)
{
    a->a0 = q[0];
    a->a1 = q[1];
    a->a2 = q[2];
    a->a3 = q[3];
}

/* The argument checks shared by the kernels. */
TG_INLINE tg_status tg_dwf_check(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d)
{
    if (in_d->n != out_d->n || out_d->c != in_d->c || in_d->c <= 0 || p->filter.h <= 0 || p->filter.w <= 0 ||
        p->filter.h * p->filter.w > TG_DWF_MAX_TABLE || p->stride.h <= 0 || p->stride.w <= 0 ||
        p->dilation.h <= 0 || p->dilation.w <= 0 || p->activation.min > p->activation.max ||
        p->activation.min < -128 || p->activation.max > 127) {
        return TG_ERR_ARG;
    }
    return TG_OK;
}

/*
 * Tap addressing: tap t of group g of a pixel reads the 4 bytes at base + off[t] + 4 g, where off is
 * a table of byte offsets. For a window inside the input, base is its top-left tap and the table is
 * the same for every such pixel (computed once per call); at the borders base is the image and the
 * table holds each tap's own offset, or the offset of the pad words for a tap outside the input.
 * Offsets to the pad words are differences of addresses (intptr_t).
 */

TG_INLINE const int8_t *tg_dwf_at(intptr_t base, int32_t off)
{
    return (const int8_t *)(base + off);
}

/* A run of output pixels for the group loops (one struct instead of a dozen arguments: less stack). */
typedef struct {
    intptr_t base;           /* the first pixel's window: its taps at base + off[t] */
    const int32_t *off;      /* tap offsets */
    const int32_t *q;        /* constants of the first group */
    int32_t count;           /* full groups per pixel (>= 1) */
    int8_t *out;             /* the first pixel's first group */
    int32_t pixels;          /* pixels in the run (>= 1) */
    int32_t pix_step;        /* input bytes from one window to the next */
    int32_t out_step;        /* output bytes from one pixel to the next */
    int32_t taps;            /* filter taps */
    int32_t clamp;           /* clamp to *act (a range narrower than int8) */
    const tg_range *act;
} tg_dwf_run_args;

/*
 * The row loops (tg_dwf_rows_simd / tg_dwf_rows_scalar) are shared by the normal and the in-place
 * kernels: they are compiled once, in tg_dw_fast_rows.c (which defines TG_DWF_ROWS_IMPL), so a model
 * that uses both kernels holds one copy.
 */
void tg_dwf_rows_simd(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d, const int8_t *in_b,
                      const int32_t *packed, int32_t oy0, int32_t oy1, int32_t grp0, int32_t grp1, int8_t *out,
                      int32_t row_step, int32_t pix_step);
void tg_dwf_rows_scalar(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d, const int8_t *in_b,
                        const int32_t *packed, int32_t oy0, int32_t oy1, int32_t grp0, int32_t grp1, int8_t *out,
                        int32_t row_step, int32_t pix_step);

/*
 * Output rows [oy0, oy1) of one image (in_b), groups [grp0, grp1) of every pixel (grp1 == groups
 * includes the partial group), group grp of pixel ox of row oy written to
 * out + (oy - oy0) * row_step + ox * pix_step + 4 * (grp - grp0); scalar selects the core (a
 * constant at each call).
 */
TG_INLINE void tg_dwf_rows(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                           const int8_t *in_b, const int32_t *packed, int32_t oy0, int32_t oy1, int32_t grp0,
                           int32_t grp1, int8_t *out, int32_t row_step, int32_t pix_step, int scalar)
{
    if (scalar) {
        tg_dwf_rows_scalar(p, in_d, out_d, in_b, packed, oy0, oy1, grp0, grp1, out, row_step, pix_step);
    } else {
        tg_dwf_rows_simd(p, in_d, out_d, in_b, packed, oy0, oy1, grp0, grp1, out, row_step, pix_step);
    }
}

#ifdef TG_DWF_ROWS_IMPL

/* A run of pixels (see tg_dwf_run_args), 3x3 filters: `count` groups per pixel written to out[0..3],
 * out[4..7], ... (the body of tg_dwf_groups9_simd / _scalar: functions of their own, the hot loop
 * gets all the registers). */
TG_INLINE void tg_dwf_groups9(const tg_dwf_run_args *ra, int scalar)
{
    const int32_t *off = ra->off, *q0 = ra->q;
    const int32_t count = ra->count, pix_step = ra->pix_step, out_step = ra->out_step, clamp = ra->clamp;
    const tg_range *act = ra->act;
    intptr_t base = ra->base;
    int8_t *out = ra->out;
    int32_t pixels = ra->pixels;
    do {
        const int32_t *q = q0;
        intptr_t b = base;
        int8_t *o = out;
        int32_t n = count;
        do {
            /* loads in adjacent pairs (the compiler merges them into LDRD) */
            int32_t w0 = q[4], w1 = q[5];
            tg_dwf_acc a;
            a.a0 = q[0];
            a.a1 = q[1];
            a.a2 = q[2];
            a.a3 = q[3];
            tg_dwf_tap(tg_dwf_at(b, off[0]), w0, &a, scalar);
            tg_dwf_tap(tg_dwf_at(b, off[1]), w1, &a, scalar);
            w0 = q[6];
            w1 = q[7];
            tg_dwf_tap(tg_dwf_at(b, off[2]), w0, &a, scalar);
            tg_dwf_tap(tg_dwf_at(b, off[3]), w1, &a, scalar);
            w0 = q[8];
            w1 = q[9];
            tg_dwf_tap(tg_dwf_at(b, off[4]), w0, &a, scalar);
            tg_dwf_tap(tg_dwf_at(b, off[5]), w1, &a, scalar);
            w0 = q[10];
            w1 = q[11];
            tg_dwf_tap(tg_dwf_at(b, off[6]), w0, &a, scalar);
            tg_dwf_tap(tg_dwf_at(b, off[7]), w1, &a, scalar);
            tg_dwf_tap(tg_dwf_at(b, off[8]), q[12], &a, scalar);
            tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, q + 13, clamp, act, o);
            b += 4;
            o += 4;
            q += TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
        } while (--n > 0);
        base += pix_step;
        out += out_step;
    } while (--pixels > 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_groups9_simd(const tg_dwf_run_args *ra)
{
    tg_dwf_groups9(ra, 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_groups9_scalar(const tg_dwf_run_args *ra)
{
    tg_dwf_groups9(ra, 1);
}

/* The same for any number of taps (<= TG_DWF_MAX_TABLE). */
TG_INLINE void tg_dwf_groups(const tg_dwf_run_args *ra, int scalar)
{
    const int32_t *off = ra->off, *q0 = ra->q;
    const int32_t count = ra->count, taps = ra->taps, clamp = ra->clamp;
    intptr_t base = ra->base;
    int8_t *out = ra->out;
    int32_t pixels = ra->pixels, t;
    do {
        const int32_t *q = q0;
        intptr_t b = base;
        int8_t *o = out;
        int32_t n = count;
        do {
            tg_dwf_acc a;
            tg_dwf_bias(&a, q);
            q += 4;
            for (t = 0; t < taps; ++t) {
                tg_dwf_tap(tg_dwf_at(b, off[t]), *q++, &a, scalar);
            }
            tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, q, clamp, ra->act, o);
            q += 9;
            b += 4;
            o += 4;
        } while (--n > 0);
        base += ra->pix_step;
        out += ra->out_step;
    } while (--pixels > 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_groups_simd(const tg_dwf_run_args *ra)
{
    tg_dwf_groups(ra, 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_groups_scalar(const tg_dwf_run_args *ra)
{
    tg_dwf_groups(ra, 1);
}

/* The partial last group (rem = C % 4 channels, 1..3) at base: byte by byte, never reading past the
 * channels of a pixel. */
TG_DWF_NOINLINE void tg_dwf_partial(const tg_dwf_run_args *ra, int32_t gwords, int32_t rem)
{
    const int32_t full = ra->count > 0 ? ra->count : 0;
    const int32_t *q = ra->q + full * gwords;
    int32_t acc[4], j, t, px;
    for (px = 0; px < ra->pixels; ++px) {
        const intptr_t base = ra->base + 4 * full + px * ra->pix_step;
        for (j = 0; j < rem; ++j) {
            int32_t a = q[j];
            for (t = 0; t < ra->taps; ++t) {
                a += (int32_t)tg_dwf_at(base, ra->off[t])[j] * (int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + t] >> (8 * j));
            }
            acc[j] = a;
        }
        tg_dwf_store_partial(acc, q + 4 + ra->taps, rem, ra->act, ra->out + 4 * full + px * ra->out_step);
    }
}

/* First and last output index (along one axis) whose window lies entirely inside the input
 * (hi < lo when there is none). */
TG_INLINE void tg_dwf_inner_range(int32_t out_n, int32_t stride, int32_t pad, int32_t k, int32_t dil, int32_t in_n,
                                  int32_t *lo, int32_t *hi)
{
    /* o * stride - pad >= 0 and o * stride - pad + (k - 1) * dil <= in_n - 1 */
    const int32_t last = in_n - 1 - (k - 1) * dil + pad;
    *lo = pad <= 0 ? 0 : (pad + stride - 1) / stride;
    *hi = last < 0 ? -1 : TG_MIN(out_n - 1, last / stride);
}

/* The body of tg_dwf_rows_simd / _scalar (see tg_dwf_rows): one function holds the loops and the
 * single tap offset table (the stack: everything else is read through the pointers). */
TG_INLINE void tg_dwf_rows_body(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                                const int8_t *in_b, const int32_t *packed, int32_t oy0, int32_t oy1, int32_t grp0,
                                int32_t grp1, int8_t *out, int32_t row_step, int32_t pix_step, int scalar)
{
    const int32_t ch = in_d->c, taps = p->filter.h * p->filter.w;
    const int32_t full_all = ch / 4, gwords = TG_DWF_GROUP_WORDS(taps);
    const intptr_t img = (intptr_t)(in_b + 4 * grp0);
    int32_t off[TG_DWF_MAX_TABLE];
    tg_dwf_run_args ra;
    int32_t y_lo, y_hi, x_lo, x_hi, oy, ox, ky, kx, t;
    tg_dwf_inner_range(out_d->h, p->stride.h, p->padding.h, p->filter.h, p->dilation.h, in_d->h, &y_lo, &y_hi);
    tg_dwf_inner_range(out_d->w, p->stride.w, p->padding.w, p->filter.w, p->dilation.w, in_d->w, &x_lo, &x_hi);
    ra.off = off;
    ra.q = packed + (ch + 3) / 4 + grp0 * gwords;
    ra.count = TG_MIN(grp1, full_all) - grp0;
    ra.pix_step = p->stride.w * ch;
    ra.out_step = pix_step;
    ra.taps = taps;
    ra.clamp = p->activation.min > -128 || p->activation.max < 127;
    ra.act = &p->activation;
    for (oy = oy0; oy < oy1; ++oy, out += row_step) {
        const int32_t y0 = oy * p->stride.h - p->padding.h;
        for (ox = 0; ox < out_d->w; ox += ra.pixels) {
            const int32_t x0 = ox * p->stride.w - p->padding.w;
            /* each tap's offset from the image, or the pad words' for a tap outside the input */
            const int32_t pad_off = (int32_t)((intptr_t)packed - (intptr_t)in_b);
            t = 0;
            for (ky = 0; ky < p->filter.h; ++ky) {
                const int32_t y = y0 + ky * p->dilation.h;
                for (kx = 0; kx < p->filter.w; ++kx, ++t) {
                    const int32_t x = x0 + kx * p->dilation.w;
                    off[t] = ((uint32_t)y < (uint32_t)in_d->h && (uint32_t)x < (uint32_t)in_d->w) ? (y * in_d->w + x) * ch
                                                                                                  : pad_off;
                }
            }
            ra.base = img;
            ra.pixels = 1;
            ra.out = out + ox * pix_step;
            if (oy >= y_lo && oy <= y_hi && ox >= x_lo && ox <= x_hi) {
                /* the inner pixels of the row: one run, offsets from the run's first window (a pixel
                 * at a time when there is a partial group: all channels of a pixel are written before
                 * the next pixel's, the write order the memory planner's overlap rule relies on) */
                ra.pixels = grp1 > full_all ? 1 : x_hi - ox + 1;
                ra.base += off[0];
                for (t = taps - 1; t >= 0; --t) {
                    off[t] -= off[0];
                }
            }
            if (ra.count <= 0) {
                /* only the partial group */
            } else if (taps == TG_DWF_TAPS_3X3) {
                if (scalar) {
                    tg_dwf_groups9_scalar(&ra);
                } else {
                    tg_dwf_groups9_simd(&ra);
                }
            } else if (scalar) {
                tg_dwf_groups_scalar(&ra);
            } else {
                tg_dwf_groups_simd(&ra);
            }
            if (grp1 > full_all) {
                tg_dwf_partial(&ra, gwords, ch % 4);
            }
        }
    }
}

#endif /* TG_DWF_ROWS_IMPL */

/* The normal kernel: output pixels in raster order, all channels of a pixel together. */
TG_INLINE tg_status tg_dwf_run(const tg_dw_fast_params *p, const tg_dims *in_d, const int8_t *input,
                               const int32_t *packed, const tg_dims *out_d, int8_t *output, int scalar)
{
    int32_t b;
    const tg_status st = tg_dwf_check(p, in_d, out_d);
    if (st != TG_OK) {
        return st;
    }
    for (b = 0; b < in_d->n; ++b) {
        tg_dwf_rows(p, in_d, out_d, input + b * in_d->h * in_d->w * in_d->c, packed, 0, out_d->h, 0,
                    (in_d->c + 3) / 4, output + b * out_d->h * out_d->w * out_d->c, out_d->w * out_d->c, out_d->c,
                    scalar);
    }
    return TG_OK;
}

/* -- in place, 3x3: planar lines, one channel at a time ---------------------------------------------
 *
 * The in-place kernel's fast path (3x3 filters, dilation 1; see tg_dwf_planar() for the strides and
 * paddings): for one channel at a time, the three input lines (rows) that an output line's windows
 * read are copied into a ring of 3 "planar" lines (that channel's bytes side by side, the zero point
 * in the padding). Two outputs next to each other (stride 1 along the line) then come from one word
 * per line: with the word's bytes p0..p3 at positions x..x+3, SXTB16 gives (p0, p2) and (p1, p3), and
 *   out(x)   += w0 p0 + w1 p1 + w2 p2 = SMLAD((p0, p2), (w0, w2)) + w1 p1
 *   out(x+1) += w0 p1 + w1 p2 + w2 p3 = SMLAD((p1, p3), (w0, w2)) + w1 p2
 * (stride 2: out(x) from positions 2x..2x+2 of one word). Every input line that a later output line
 * needs is in the ring when an output line is finished, so that line goes straight back over the
 * input (its channel's bytes only), which is safe when
 *   - lines are rows: padding.h <= 2 (output row r covers input rows <= r, as OW <= W);
 *   - lines are columns (narrow images, W < H, to spread the per-line work over more outputs):
 *     OW == W (output pixel (y, x) lands on input pixel (y, x)) and padding.w <= 2.
 * Scratch: 4 planar lines (the ring, and one of the zero point for lines outside the input) of
 * (outputs per line - 1) * stride + 6 bytes.
 */

/* Lines are columns (the image is processed transposed). */
TG_INLINE int tg_dwf_planar_columns(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d)
{
    return in_d->w < in_d->h && out_d->w == in_d->w && p->padding.w <= 2 && (p->stride.h == 1 || p->stride.h == 2);
}

/* outputs per line below which the planar path's per-line work outweighs its faster inner loop */
#define TG_DWF_PLANAR_MIN_LINE 8

/* The planar path applies (the same answer on every core: the scratch size depends on it). */
TG_INLINE int tg_dwf_planar(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d)
{
    if (p->filter.h != 3 || p->filter.w != 3 || p->dilation.h != 1 || p->dilation.w != 1) {
        return 0;
    }
    if (tg_dwf_planar_columns(p, in_d, out_d)) {
        return out_d->h >= TG_DWF_PLANAR_MIN_LINE;
    }
    return (p->stride.w == 1 || p->stride.w == 2) && p->padding.h <= 2 && out_d->w >= TG_DWF_PLANAR_MIN_LINE;
}

/* Bytes of a planar line: the positions of the line's windows, and room for the last word read. */
TG_INLINE int32_t tg_dwf_planar_len(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d)
{
    return tg_dwf_planar_columns(p, in_d, out_d) ? (out_d->h - 1) * p->stride.h + 6 : (out_d->w - 1) * p->stride.w + 6;
}

/* One channel's constants for the planar lines (w: the 3x3 weights, transposed for columns). */
typedef struct {
    uint32_t w02[3];   /* (w(i, 0), w(i, 2)) halfword pairs, i = line of the window */
    uint32_t w1a;      /* (w(0, 1), w(1, 1)) */
    uint32_t w1b;      /* (w(2, 1), 0) */
    int32_t bias;      /* folded bias */
    int32_t mr[2];     /* multiplier, rounding term */
    uint32_t n;        /* right shift */
    int32_t clamp;     /* the activation range is narrower than int8 */
    tg_range act;
    int32_t out_step;  /* bytes between consecutive outputs of a line */
    int32_t count;     /* outputs per line */
    int32_t stride;    /* positions between consecutive windows of a line */
} tg_dwf_chan;

TG_INLINE void tg_dwf_chan_load(const int32_t *packed, int32_t groups, int32_t c, int transpose, tg_dwf_chan *k)
{
    const int32_t *q = packed + groups + (c / 4) * TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
    const int32_t j = c % 4;
    int32_t w[TG_DWF_TAPS_3X3], t;
    for (t = 0; t < TG_DWF_TAPS_3X3; ++t) {
        const int32_t tap = transpose ? 3 * (t % 3) + t / 3 : t;
        w[t] = (int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + tap] >> (8 * j));
    }
    for (t = 0; t < 3; ++t) {
        k->w02[t] = tg_pkhbt((uint32_t)w[3 * t], (uint32_t)w[3 * t + 2], 16);
    }
    k->w1a = tg_pkhbt((uint32_t)w[1], (uint32_t)w[4], 16);
    k->w1b = (uint32_t)w[7] & 0xFFFFu;
    k->bias = q[j];
    k->mr[0] = q[13 + 2 * j];
    k->mr[1] = q[14 + 2 * j];
    k->n = ((uint32_t)q[21] >> (8 * j)) & 31u;
}

/* n bytes from src, step bytes apart, to dst (4 at a time as one word store; dst is a planar line
 * with room for a whole last word, and the copy is word-aligned where the line's input part
 * starts aligned). */
TG_DWF_NOINLINE void tg_dwf_gather(int8_t *dst, const int8_t *src, int32_t n, int32_t step)
{
    for (; n >= 4; n -= 4, dst += 4, src += 4 * step) {
        const uint32_t b0 = (uint8_t)src[0], b1 = (uint8_t)src[step], b2 = (uint8_t)src[2 * step];
        const uint32_t b3 = (uint8_t)src[3 * step];
        tg_write_s8x4(dst, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24));
    }
    for (; n > 0; --n, ++dst, src += step) {
        *dst = *src;
    }
}

/* One output line of one channel from the planar lines r0..r2: k->count outputs, output x to
 * out[x * k->out_step], windows k->stride positions apart. */
TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_planar_line(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                                    const tg_dwf_chan *k, int8_t *out, int scalar)
{
    const int32_t bias = k->bias, clamp = k->clamp, out_step = k->out_step, n = k->count, stride = k->stride;
    const uint32_t sh = k->n;
    int32_t x = 0;
    if (scalar) {
        /* the weights from their halfword pairs: w(i, 0), w(i, 2) in w02[i], w(0..2, 1) in w1a, w1b */
        const int32_t w00 = tg__lo16(k->w02[0]), w02 = tg__hi16(k->w02[0]), w10 = tg__lo16(k->w02[1]);
        const int32_t w12 = tg__hi16(k->w02[1]), w20 = tg__lo16(k->w02[2]), w22 = tg__hi16(k->w02[2]);
        const int32_t w01 = tg__lo16(k->w1a), w11 = tg__hi16(k->w1a), w21 = tg__lo16(k->w1b);
        for (; x < n; ++x, out += out_step, r0 += stride, r1 += stride, r2 += stride) {
            int32_t a = bias;
            a += r0[0] * w00 + r0[1] * w01 + r0[2] * w02;
            a += r1[0] * w10 + r1[1] * w11 + r1[2] * w12;
            a += r2[0] * w20 + r2[1] * w21 + r2[2] * w22;
            a = tg_dwf_requant(a, k->mr, sh);
            *out = (int8_t)(clamp ? tg_dwf_clamp(a, &k->act) : a);
        }
        return;
    }
    if (stride == 1 && n >= 2) {
        /* rows as one pointer and two offsets; the clamp (if any) in a pass of its own below */
        const uint32_t w00 = k->w02[0], w01 = k->w02[1], w02 = k->w02[2], w1a = k->w1a, w1b = k->w1b;
        const intptr_t d1 = r1 - r0, d2 = r2 - r0;
        const int8_t *s0 = r0;
        int8_t *o = out;
        int32_t pairs = n / 2;
        do {
            uint32_t v, e, od;
            int32_t a, b;
            v = tg_read_s8x4(s0);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, w00, bias);
            b = tg_smlad(od, w00, bias);
            a = tg_smlabb(od, w1a, a);
            b = tg_smlatb(e, w1a, b);
            v = tg_read_s8x4(s0 + d1);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, w01, a);
            b = tg_smlad(od, w01, b);
            a = tg_smlabt(od, w1a, a);
            b = tg_smlatt(e, w1a, b);
            v = tg_read_s8x4(s0 + d2);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, w02, a);
            b = tg_smlad(od, w02, b);
            a = tg_smlabb(od, w1b, a);
            b = tg_smlatb(e, w1b, b);
            o[0] = (int8_t)tg_dwf_requant(a, k->mr, sh);
            o[out_step] = (int8_t)tg_dwf_requant(b, k->mr, sh);
            o += 2 * out_step;
            s0 += 2;
        } while (--pairs > 0);
        x = n & ~1;
        if (clamp) {
            int8_t *c = out;
            int32_t i;
            for (i = 0; i < x; ++i, c += out_step) {
                *c = (int8_t)tg_dwf_clamp(*c, &k->act);
            }
        }
        out = o;
    }
    for (; x < n; ++x, out += out_step) {
        /* stride 2, or the last output of an odd line: positions x * stride .. + 2 */
        const int32_t i = x * stride;
        uint32_t v;
        int32_t a;
        v = tg_read_s8x4(r0 + i);
        a = tg_smlad(tg_sxtb16(v), k->w02[0], bias);
        a = tg_smlabb(tg_sxtb16_ror8(v), k->w1a, a);
        v = tg_read_s8x4(r1 + i);
        a = tg_smlad(tg_sxtb16(v), k->w02[1], a);
        a = tg_smlabt(tg_sxtb16_ror8(v), k->w1a, a);
        v = tg_read_s8x4(r2 + i);
        a = tg_smlad(tg_sxtb16(v), k->w02[2], a);
        a = tg_smlabb(tg_sxtb16_ror8(v), k->w1b, a);
        a = tg_dwf_requant(a, k->mr, sh);
        *out = (int8_t)(clamp ? tg_dwf_clamp(a, &k->act) : a);
    }
}

TG_INLINE void tg_dwf_fill_bytes(int8_t *dst, int32_t n, int8_t v)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        dst[i] = v;
    }
}

/* Geometry of the planar path: the image as lines of positions (rows of columns, or, transposed,
 * columns of rows). */
typedef struct {
    int32_t lines, line_step, pos_step;  /* input lines, bytes between lines / positions */
    int32_t out_lines, out_line_step;    /* output lines, bytes between them */
    int32_t stride_line, pad_line;       /* window step and padding across lines */
    int32_t len, col0, count;            /* planar line bytes; input positions [0, count) of a line
                                            (from `first`) go to planar positions [col0, col0 + count) */
    int8_t *ring;                        /* 3 planar lines, then the zero-point line */
} tg_dwf_plane;

/* All output lines of one channel: img points at the channel's first input position of line 0,
 * out at the channel's first output. */
TG_INLINE void tg_dwf_planar_channel(const tg_dwf_plane *pl, const tg_dwf_chan *k, const int8_t *img,
                                           int8_t *out, int scalar)
{
    const int32_t lines = pl->lines, line_step = pl->line_step, pos_step = pl->pos_step, count = pl->count;
    const int32_t out_lines = pl->out_lines, out_line_step = pl->out_line_step, stride_line = pl->stride_line;
    int8_t *slot0 = pl->ring, *slot1 = pl->ring + pl->len, *slot2 = pl->ring + 2 * pl->len;
    const int8_t *zline = pl->ring + 3 * pl->len;
    int32_t ol, top = -pl->pad_line, next = INT32_MIN;
    for (ol = 0; ol < out_lines; ++ol, top += stride_line, out += out_line_step) {
        if (next < top) {
            next = top;
        }
        /* read lines next .. top + 2 into the ring (it keeps the newest three) */
        for (; next <= top + 2; ++next) {
            int8_t *t = slot0;
            slot0 = slot1;
            slot1 = slot2;
            slot2 = t;
            if ((uint32_t)next < (uint32_t)lines) {
                tg_dwf_gather(t + pl->col0, img + next * line_step, count, pos_step);
            }
        }
        tg_dwf_planar_line((uint32_t)top < (uint32_t)lines ? slot0 : zline,
                           (uint32_t)(top + 1) < (uint32_t)lines ? slot1 : zline,
                           (uint32_t)(top + 2) < (uint32_t)lines ? slot2 : zline, k, out, scalar);
    }
}

/* The in-place planar path (see above). */
TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_run_planar(const tg_dw_fast_params *p, const tg_dims *in_d,
                                                   const tg_dims *out_d, int8_t *data, const int32_t *packed,
                                                   int8_t *ring, int scalar)
{
    const int tr = tg_dwf_planar_columns(p, in_d, out_d);
    const int8_t zp = ((const int8_t *)packed)[0];
    const int32_t ch = in_d->c;
    const int32_t pos = tr ? in_d->h : in_d->w, pad_pos = tr ? p->padding.h : p->padding.w;
    const int32_t first = TG_MAX(0, -pad_pos);
    tg_dwf_plane pl;
    tg_dwf_chan k;
    int32_t b, c;
    pl.len = tg_dwf_planar_len(p, in_d, out_d);
    pl.lines = tr ? in_d->w : in_d->h;
    pl.line_step = tr ? ch : in_d->w * ch;
    pl.pos_step = tr ? in_d->w * ch : ch;
    pl.out_lines = tr ? out_d->w : out_d->h;
    pl.out_line_step = tr ? ch : out_d->w * ch;
    pl.stride_line = tr ? p->stride.w : p->stride.h;
    pl.pad_line = tr ? p->padding.w : p->padding.h;
    /* planar position j holds input position j - pad_pos */
    pl.col0 = TG_MAX(0, pad_pos);
    pl.count = TG_MAX(0, TG_MIN(pos, pl.len - pad_pos) - first);
    pl.ring = ring;
    k.clamp = p->activation.min > -128 || p->activation.max < 127;
    k.act = p->activation;
    k.out_step = tr ? out_d->w * ch : ch;
    k.count = tr ? out_d->h : out_d->w;
    k.stride = tr ? p->stride.h : p->stride.w;
    /* the zero point everywhere: the input positions of the 3 ring lines are rewritten line by line,
     * the padding positions and the 4th line stay */
    tg_dwf_fill_bytes(ring, 4 * pl.len, zp);
    if (pl.count <= 0) {
        pl.lines = 0; /* no input position inside the planar lines: every line is padding */
    }
    for (b = 0; b < in_d->n; ++b) {
        const int8_t *img = data + b * in_d->h * in_d->w * ch + first * pl.pos_step;
        int8_t *out_b = data + b * out_d->h * out_d->w * ch;
        for (c = 0; c < ch; ++c) {
            tg_dwf_chan_load(packed, (ch + 3) / 4, c, tr, &k);
            tg_dwf_planar_channel(&pl, &k, img + c, out_b + c, scalar);
        }
    }
}

/* -- in place, other layers: a ring of output rows -------------------------------------------------
 *
 * Output rows (all channels, computed as by the normal kernel) go to a ring of R output rows; row r
 * goes back over the input once every input row up to r has been read for the last time, i.e.
 * after output row floor((r + padding.h) / stride.h) has been computed (output row r covers input
 * rows <= r, as OW <= W). At most R = min(max(padding.h, 0) + 1, OH) rows wait.
 */
TG_INLINE int32_t tg_dwf_ring_rows(const tg_dw_fast_params *p, const tg_dims *out_d)
{
    return TG_MAX(1, TG_MIN(TG_MAX(p->padding.h, 0) + 1, out_d->h));
}

/* Scratch bytes of the in-place kernel. */
TG_INLINE int32_t tg_dwf_inplace_scratch(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d)
{
    if (tg_dwf_planar(p, in_d, out_d)) {
        return 4 * tg_dwf_planar_len(p, in_d, out_d);
    }
    return tg_dwf_ring_rows(p, out_d) * out_d->w * out_d->c;
}

TG_INLINE void tg_dwf_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        tg_write_s8x4(dst, tg_read_s8x4(src));
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* The in-place ring-of-rows path (see above). */
TG_DWF_NOINLINE void tg_dwf_run_ring(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                                     int8_t *data, const int32_t *packed, int8_t *ring, int scalar)
{
    const int32_t row_bytes = out_d->w * out_d->c, ring_rows = tg_dwf_ring_rows(p, out_d);
    int32_t b, oy, next;
    for (b = 0; b < in_d->n; ++b) {
        const int8_t *in_b = data + b * in_d->h * in_d->w * in_d->c;
        int8_t *out_b = data + b * out_d->h * row_bytes;
        next = 0; /* the first output row not yet written back */
        for (oy = 0; oy < out_d->h; ++oy) {
            tg_dwf_rows(p, in_d, out_d, in_b, packed, oy, oy + 1, 0, (in_d->c + 3) / 4,
                        ring + (oy % ring_rows) * row_bytes, row_bytes, out_d->c, scalar);
            /* C division truncates: (next + pad) / stride <= oy holds for every negative numerator too */
            while (next <= oy && (next + p->padding.h) / p->stride.h <= oy) {
                tg_dwf_copy(out_b + next * row_bytes, ring + (next % ring_rows) * row_bytes, row_bytes);
                ++next;
            }
        }
        for (; next < out_d->h; ++next) {
            tg_dwf_copy(out_b + next * row_bytes, ring + (next % ring_rows) * row_bytes, row_bytes);
        }
    }
}

/* The in-place kernel. */
TG_INLINE tg_status tg_dwf_run_inplace(const tg_context *ctx, const tg_dw_fast_params *p, const tg_dims *in_d,
                                       int8_t *data, const int32_t *packed, const tg_dims *out_d, int scalar)
{
    const tg_status st = tg_dwf_check(p, in_d, out_d);
    if (st != TG_OK) {
        return st;
    }
    if (out_d->h > in_d->h || out_d->w > in_d->w) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || ctx->buf == NULL || ctx->size < tg_dwf_inplace_scratch(p, in_d, out_d)) {
        return TG_ERR_BUFFER;
    }
    if (tg_dwf_planar(p, in_d, out_d)) {
        tg_dwf_run_planar(p, in_d, out_d, data, packed, (int8_t *)ctx->buf, scalar);
    } else {
        tg_dwf_run_ring(p, in_d, out_d, data, packed, (int8_t *)ctx->buf, scalar);
    }
    return TG_OK;
}

#endif /* TG_DW_FAST_H */
