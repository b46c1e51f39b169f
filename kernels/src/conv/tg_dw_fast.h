/*
 * tg_dw_fast.h - the fast int8 depthwise convolution (depth multiplier 1), shared by
 * tg_depthwise_conv_fast_s8, tg_depthwise_conv_fast_scalar_s8, tg_depthwise_conv_inplace_fast_s8
 * and tg_depthwise_conv_inplace_fast_scalar_s8 (not part of the public API).
 *
 * Everything that does not depend on the input is computed by the compiler
 * (tinygen/fast/depthwise.py) and handed over in the parameter struct:
 *
 *   pad     G = ceil(C / 4) words holding the input zero point; padded taps read these (an array of
 *           its own, so that layers with the same zero point and depth share it)
 *   packed  for each group g of channels 4g .. 4g+3 (missing channels of the last group are zero),
 *           TG_DWF_GROUP_WORDS(T) words (T = KH * KW taps):
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
 *
 * Stack: a call goes at most two functions deep below the public one (the row loop, then the group
 * loop or the planar line), and the loops read their constants through the one struct they share
 * rather than from copies in their own frames.
 */
#ifndef TG_DW_FAST_H
#define TG_DW_FAST_H

#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"

/* GCC's first scheduling pass (before register allocation, on by default at -O2 for Arm) hoists
 * the loads of the 9 unrolled taps and runs out of registers in the inner loop (stack spills); the
 * functions of the fast depthwise kernels turn it off for themselves. */
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

/* The hand-scheduled loop needs every register; unoptimized builds (r7 the frame pointer) use C. */
#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
#define TG_DWF_ASM 1
#else
#define TG_DWF_ASM 0
#endif

/* Out-of-line helpers keep their arguments as written (no IPA-SRA splitting of a struct pointer
 * into more arguments, some on the stack). */
#if defined(__GNUC__) && !defined(__clang__)
#define TG_DWF_NOINLINE static __attribute__((noinline, noipa))
#elif defined(__clang__)
#define TG_DWF_NOINLINE static __attribute__((noinline))
#else
#define TG_DWF_NOINLINE static
#endif

/* words per group of 4 channels in the packed array, for T taps */
#define TG_DWF_GROUP_WORDS(T) (13 + (T))
/* taps of a 3x3 filter (the unrolled group loop) */
#define TG_DWF_TAPS_3X3 9
/* the largest filter the fast kernels take (KH * KW taps) */
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

/* A range narrower than int8 (an average of the outputs' clamps is not needed otherwise). */
TG_INLINE int tg_dwf_narrow(const tg_range *act)
{
    return act->min > -128 || act->max < 127;
}

/* Requantizes the 4 accumulators of a full group (q points at the group's M[0]) and writes them
 * to out[0..3], saturated to int8 (a narrower activation range is clamped afterwards). */
