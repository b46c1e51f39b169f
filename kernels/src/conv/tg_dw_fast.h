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
 *     M[4]   Q31 multipliers, each in [2^30, 2^31)
 *     R[4]   2^(n-1) + output_offset * 2^n (rounding term and output offset)
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

/* words per group of 4 channels in the packed array, for T taps */
#define TG_DWF_GROUP_WORDS(T) (13 + (T))
/* the 3x3 path keeps the 9 tap pointers of a pixel in a table */
#define TG_DWF_TAPS_3X3 9

/* One requantized output: acc -> int8 range (before the activation clamp). */
TG_INLINE int32_t tg_dwf_requant(int32_t acc, int32_t m, int32_t r, uint32_t n)
{
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
    /* constants loaded in adjacent pairs (LDRD) */
    const uint32_t nn = (uint32_t)q[8];
    int32_t m0 = q[0], m1 = q[1], r0 = q[4], r1 = q[5];
    int32_t v0, v1, v2, v3;
    v0 = tg_dwf_requant(a0, m0, r0, nn & 31u);
    v1 = tg_dwf_requant(a1, m1, r1, (nn >> 8) & 31u);
    m0 = q[2];
    m1 = q[3];
    r0 = q[6];
    r1 = q[7];
    v2 = tg_dwf_requant(a2, m0, r0, (nn >> 16) & 31u);
    v3 = tg_dwf_requant(a3, m1, r1, nn >> 24);
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
        const int32_t v = tg_dwf_requant(acc[j], q[j], q[4 + j], ((uint32_t)q[8] >> (8 * j)) & 31u);
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

/* Geometry of a call, checked once. */
typedef struct {
    int32_t in_h, in_w, ch, out_h, out_w, k_h, k_w, taps;
    int32_t groups;     /* ceil(ch / 4) */
    int32_t full;       /* ch / 4 */
    int32_t rem;        /* ch % 4 */
    int32_t gwords;     /* words per group in the packed array */
    int clamp;          /* the activation range is narrower than int8 */
} tg_dwf_geom;

TG_INLINE tg_status tg_dwf_geometry(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                                    tg_dwf_geom *g)
{
    g->in_h = in_d->h;
    g->in_w = in_d->w;
    g->ch = in_d->c;
    g->out_h = out_d->h;
    g->out_w = out_d->w;
    g->k_h = p->filter.h;
    g->k_w = p->filter.w;
    g->taps = g->k_h * g->k_w;
    g->groups = (g->ch + 3) / 4;
    g->full = g->ch / 4;
    g->rem = g->ch % 4;
    g->gwords = TG_DWF_GROUP_WORDS(g->taps);
    g->clamp = p->activation.min > -128 || p->activation.max < 127;
    if (in_d->n != out_d->n || out_d->c != g->ch || g->ch <= 0 || g->k_h <= 0 || g->k_w <= 0 ||
        p->stride.h <= 0 || p->stride.w <= 0 || p->dilation.h <= 0 || p->dilation.w <= 0 ||
        p->activation.min > p->activation.max || p->activation.min < -128 || p->activation.max > 127) {
        return TG_ERR_ARG;
    }
    return TG_OK;
}

/* Groups [grp0, grp1) of a 3x3 window whose taps are at tp[0..8] (input pixels, or the pad words):
 * the tap pointers are offset by 4 bytes per group; group grp0 is written to out[0..3], the next
 * one to out[4..7], ... */
TG_INLINE void tg_dwf_groups3x3(const int8_t *const *tp, const int32_t *q, int32_t grp0, int32_t grp1, int clamp,
                                const tg_range *act, int8_t *out, int scalar)
{
    int32_t off;
    q += grp0 * TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
    for (off = 4 * grp0; off < 4 * grp1; off += 4) {
        /* loads in adjacent pairs (the compiler merges them into LDRD) */
        int32_t w0 = q[4], w1 = q[5];
        tg_dwf_acc a;
        a.a0 = q[0];
        a.a1 = q[1];
        a.a2 = q[2];
        a.a3 = q[3];
        tg_dwf_tap(tp[0] + off, w0, &a, scalar);
        tg_dwf_tap(tp[1] + off, w1, &a, scalar);
        w0 = q[6];
        w1 = q[7];
        tg_dwf_tap(tp[2] + off, w0, &a, scalar);
        tg_dwf_tap(tp[3] + off, w1, &a, scalar);
        w0 = q[8];
        w1 = q[9];
        tg_dwf_tap(tp[4] + off, w0, &a, scalar);
        tg_dwf_tap(tp[5] + off, w1, &a, scalar);
        w0 = q[10];
        w1 = q[11];
        tg_dwf_tap(tp[6] + off, w0, &a, scalar);
        tg_dwf_tap(tp[7] + off, w1, &a, scalar);
        tg_dwf_tap(tp[8] + off, q[12], &a, scalar);
        tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, q + 13, clamp, act, out);
        out += 4;
        q += TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
    }
}