TG_INLINE void tg_dwf_store4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q, int8_t *out)
{
    /* (M_j, R_j) pairs: one LDRD each */
    const uint32_t nn = (uint32_t)q[8];
    const int32_t v0 = tg_dwf_requant(a0, q, nn & 31u);
    const int32_t v1 = tg_dwf_requant(a1, q + 2, (nn >> 8) & 31u);
    const int32_t v2 = tg_dwf_requant(a2, q + 4, (nn >> 16) & 31u);
    const int32_t v3 = tg_dwf_requant(a3, q + 6, nn >> 24);
    out[0] = (int8_t)v0;
    out[1] = (int8_t)v1;
    out[2] = (int8_t)v2;
    out[3] = (int8_t)v3;
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

/* The argument checks shared by the kernels. */
TG_INLINE tg_status tg_dwf_check(const tg_dw_fast_params *p)
{
    const tg_dims *in_d = &p->input_dims, *out_d = &p->output_dims;
    if (in_d->n != out_d->n || out_d->c != in_d->c || in_d->c <= 0 || p->filter.h <= 0 || p->filter.w <= 0 ||
        p->filter.h * p->filter.w > TG_DWF_MAX_TABLE || p->stride.h <= 0 || p->stride.w <= 0 ||
        p->dilation.h <= 0 || p->dilation.w <= 0 || p->activation.min > p->activation.max ||
        p->activation.min < -128 || p->activation.max > 127 || p->packed == NULL || p->pad == NULL) {
        return TG_ERR_ARG;
    }
    return TG_OK;
}

/*
 * Tap addressing: tap t of group g of a pixel reads the 4 bytes at base + off[t] + 4 g, where off is
 * a table of byte offsets. For a window inside the input, base is its top-left tap and the table is
 * the same for every such pixel (computed once per run); at the borders base is the image and the
 * table holds each tap's own offset, or the offset of the pad words for a tap outside the input.
 */

/* A run of output pixels for the group loops (the DSP loop reads it at these offsets). */
typedef struct {
    intptr_t base;           /* [0]  the first pixel's window: its taps at base + off[t] */
    const intptr_t *off;     /* [4]  tap offsets */
    const int32_t *q;        /* [8]  the packed constants (first group) */
    int8_t *out;             /* [12] the first pixel's outputs */
    int32_t groups;          /* [16] full groups per pixel (>= 1) */
    int32_t pix_step;        /* [20] input bytes from one window to the next */
    int32_t out_step;        /* [24] output bytes from one pixel to the next (C) */
    int32_t pixels;          /* [28] pixels in the run (>= 1) */
    int32_t y0, x0;          /* the first window's top-left tap (other filters than 3x3) */
} tg_dwf_run;

/*
 * The row loops (tg_dwf_rows_simd / tg_dwf_rows_scalar) are shared by the normal and the in-place
 * kernels: they are compiled once, in tg_dw_fast_rows.c (which defines TG_DWF_ROWS_IMPL), so a model
 * that uses both kernels holds one copy. Output rows [oy0, oy1) (rows = oy0 | oy1 << 16) of one
 * image (in_b), row oy written to out + (oy - oy0) * OW * C, its pixels C bytes apart; rows == 0:
 * every row of every image (the normal kernel). Returns TG_OK.
 */
tg_status tg_dwf_rows_simd(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows);
tg_status tg_dwf_rows_scalar(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows);

/* scalar selects the core (a constant at each call) */
TG_INLINE tg_status tg_dwf_rows(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows,
                                int scalar)
{
    return scalar ? tg_dwf_rows_scalar(p, in_b, out, rows) : tg_dwf_rows_simd(p, in_b, out, rows);
}

#ifdef TG_DWF_ROWS_IMPL

/* A run of pixels, 3x3 filters: all full groups of each pixel. DSP: one inline-assembly loop over
 * the run's pixels and groups (its state in ra, nothing else live across it: the row loop around it
 * keeps a small frame); the outputs are saturated to int8, the caller clamps a narrower activation
 * range afterwards. Elsewhere the plain-C loop (tg_simd.h models on the host, the scalar core). */
#if TG_DWF_ASM
/* Tap K of a group: r1-r4 accumulators, r5 the window, r6 the offsets, r7 the constants (advanced);
 * temporaries r10-r12, lr. 11 instructions for 4 multiply-accumulates. */
#define TG__DWF_TAP(K)                    \
    "ldr    r10, [r6, #" #K "]\n\t"       \
    "ldr    r10, [r5, r10]\n\t"           \
    "ldr    r11, [r7], #4\n\t"            \
    "sxtb16 r12, r10\n\t"                 \
    "sxtb16 lr, r11\n\t"                  \
    "smlabb r1, r12, lr, r1\n\t"          \
    "smlatt r3, r12, lr, r3\n\t"          \
    "sxtb16 r10, r10, ror #8\n\t"         \
    "sxtb16 r11, r11, ror #8\n\t"         \
    "smlabb r2, r10, r11, r2\n\t"         \
    "smlatt r4, r10, r11, r4\n\t"
/* Requantize accumulator A with the next (M, R) at r7 (advanced) and the shift in r12 (r10, r11 free). */
#define TG__DWF_REQUANT(A)                     \
    "ldrd   r10, r11, [r7], #8\n\t"            \
    "add    r11, r11, " A ", asr #31\n\t"      \
    "lsl    " A ", " A ", #1\n\t"              \
    "smmlar " A ", " A ", r10, r11\n\t"        \
    "asr    " A ", " A ", r12\n\t"             \
    "ssat   " A ", #8, " A "\n\t"
#endif

TG_INLINE void tg_dwf_groups9(tg_dwf_run *ra, int scalar)
{
#if TG_DWF_ASM
    if (!scalar) {
        register tg_dwf_run *r0 __asm__("r0") = ra;
        __asm__ volatile(
            "1:\n\t"
            "ldm    r0, {r5, r6, r7, r8, r9}\n\t"  /* base, off, packed, out, groups */
            "2:\n\t"
            "ldmia  r7!, {r1, r2, r3, r4}\n\t"     /* folded biases */
            TG__DWF_TAP(0) TG__DWF_TAP(4) TG__DWF_TAP(8) TG__DWF_TAP(12) TG__DWF_TAP(16)
            TG__DWF_TAP(20) TG__DWF_TAP(24) TG__DWF_TAP(28) TG__DWF_TAP(32)
            "ldr    lr, [r7, #32]\n\t"             /* the shifts, after the (M, R) pairs */
            "and    r12, lr, #31\n\t"
            TG__DWF_REQUANT("r1")
            "ubfx   r12, lr, #8, #5\n\t"
            TG__DWF_REQUANT("r2")
            "ubfx   r12, lr, #16, #5\n\t"
            TG__DWF_REQUANT("r3")
            "lsr    r12, lr, #24\n\t"
            TG__DWF_REQUANT("r4")
            "add    r7, r7, #4\n\t"
            "strb   r1, [r8], #1\n\t"
            "strb   r2, [r8], #1\n\t"
            "strb   r3, [r8], #1\n\t"
            "strb   r4, [r8], #1\n\t"
            "add    r5, r5, #4\n\t"
            "subs   r9, r9, #1\n\t"
            "bne    2b\n\t"
            "ldrd   r10, r11, [r0, #20]\n\t"       /* pix_step, out_step */
            "ldr    r12, [r0]\n\t"
            "add    r12, r12, r10\n\t"
            "str    r12, [r0]\n\t"
            "ldr    r12, [r0, #12]\n\t"
            "add    r12, r12, r11\n\t"
            "str    r12, [r0, #12]\n\t"
            "ldr    r12, [r0, #28]\n\t"
            "subs   r12, r12, #1\n\t"
            "str    r12, [r0, #28]\n\t"
            "bne    1b\n\t"
            : "+r"(r0)
            :
            : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
        return;
    }
#endif
    do {
        const intptr_t *off = ra->off;
        const int32_t *q = ra->q;
        intptr_t b = ra->base;
        int8_t *o = ra->out;
        int32_t n = ra->groups;
        do {
            /* loads in adjacent pairs (the compiler merges them into LDRD) */
            int32_t w0 = q[4], w1 = q[5];
            tg_dwf_acc a;
            a.a0 = q[0];
            a.a1 = q[1];
            a.a2 = q[2];
            a.a3 = q[3];
            tg_dwf_tap((const int8_t *)(b + off[0]), w0, &a, scalar);
            tg_dwf_tap((const int8_t *)(b + off[1]), w1, &a, scalar);
            w0 = q[6];
            w1 = q[7];
            tg_dwf_tap((const int8_t *)(b + off[2]), w0, &a, scalar);
            tg_dwf_tap((const int8_t *)(b + off[3]), w1, &a, scalar);
            w0 = q[8];
            w1 = q[9];
            tg_dwf_tap((const int8_t *)(b + off[4]), w0, &a, scalar);
            tg_dwf_tap((const int8_t *)(b + off[5]), w1, &a, scalar);
            w0 = q[10];
            w1 = q[11];
            tg_dwf_tap((const int8_t *)(b + off[6]), w0, &a, scalar);
            tg_dwf_tap((const int8_t *)(b + off[7]), w1, &a, scalar);
            tg_dwf_tap((const int8_t *)(b + off[8]), q[12], &a, scalar);
            tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, q + 13, o);
            b += 4;
            o += 4;
            q += TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
        } while (--n > 0);
        ra->base += ra->pix_step;
        ra->out += ra->out_step;
    } while (--ra->pixels > 0);
}

/* The same for other filters (up to TG_DWF_MAX_TABLE taps), in C, the tap addresses computed on
 * the fly (no offset table; by increments for a window inside the input, checked tap by tap at the
 * borders): the window of the run's first pixel has its top-left tap at input row
 * ra->y0, column ra->x0 of the image at ra->base; a tap outside the input reads the pad words.
 * Outputs saturated to int8 only, as above. */
TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_groups(const tg_dw_fast_params *p, tg_dwf_run *ra, int scalar)
{
    do {
        const int32_t *q = ra->q;
        const int inside = ra->y0 >= 0 && ra->y0 + (p->filter.h - 1) * p->dilation.h < p->input_dims.h &&
                           ra->x0 >= 0 && ra->x0 + (p->filter.w - 1) * p->dilation.w < p->input_dims.w;
        int32_t g;
        for (g = 0; g < ra->groups; ++g, q += 9) {
            tg_dwf_acc a;
            int32_t ky, kx;
            a.a0 = q[0];
            a.a1 = q[1];
            a.a2 = q[2];
            a.a3 = q[3];
            q += 4;
            if (inside) {  /* the taps by increments from the window's top-left one */
                const int32_t ystep = p->dilation.h * p->input_dims.w * p->input_dims.c;
                const int32_t xstep = p->dilation.w * p->input_dims.c;
                const int8_t *row = (const int8_t *)ra->base + (ra->y0 * p->input_dims.w + ra->x0) * p->input_dims.c +
                                    4 * g;
                for (ky = 0; ky < p->filter.h; ++ky, row += ystep) {
                    const int8_t *src = row;
                    for (kx = 0; kx < p->filter.w; ++kx, src += xstep) {
                        tg_dwf_tap(src, *q++, &a, scalar);
                    }
                }
            } else {
                for (ky = 0; ky < p->filter.h; ++ky) {
                    const int32_t y = ra->y0 + ky * p->dilation.h;
                    for (kx = 0; kx < p->filter.w; ++kx) {
                        const int32_t x = ra->x0 + kx * p->dilation.w;
                        const int8_t *src = (uint32_t)y < (uint32_t)p->input_dims.h &&
                                                    (uint32_t)x < (uint32_t)p->input_dims.w
                                                ? (const int8_t *)ra->base + (y * p->input_dims.w + x) * p->input_dims.c
                                                : (const int8_t *)p->pad;
                        tg_dwf_tap(src + 4 * g, *q++, &a, scalar);
                    }
                }
            }
            tg_dwf_store4(a.a0, a.a1, a.a2, a.a3, q, ra->out + 4 * g);
        }
        ra->x0 += p->stride.w;
        ra->out += p->input_dims.c;
    } while (--ra->pixels > 0);
}

/* The partial last group (rem = C % 4 channels, 1..3) of one pixel (window at ra->y0, ra->x0 of the
 * image at ra->base, outputs at ra->out): byte by byte, never reading past the channels of a pixel. */
TG_DWF_NOINLINE void tg_dwf_partial(const tg_dw_fast_params *p, const tg_dwf_run *ra)
{
    const int32_t full = p->input_dims.c >> 2, taps = p->filter.h * p->filter.w;
    const int32_t *q = p->packed + full * TG_DWF_GROUP_WORDS(taps);
    int32_t j, t;
    for (j = 0; j < (p->input_dims.c & 3); ++j) {
        int32_t a = q[j];
        for (t = 0; t < taps; ++t) {
            const int32_t y = ra->y0 + (t / p->filter.w) * p->dilation.h, x = ra->x0 + (t % p->filter.w) * p->dilation.w;
            const int8_t *src = (uint32_t)y < (uint32_t)p->input_dims.h && (uint32_t)x < (uint32_t)p->input_dims.w
                                    ? (const int8_t *)ra->base + (y * p->input_dims.w + x) * p->input_dims.c
                                    : (const int8_t *)p->pad;
            a += (int32_t)src[4 * full + j] * (int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + t] >> (8 * j));
        }
        a = tg_dwf_requant(a, q + 4 + taps + 2 * j, ((uint32_t)q[12 + taps] >> (8 * j)) & 31u);
        ra->out[4 * full + j] = (int8_t)tg_dwf_clamp(a, &p->activation);
    }
}