/* The partial last group of a 3x3 window (rem = C % 4 channels, 1..3, at byte offset off of the
 * pixels; q is the group's constants): byte by byte, never reading past the channels of a pixel. */
TG_INLINE void tg_dwf_partial3x3(const int8_t *const *tp, int32_t off, const int32_t *q, int32_t rem,
                                 const tg_range *act, int8_t *out)
{
    int32_t acc[4], j, t;
    for (j = 0; j < rem; ++j) {
        int32_t a = q[j];
        for (t = 0; t < TG_DWF_TAPS_3X3; ++t) {
            a += (int32_t)tp[t][off + j] * (int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + t] >> (8 * j));
        }
        acc[j] = a;
    }
    tg_dwf_store_partial(acc, q + 4 + TG_DWF_TAPS_3X3, rem, act, out);
}

/*
 * Groups [grp0, grp1) (the last one may be partial) of any other filter size, window top-left tap
 * at input (y0, x0); group grp is written to out + 4 * (grp - grp0). Each tap reads its input
 * pixel, or the pad words when it lies outside the input.
 */
TG_INLINE void tg_dwf_general(const tg_dwf_geom *g, const tg_dw_fast_params *p, const int8_t *in_b,
                              const int32_t *packed, int32_t grp0, int32_t grp1, int32_t y0, int32_t x0,
                              int8_t *out, int scalar)
{
    const int8_t *pad = (const int8_t *)packed;
    const int32_t *q = packed + g->groups + grp0 * g->gwords;
    int32_t grp, ky, kx, j;
    for (grp = grp0; grp < grp1; ++grp, q += g->gwords, out += 4) {
        const int32_t off = 4 * grp;
        const int32_t *w = q + 4;
        const int32_t n = grp < g->full ? 4 : g->rem;
        tg_dwf_acc a;
        tg_dwf_bias(&a, q);
        for (ky = 0; ky < g->k_h; ++ky) {
            const int32_t y = y0 + ky * p->dilation.h;
            const int row_in = (uint32_t)y < (uint32_t)g->in_h;
            for (kx = 0; kx < g->k_w; ++kx, ++w) {
                const int32_t x = x0 + kx * p->dilation.w;
                const int8_t *src = (row_in && (uint32_t)x < (uint32_t)g->in_w) ? in_b + (y * g->in_w + x) * g->ch + off
                                                                                  : pad + off;
                if (n == 4) {
                    tg_dwf_tap(src, *w, &a, scalar);
                } else {
                    /* partial group: only the rem channels of the pixel are read */
                    int32_t acc[3];
                    acc[0] = a.a0;
                    acc[1] = a.a1;
                    acc[2] = a.a2;
                    for (j = 0; j < n; ++j) {
                        acc[j] += (int32_t)src[j] * (int32_t)(int8_t)(uint8_t)((uint32_t)*w >> (8 * j));
                    }
                    a.a0 = acc[0];
                    a.a1 = acc[1];
                    a.a2 = acc[2];
                }
            }
        }
        if (n == 4) {
            tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, w, g->clamp, &p->activation, out);
        } else {
            int32_t acc[4];
            acc[0] = a.a0;
            acc[1] = a.a1;
            acc[2] = a.a2;
            acc[3] = 0;
            tg_dwf_store_partial(acc, w, n, &p->activation, out);
        }
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

#if defined(__GNUC__) || defined(__clang__)
#define TG_DWF_NOINLINE static __attribute__((noinline))
#else
#define TG_DWF_NOINLINE static
#endif

/* What one call of a row function computes. */
typedef struct {
    int32_t grp0, grp1;  /* groups [grp0, grp1); grp1 == groups includes the partial one */
    int32_t out_step;    /* bytes between the outputs of consecutive pixels */
    int32_t y_lo, y_hi;  /* output rows whose windows are inside the input vertically */
    int32_t x_lo, x_hi;  /* output columns whose windows are inside the input horizontally */
} tg_dwf_rows;

/* One output row oy: every pixel's groups [grp0, grp1), group grp of pixel ox written to
 * out + ox * out_step + 4 * (grp - grp0). 3x3 filters: the 9 tap pointers of each pixel go to a table (taps outside
 * the input point at the pad words) read by the group loop; other sizes: tg_dwf_general. */
TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_row(const tg_dwf_geom *g, const tg_dw_fast_params *p, const int8_t *in_b,
                                            const int32_t *packed, const tg_dwf_rows *rw, int32_t oy, int8_t *out,
                                            int scalar)
{
    const int8_t *pad = (const int8_t *)packed;
    const int32_t *q0 = packed + g->groups;
    const int32_t y0 = oy * p->stride.h - p->padding.h;
    const int row_inner = oy >= rw->y_lo && oy <= rw->y_hi;
    const int32_t cd = p->dilation.w * g->ch, rd = p->dilation.h * g->in_w * g->ch;
    const int32_t step = p->stride.w * g->ch;
    const int32_t full1 = TG_MIN(rw->grp1, g->full);
    const int8_t *tp[TG_DWF_TAPS_3X3];
    int32_t ox, ky, kx;
    for (ox = 0; ox < g->out_w; ++ox, out += rw->out_step) {
        const int32_t x0 = ox * p->stride.w - p->padding.w;
        if (g->taps != TG_DWF_TAPS_3X3 || g->k_w != 3) {
            tg_dwf_general(g, p, in_b, packed, rw->grp0, rw->grp1, y0, x0, out, scalar);
            continue;
        }
        if (row_inner && ox >= rw->x_lo && ox <= rw->x_hi) {
            if (ox == rw->x_lo) {
                const int8_t *r = in_b + (y0 * g->in_w + x0) * g->ch;
                for (ky = 0; ky < 3; ++ky, r += rd) {
                    tp[3 * ky] = r;
                    tp[3 * ky + 1] = r + cd;
                    tp[3 * ky + 2] = r + 2 * cd;
                }
            } else {
                for (kx = 0; kx < TG_DWF_TAPS_3X3; ++kx) {
                    tp[kx] += step;
                }
            }
        } else {
            for (ky = 0; ky < 3; ++ky) {
                const int32_t y = y0 + ky * p->dilation.h;
                const int row_in = (uint32_t)y < (uint32_t)g->in_h;
                for (kx = 0; kx < 3; ++kx) {
                    const int32_t x = x0 + kx * p->dilation.w;
                    tp[3 * ky + kx] = (row_in && (uint32_t)x < (uint32_t)g->in_w) ? in_b + (y * g->in_w + x) * g->ch : pad;
                }
            }
        }
        tg_dwf_groups3x3(tp, q0, rw->grp0, full1, g->clamp, &p->activation, out, scalar);
        if (rw->grp1 > g->full) {
            tg_dwf_partial3x3(tp, 4 * g->full, q0 + g->full * TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3), g->rem,
                              &p->activation, out + 4 * (g->full - rw->grp0));
        }
    }
}