/* Clamps the full groups of `pixels` pixels (C bytes apart) at out to a range narrower than int8. */
TG_DWF_NOINLINE void tg_dwf_clamp_run(const tg_dw_fast_params *p, int8_t *out, int32_t pixels)
{
    for (; pixels > 0; --pixels, out += p->input_dims.c) {
        int32_t j;
        for (j = 0; j < (p->input_dims.c & ~3); ++j) {
            out[j] = (int8_t)tg_dwf_clamp(out[j], &p->activation);
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

/* The body of tg_dwf_rows_simd / _scalar (see tg_dwf_rows). The parameters are read through p
 * where they are used (after the group loop's inline assembly they are reloaded, not kept in stack
 * slots): what is live across the loop is the row and column, the pointers and the run. */
TG_INLINE tg_status tg_dwf_rows_body(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows,
                                     int scalar)
{
    intptr_t off[TG_DWF_TAPS_3X3];  /* 3x3 filters: tap offsets */
    tg_dwf_run ra;
    int32_t oy, ox;
    if (rows == 0) {  /* every image: its rows one after the other */
        rows = (p->output_dims.n * p->output_dims.h) << 16;
    }
    for (oy = rows & 0xFFFF; oy < (rows >> 16); ++oy, out += p->output_dims.w * p->output_dims.c) {
        if (oy > 0 && oy % p->output_dims.h == 0) {  /* the next image */
            in_b += p->input_dims.h * p->input_dims.w * p->input_dims.c;
        }
        for (ox = 0; ox < p->output_dims.w; ox += ra.pixels) {
            ra.y0 = (oy % p->output_dims.h) * p->stride.h - p->padding.h;
            ra.x0 = ox * p->stride.w - p->padding.w;
            ra.base = (intptr_t)in_b;
            ra.off = off;
            ra.q = p->packed;
            ra.out = out + ox * p->input_dims.c;
            ra.groups = p->input_dims.c >> 2;
            ra.pix_step = p->stride.w * p->input_dims.c;
            ra.out_step = p->input_dims.c;
            ra.pixels = 1;
            if (ra.y0 >= 0 && ra.y0 + (p->filter.h - 1) * p->dilation.h < p->input_dims.h && ra.x0 >= 0 &&
                ra.x0 + (p->filter.w - 1) * p->dilation.w < p->input_dims.w && (p->input_dims.c & 3) == 0) {
                /* a window inside the input: a run of the following pixels whose windows are inside
                 * too (with a partial group a pixel at a time: all channels of a pixel are written
                 * before the next pixel's, the write order the memory planner's overlap rule relies
                 * on) */
                ra.pixels = TG_MIN(p->output_dims.w - ox,
                                   (p->input_dims.w - 1 - ra.x0 - (p->filter.w - 1) * p->dilation.w) / p->stride.w + 1);
            }
            if (ra.groups > 0) {
                const int32_t pixels = ra.pixels;
                if (p->filter.h * p->filter.w == TG_DWF_TAPS_3X3) {
                    /* each tap's offset from the image, or the pad words' for a tap outside the input;
                     * a run: offsets from its first window */
                    int32_t t;
                    for (t = 0; t < TG_DWF_TAPS_3X3; ++t) {
                        const int32_t y = ra.y0 + (t / 3) * p->dilation.h, x = ra.x0 + (t % 3) * p->dilation.w;
                        off[t] = ((uint32_t)y < (uint32_t)p->input_dims.h && (uint32_t)x < (uint32_t)p->input_dims.w)
                                     ? (intptr_t)(y * p->input_dims.w + x) * p->input_dims.c
                                     : (intptr_t)p->pad - (intptr_t)in_b;
                    }
                    if (pixels > 1) {
                        ra.base += off[0];
                        for (t = TG_DWF_TAPS_3X3 - 1; t >= 0; --t) {
                            off[t] -= off[0];
                        }
                    }
                    tg_dwf_groups9(&ra, scalar);
                } else {
                    tg_dwf_groups(p, &ra, scalar);
                }
                ra.pixels = pixels;
                if (tg_dwf_narrow(&p->activation)) {
                    tg_dwf_clamp_run(p, out + ox * p->input_dims.c, pixels);
                }
            }
            if (p->input_dims.c & 3) {  /* one pixel */
                ra.base = (intptr_t)in_b;
                ra.y0 = (oy % p->output_dims.h) * p->stride.h - p->padding.h;
                ra.x0 = ox * p->stride.w - p->padding.w;
                ra.out = out + ox * p->input_dims.c;
                tg_dwf_partial(p, &ra);
            }
        }
    }
    return TG_OK;
}

#endif /* TG_DWF_ROWS_IMPL */

/* The normal kernel: output pixels in raster order, all channels of a pixel together (a tail call
 * of the row loops: no frame of its own on the stack below them). */
TG_INLINE tg_status tg_dwf_run_normal(const tg_dw_fast_params *p, const int8_t *input, int8_t *output, int scalar)
{
    const tg_status st = tg_dwf_check(p);
    if (st != TG_OK) {
        return st;
    }
    return tg_dwf_rows(p, input, output, 0, scalar);
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
TG_INLINE int tg_dwf_planar_columns(const tg_dw_fast_params *p)
{
    const tg_dims *in_d = &p->input_dims;
    return in_d->w < in_d->h && p->output_dims.w == in_d->w && p->padding.w <= 2 &&
           (p->stride.h == 1 || p->stride.h == 2);
}

/* outputs per line below which the planar path's per-line work outweighs its faster inner loop */
#define TG_DWF_PLANAR_MIN_LINE 8

/* The planar path applies (the same answer on every core: the scratch size depends on it). */
TG_INLINE int tg_dwf_planar(const tg_dw_fast_params *p)
{
    if (p->filter.h != 3 || p->filter.w != 3 || p->dilation.h != 1 || p->dilation.w != 1) {
        return 0;
    }
    if (tg_dwf_planar_columns(p)) {
        return p->output_dims.h >= TG_DWF_PLANAR_MIN_LINE;
    }
    return (p->stride.w == 1 || p->stride.w == 2) && p->padding.h <= 2 && p->output_dims.w >= TG_DWF_PLANAR_MIN_LINE;
}

/* Bytes of a planar line: the positions of the line's windows, and room for the last word read. */
TG_INLINE int32_t tg_dwf_planar_len(const tg_dw_fast_params *p)
{
    return tg_dwf_planar_columns(p) ? (p->output_dims.h - 1) * p->stride.h + 6
                                    : (p->output_dims.w - 1) * p->stride.w + 6;
}

/* The planar path's state: the geometry of the image as lines of positions (rows of columns, or,
 * transposed, columns of rows), and the constants of the current channel (the 3x3 weights as
 * halfword pairs, transposed for columns). One struct, read through a pointer by the line loop. */
typedef struct {
    uint32_t w02[3];   /* (w(i, 0), w(i, 2)) halfword pairs, i = line of the window */
    uint32_t w1a;      /* (w(0, 1), w(1, 1)) */
    uint32_t w1b;      /* (w(2, 1), 0) */
    int32_t bias;      /* folded bias */
    int32_t mr[2];     /* multiplier, rounding term */
    uint32_t n;        /* right shift */
    int32_t out_step;  /* bytes between consecutive outputs of a line */
    int32_t count;     /* outputs per line */
    int32_t stride;    /* positions between consecutive windows of a line */
    int32_t lines, line_step, pos_step;  /* input lines, bytes between lines / positions */
    int32_t out_lines, out_line_step;    /* output lines, bytes between them */
    int32_t stride_line, pad_line;       /* window step and padding across lines */
    int32_t len, col0, pos_count;        /* planar line bytes; input positions [0, pos_count) of a line
                                            go to planar positions [col0, col0 + pos_count) */
    int8_t *ring;                        /* 3 planar lines, then the zero-point line */
    const tg_range *act;
} tg_dwf_plane;

/* Channel c's constants into pl. */
TG_INLINE void tg_dwf_chan_load(const int32_t *packed, int32_t c, int transpose, tg_dwf_plane *pl)
{
    const int32_t *q = packed + (c / 4) * TG_DWF_GROUP_WORDS(TG_DWF_TAPS_3X3);
    const int32_t j = c % 4;
    int32_t t;
    for (t = 0; t < 3; ++t) {
        /* taps (i, 0) and (i, 2) of line i: row-major taps 3i, 3i + 2, or columns i, i + 6 */
        const int32_t t0 = transpose ? t : 3 * t, t2 = transpose ? t + 6 : 3 * t + 2;
        pl->w02[t] = tg_pkhbt((uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + t0] >> (8 * j)),
                              (uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + t2] >> (8 * j)), 16);
    }
    /* the middle taps (0, 1), (1, 1), (2, 1): row-major 1, 4, 7, or columns 3, 4, 5 */
    pl->w1a = tg_pkhbt((uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + (transpose ? 3 : 1)] >> (8 * j)),
                       (uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)q[8] >> (8 * j)), 16);
    pl->w1b = (uint32_t)(int32_t)(int8_t)(uint8_t)((uint32_t)q[4 + (transpose ? 5 : 7)] >> (8 * j)) & 0xFFFFu;
    pl->bias = q[j];
    pl->mr[0] = q[13 + 2 * j];
    pl->mr[1] = q[14 + 2 * j];
    pl->n = ((uint32_t)q[21] >> (8 * j)) & 31u;
}