TG_INLINE void tg_dwf_ranges(const tg_dwf_geom *g, const tg_dw_fast_params *p, tg_dwf_rows *rw)
{
    tg_dwf_inner_range(g->out_h, p->stride.h, p->padding.h, g->k_h, p->dilation.h, g->in_h, &rw->y_lo, &rw->y_hi);
    tg_dwf_inner_range(g->out_w, p->stride.w, p->padding.w, g->k_w, p->dilation.w, g->in_w, &rw->x_lo, &rw->x_hi);
}

/* The normal kernel: output pixels in raster order, all channels of a pixel together. */
TG_INLINE tg_status tg_dwf_run(const tg_dw_fast_params *p, const tg_dims *in_d, const int8_t *input,
                               const int32_t *packed, const tg_dims *out_d, int8_t *output, int scalar)
{
    tg_dwf_geom g;
    tg_dwf_rows rw;
    int32_t b, oy;
    const tg_status st = tg_dwf_geometry(p, in_d, out_d, &g);
    if (st != TG_OK) {
        return st;
    }
    tg_dwf_ranges(&g, p, &rw);
    rw.grp0 = 0;
    rw.grp1 = g.groups;
    rw.out_step = g.ch;
    for (b = 0; b < in_d->n; ++b) {
        const int8_t *in_b = input + b * g.in_h * g.in_w * g.ch;
        for (oy = 0; oy < g.out_h; ++oy, output += g.out_w * g.ch) {
            tg_dwf_row(&g, p, in_b, packed, &rw, oy, output, scalar);
        }
    }
    return TG_OK;
}

/* Rows of the in-place kernel's ring: output row r may overwrite the input once every input row
 * up to r has been read for the last time, i.e. after output row floor((r + pad) / stride) has been
 * computed; at most max(pad, 0) + 1 rows wait (see tg_depthwise_conv_inplace_fast_s8 in tg_nn.h). */
TG_INLINE int32_t tg_dwf_ring_rows(const tg_dw_fast_params *p, const tg_dims *out_d)
{
    return TG_MAX(1, TG_MIN(TG_MAX(p->padding.h, 0) + 1, out_d->h));
}

/* Copies output row r of group grp (n channels) from the ring to its place over the input. */
TG_INLINE void tg_dwf_write_back(const int8_t *ring_row, int8_t *dst, int32_t out_w, int32_t ch, int32_t n, int scalar)
{
    int32_t x, j;
    for (x = 0; x < out_w; ++x, dst += ch, ring_row += 4) {
        if (n == 4 && !scalar) {
            tg_write_s8x4(dst, tg_read_s8x4(ring_row));
        } else {
            for (j = 0; j < n; ++j) {
                dst[j] = ring_row[j];
            }
        }
    }
}

/* The in-place kernel: one group of 4 channels at a time over the whole image. */
TG_INLINE tg_status tg_dwf_run_inplace(const tg_context *ctx, const tg_dw_fast_params *p, const tg_dims *in_d,
                                       int8_t *data, const int32_t *packed, const tg_dims *out_d, int scalar)
{
    tg_dwf_geom g;
    tg_dwf_rows rw;
    int32_t b, grp, oy, next;
    const tg_status st = tg_dwf_geometry(p, in_d, out_d, &g);
    const int32_t ring_rows = tg_dwf_ring_rows(p, out_d);
    int8_t *ring;
    if (st != TG_OK) {
        return st;
    }
    if (g.out_h > g.in_h || g.out_w > g.in_w) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || ctx->buf == NULL || ctx->size < ring_rows * g.out_w * 4) {
        return TG_ERR_BUFFER;
    }
    ring = (int8_t *)ctx->buf;
    tg_dwf_ranges(&g, p, &rw);
    rw.out_step = 4;
    for (b = 0; b < in_d->n; ++b) {
        const int8_t *in_b = data + b * g.in_h * g.in_w * g.ch;
        int8_t *out_b = data + b * g.out_h * g.out_w * g.ch;
        for (grp = 0; grp < g.groups; ++grp) {
            const int32_t n = grp < g.full ? 4 : g.rem;
            rw.grp0 = grp;
            rw.grp1 = grp + 1;
            next = 0; /* the first output row not yet written back */
            for (oy = 0; oy < g.out_h; ++oy) {
                tg_dwf_row(&g, p, in_b, packed, &rw, oy, ring + (oy % ring_rows) * g.out_w * 4, scalar);
                while (next <= oy && (next + p->padding.h) / p->stride.h <= oy) {
                    tg_dwf_write_back(ring + (next % ring_rows) * g.out_w * 4, out_b + next * g.out_w * g.ch + 4 * grp,
                                      g.out_w, g.ch, n, scalar);
                    ++next;
                }
            }
            for (; next < g.out_h; ++next) {
                tg_dwf_write_back(ring + (next % ring_rows) * g.out_w * 4, out_b + next * g.out_w * g.ch + 4 * grp,
                                  g.out_w, g.ch, n, scalar);
            }
        }
    }
    return TG_OK;
}

#endif /* TG_DW_FAST_H */