/* n bytes from src, step bytes apart, to dst (4 at a time as one word store; dst is a planar line
 * with room for a whole last word). */
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

/* One output line of one channel from the planar lines r0..r2: pl->count outputs, output x to
 * out[x * pl->out_step], windows pl->stride positions apart. The constants are read through pl
 * (the output stores may alias them for the compiler, so it reloads them instead of keeping copies
 * on the stack). */
TG_INLINE void tg_dwf_planar_line(const int8_t *r0, const int8_t *r1, const int8_t *r2, const tg_dwf_plane *pl,
                                  int8_t *out, int scalar)
{
    int32_t x = 0;
    if (scalar) {
        for (; x < pl->count; ++x, out += pl->out_step, r0 += pl->stride, r1 += pl->stride, r2 += pl->stride) {
            int32_t a = pl->bias;
            a += r0[0] * tg__lo16(pl->w02[0]) + r0[1] * tg__lo16(pl->w1a) + r0[2] * tg__hi16(pl->w02[0]);
            a += r1[0] * tg__lo16(pl->w02[1]) + r1[1] * tg__hi16(pl->w1a) + r1[2] * tg__hi16(pl->w02[1]);
            a += r2[0] * tg__lo16(pl->w02[2]) + r2[1] * tg__lo16(pl->w1b) + r2[2] * tg__hi16(pl->w02[2]);
            a = tg_dwf_requant(a, pl->mr, pl->n);
            *out = (int8_t)(tg_dwf_narrow(pl->act) ? tg_dwf_clamp(a, pl->act) : a);
        }
        return;
    }
    if (pl->stride == 1 && pl->count >= 2) {
        /* rows as one pointer and two offsets; the clamp (if any) in a pass of its own below */
        const intptr_t d1 = r1 - r0, d2 = r2 - r0;
        const int8_t *s0 = r0;
        int8_t *o = out;
        int32_t pairs = pl->count / 2;
        do {
            const int32_t bias = pl->bias;
            uint32_t v, e, od;
            int32_t a, b;
            v = tg_read_s8x4(s0);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, pl->w02[0], bias);
            b = tg_smlad(od, pl->w02[0], bias);
            a = tg_smlabb(od, pl->w1a, a);
            b = tg_smlatb(e, pl->w1a, b);
            v = tg_read_s8x4(s0 + d1);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, pl->w02[1], a);
            b = tg_smlad(od, pl->w02[1], b);
            a = tg_smlabt(od, pl->w1a, a);
            b = tg_smlatt(e, pl->w1a, b);
            v = tg_read_s8x4(s0 + d2);
            e = tg_sxtb16(v);
            od = tg_sxtb16_ror8(v);
            a = tg_smlad(e, pl->w02[2], a);
            b = tg_smlad(od, pl->w02[2], b);
            a = tg_smlabb(od, pl->w1b, a);
            b = tg_smlatb(e, pl->w1b, b);
            a = tg_dwf_requant(a, pl->mr, pl->n);
            b = tg_dwf_requant(b, pl->mr, pl->n);
            o[0] = (int8_t)a;
            o[pl->out_step] = (int8_t)b;
            o += 2 * pl->out_step;
            s0 += 2;
        } while (--pairs > 0);
        x = pl->count & ~1;
        if (tg_dwf_narrow(pl->act)) {
            int8_t *c = out;
            int32_t i;
            for (i = 0; i < x; ++i, c += pl->out_step) {
                *c = (int8_t)tg_dwf_clamp(*c, pl->act);
            }
        }
        out = o;
    }
    for (; x < pl->count; ++x, out += pl->out_step) {
        /* stride 2, or the last output of an odd line: positions x * stride .. + 2 */
        const int32_t i = x * pl->stride;
        uint32_t v;
        int32_t a;
        v = tg_read_s8x4(r0 + i);
        a = tg_smlad(tg_sxtb16(v), pl->w02[0], pl->bias);
        a = tg_smlabb(tg_sxtb16_ror8(v), pl->w1a, a);
        v = tg_read_s8x4(r1 + i);
        a = tg_smlad(tg_sxtb16(v), pl->w02[1], a);
        a = tg_smlabt(tg_sxtb16_ror8(v), pl->w1a, a);
        v = tg_read_s8x4(r2 + i);
        a = tg_smlad(tg_sxtb16(v), pl->w02[2], a);
        a = tg_smlabb(tg_sxtb16_ror8(v), pl->w1b, a);
        a = tg_dwf_requant(a, pl->mr, pl->n);
        *out = (int8_t)(tg_dwf_narrow(pl->act) ? tg_dwf_clamp(a, pl->act) : a);
    }
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_planar_line_simd(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                                         const tg_dwf_plane *pl, int8_t *out)
{
    tg_dwf_planar_line(r0, r1, r2, pl, out, 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC void tg_dwf_planar_line_scalar(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                                                           const tg_dwf_plane *pl, int8_t *out)
{
    tg_dwf_planar_line(r0, r1, r2, pl, out, 1);
}

/* All output lines of one channel: img points at the channel's first input position of line 0,
 * out at the channel's first output. */
TG_INLINE void tg_dwf_planar_channel(const tg_dwf_plane *pl, const int8_t *img, int8_t *out, int scalar)
{
    int8_t *slot0 = pl->ring, *slot1 = pl->ring + pl->len, *slot2 = pl->ring + 2 * pl->len;
    int32_t ol, top = -pl->pad_line, next = INT32_MIN;
    for (ol = 0; ol < pl->out_lines; ++ol, top += pl->stride_line, out += pl->out_line_step) {
        if (next < top) {
            next = top;
        }
        /* read lines next .. top + 2 into the ring (it keeps the newest three) */
        for (; next <= top + 2; ++next) {
            int8_t *t = slot0;
            slot0 = slot1;
            slot1 = slot2;
            slot2 = t;
            if ((uint32_t)next < (uint32_t)pl->lines) {
                tg_dwf_gather(t + pl->col0, img + next * pl->line_step, pl->pos_count, pl->pos_step);
            }
        }
        {
            const int8_t *const r0 = (uint32_t)top < (uint32_t)pl->lines ? slot0 : pl->ring + 3 * pl->len;
            const int8_t *const r1 = (uint32_t)(top + 1) < (uint32_t)pl->lines ? slot1 : pl->ring + 3 * pl->len;
            const int8_t *const r2 = (uint32_t)(top + 2) < (uint32_t)pl->lines ? slot2 : pl->ring + 3 * pl->len;
            if (scalar) {
                tg_dwf_planar_line_scalar(r0, r1, r2, pl, out);
            } else {
                tg_dwf_planar_line_simd(r0, r1, r2, pl, out);
            }
        }
    }
}

/* The in-place planar path (see above). */
TG_INLINE tg_status tg_dwf_run_planar(const tg_dw_fast_params *p, int8_t *data, int8_t *ring, int scalar)
{
    const int tr = tg_dwf_planar_columns(p);
    const int32_t ch = p->input_dims.c;
    const int32_t pos = tr ? p->input_dims.h : p->input_dims.w, pad_pos = tr ? p->padding.h : p->padding.w;
    const int32_t first = TG_MAX(0, -pad_pos);
    tg_dwf_plane pl;
    int32_t b, c, i;
    pl.len = tg_dwf_planar_len(p);
    pl.lines = tr ? p->input_dims.w : p->input_dims.h;
    pl.line_step = tr ? ch : p->input_dims.w * ch;
    pl.pos_step = tr ? p->input_dims.w * ch : ch;
    pl.out_lines = tr ? p->output_dims.w : p->output_dims.h;
    pl.out_line_step = tr ? ch : p->output_dims.w * ch;
    pl.stride_line = tr ? p->stride.w : p->stride.h;
    pl.pad_line = tr ? p->padding.w : p->padding.h;
    /* planar position j holds input position j - pad_pos */
    pl.col0 = TG_MAX(0, pad_pos);
    pl.pos_count = TG_MAX(0, TG_MIN(pos, pl.len - pad_pos) - first);
    pl.ring = ring;
    pl.act = &p->activation;
    pl.out_step = tr ? p->output_dims.w * ch : ch;
    pl.count = tr ? p->output_dims.h : p->output_dims.w;
    pl.stride = tr ? p->stride.h : p->stride.w;
    /* the zero point everywhere: the input positions of the 3 ring lines are rewritten line by line,
     * the padding positions and the 4th line stay */
    for (i = 0; i < 4 * pl.len; ++i) {
        ring[i] = ((const int8_t *)p->pad)[0];
    }
    if (pl.pos_count <= 0) {
        pl.lines = 0; /* no input position inside the planar lines: every line is padding */
    }
    for (b = 0; b < p->input_dims.n; ++b) {
        for (c = 0; c < ch; ++c) {
            tg_dwf_chan_load(p->packed, c, tr, &pl);
            tg_dwf_planar_channel(&pl, data + b * p->input_dims.h * p->input_dims.w * ch + first * pl.pos_step + c,
                                  data + b * p->output_dims.h * p->output_dims.w * ch + c, scalar);
        }
    }
    return TG_OK;
}

TG_DWF_NOINLINE TG_DWF_FUNC tg_status tg_dwf_run_planar_simd(const tg_dw_fast_params *p, int8_t *data, int8_t *ring)
{
    return tg_dwf_run_planar(p, data, ring, 0);
}

TG_DWF_NOINLINE TG_DWF_FUNC tg_status tg_dwf_run_planar_scalar(const tg_dw_fast_params *p, int8_t *data,
                                                               int8_t *ring)
{
    return tg_dwf_run_planar(p, data, ring, 1);
}

/* -- in place, other layers: a ring of output rows -------------------------------------------------
 *
 * Output rows (all channels, computed as by the normal kernel) go to a ring of R output rows; row r
 * goes back over the input once every input row up to r has been read for the last time, i.e.
 * after output row floor((r + padding.h) / stride.h) has been computed (output row r covers input
 * rows <= r, as OW <= W). At most R = min(max(padding.h, 0) + 1, OH) rows wait.
 */
TG_INLINE int32_t tg_dwf_ring_rows(const tg_dw_fast_params *p)
{
    return TG_MAX(1, TG_MIN(TG_MAX(p->padding.h, 0) + 1, p->output_dims.h));
}

/* Scratch bytes of the in-place kernel. */
TG_INLINE int32_t tg_dwf_inplace_scratch(const tg_dw_fast_params *p)
{
    if (tg_dwf_planar(p)) {
        return 4 * tg_dwf_planar_len(p);
    }
    return tg_dwf_ring_rows(p) * p->output_dims.w * p->output_dims.c;
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

/* The in-place ring-of-rows path (see above). The state between the calls of the row loop is
 * read back from p and recomputed rather than kept: the frame holds the loop counters only. */
TG_INLINE tg_status tg_dwf_run_ring(const tg_dw_fast_params *p, int8_t *data, int8_t *ring, int scalar)
{
    int32_t b, oy, next;
    for (b = 0; b < p->input_dims.n; ++b) {
        next = 0; /* the first output row not yet written back */
        for (oy = 0; oy <= p->output_dims.h; ++oy) {
            const int32_t row_bytes = p->output_dims.w * p->output_dims.c, ring_rows = tg_dwf_ring_rows(p);
            if (oy < p->output_dims.h) {
                tg_dwf_rows(p, data + b * p->input_dims.h * p->input_dims.w * p->input_dims.c,
                            ring + (oy % ring_rows) * row_bytes, oy | ((oy + 1) << 16), scalar);
            }
            /* C division truncates: (next + pad) / stride <= oy holds for every negative numerator too;
             * after the last row (oy == OH) every row left goes back */
            while (next < p->output_dims.h && (oy == p->output_dims.h ||
                                              (next <= oy && (next + p->padding.h) / p->stride.h <= oy))) {
                tg_dwf_copy(data + (b * p->output_dims.h + next) * row_bytes, ring + (next % ring_rows) * row_bytes,
                            row_bytes);
                ++next;
            }
        }
    }
    return TG_OK;
}

TG_DWF_NOINLINE tg_status tg_dwf_run_ring_simd(const tg_dw_fast_params *p, int8_t *data, int8_t *ring)
{
    return tg_dwf_run_ring(p, data, ring, 0);
}

TG_DWF_NOINLINE tg_status tg_dwf_run_ring_scalar(const tg_dw_fast_params *p, int8_t *data, int8_t *ring)
{
    return tg_dwf_run_ring(p, data, ring, 1);
}

/* The in-place kernel (tail calls of its two paths). */
TG_INLINE tg_status tg_dwf_run_inplace(const tg_context *ctx, const tg_dw_fast_params *p, int8_t *data, int scalar)
{
    const tg_status st = tg_dwf_check(p);
    if (st != TG_OK) {
        return st;
    }
    if (p->output_dims.h > p->input_dims.h || p->output_dims.w > p->input_dims.w) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || ctx->buf == NULL || ctx->size < tg_dwf_inplace_scratch(p)) {
        return TG_ERR_BUFFER;
    }
    if (tg_dwf_planar(p)) {
        return scalar ? tg_dwf_run_planar_scalar(p, data, (int8_t *)ctx->buf)
                      : tg_dwf_run_planar_simd(p, data, (int8_t *)ctx->buf);
    }
    return scalar ? tg_dwf_run_ring_scalar(p, data, (int8_t *)ctx->buf)
                  : tg_dwf_run_ring_simd(p, data, (int8_t *)ctx->buf);
}

#endif /* TG_DW_FAST_H */
