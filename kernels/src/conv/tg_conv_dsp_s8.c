/*
 * tg_conv_dsp_s8.c - int8 2-D convolution for cores with the DSP extension (Cortex-M4/M7/M33):
 * a blocked matrix multiply on SMLAD, with the offsets folded into the bias at compile time and
 * the fast exact requantization of tg_fast.h. See tg_nn.h for the contract.
 *
 * Layout. K = KH * KW * C_in values per output channel in window order (ky, kx, c), padded with
 * zero weights to K4 = K rounded up to a multiple of 4 ("groups" of four). Output channels go in
 * pairs (an odd count gets a zero dummy channel); pair j holds, for each group g, the word of
 * channel 2j then the word of channel 2j + 1. SXTB16 and SXTB16-ROR8 unpack a word into
 * (w0, w2) and (w1, w3); an input word unpacked the same way meets the matching values in SMLAD.
 *
 * Pair mode (scratch given): two output pixels (consecutive in raster order, across rows and
 * images) at a time, all their channels. Pixel p's window goes to the scratch as int16, already
 * unpacked in SMLAD order (so it is widened once, not once per channel pair); pixel p + 1's window
 * is read as int8 - directly from the input for a 1x1 convolution whose pixels are contiguous,
 * else gathered into the scratch too. Both windows are read before any output of the pair is
 * written, and out[p + 1] lies below the input of pixel p + 1 under the memory planner's
 * write-order rule, so the partial input/output overlap rule of tg_nn.h holds unchanged.
 *
 * Single mode (no scratch, C_in % 4 == 0): one pixel at a time, reading its window rows straight
 * from the input; padded taps read pad_row (KW * C_in bytes of the input zero point).
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

typedef struct {
    const int8_t *input;
    int32_t in_h, in_w, in_c;
    int32_t k_h, k_w;
    int32_t groups;           /* K4 / 4 */
    int32_t k;                /* K */
    int32_t out_c;
    int32_t pairs;            /* (out_c + 1) / 2 */
    const tg_conv_fast_params *p;
} conv_geom;

/* Requantize, clamp and store one accumulator of channel words q. */
TG_INLINE void store1(int8_t *dst, int32_t acc, const int32_t *q, int32_t lo, int32_t hi)
{
    int32_t v = tg_ssat8(tg_fast_requant(acc, q[1], q[2], q[3]));
    *dst = (int8_t)tg_fast_clamp(v, lo, hi);
}

/* Window of the output pixel whose top-left input position is (y0, x0) in image in_b, as int8
 * values in window order, padded taps and the tail up to K4 set to the pad value. */
static void gather(const conv_geom *g, const int8_t *in_b, int32_t y0, int32_t x0, int8_t *dst)
{
    const tg_conv_fast_params *p = g->p;
    const int32_t c = g->in_c, dh = p->dilation.h, dw = p->dilation.w;
    const uint32_t pad4 = 0x01010101u * (uint8_t)p->pad_value;
    int32_t ky, kx;
    /* taps kx in [kx_lo, kx_hi) fall inside the row */
    int32_t kx_lo = 0, kx_hi = g->k_w;
    while (kx_lo < kx_hi && x0 + kx_lo * dw < 0) {
        ++kx_lo;
    }
    while (kx_hi > kx_lo && x0 + (kx_hi - 1) * dw >= g->in_w) {
        --kx_hi;
    }
    for (ky = 0; ky < g->k_h; ++ky) {
        const int32_t y = y0 + ky * dh;
        if (y < 0 || y >= g->in_h || kx_lo == kx_hi) {
            tg_fast_fill(dst, pad4, g->k_w * c);
            dst += g->k_w * c;
            continue;
        }
        tg_fast_fill(dst, pad4, kx_lo * c);
        dst += kx_lo * c;
        {
            const int8_t *src = in_b + ((int32_t)y * g->in_w + x0 + kx_lo * dw) * c;
            if (dw == 1) {
                tg_fast_copy(dst, src, (kx_hi - kx_lo) * c);
                dst += (kx_hi - kx_lo) * c;
            } else {
                for (kx = kx_lo; kx < kx_hi; ++kx, src += dw * c, dst += c) {
                    tg_fast_copy(dst, src, c);
                }
            }
        }
        tg_fast_fill(dst, pad4, (g->k_w - kx_hi) * c);
        dst += (g->k_w - kx_hi) * c;
    }
    tg_fast_fill(dst, pad4, g->groups * 4 - g->k);
}

/* int8 values (groups of four) -> int16 pairs in SMLAD order: (v0, v2), (v1, v3) per group. */
static void widen(const int8_t *src, uint32_t *dst, int32_t groups)
{
    for (; groups > 0; --groups, dst += 2) {
        const uint32_t v = tg_read_s8x4_ia(&src);
        dst[0] = tg_sxtb16(v);
        dst[1] = tg_sxtb16_ror8(v);
    }
}

/* Two pixels x all output channels: xa = pixel 0 widened (2 words per group, 4-byte aligned),
 * xb = pixel 1 as int8. */
static void pair_pixels(const conv_geom *g, const uint32_t *xa, const int8_t *xb,
                        const int32_t *w32, const int32_t *q, int8_t *y0, int8_t *y1)
{
    const int32_t groups = g->groups;
    const uint32_t *wp = (const uint32_t *)w32;
    int8_t *const y0_end = y0 + g->out_c;
    while (y0 != y0_end) {
        int32_t a00 = q[0], a01 = q[TG_FAST_CH_WORDS];
        int32_t a10 = a00, a11 = a01;
        tg_fast_mac2x2(xa, xb, &wp, groups, &a00, &a01, &a10, &a11);
        {
            /* all channel words loaded after the loop (the asm's memory clobber keeps them there)
             * and before the first int8 store (which may alias anything) */
            const int32_t m0 = q[1], r0 = q[2], n0 = q[3], m1 = q[5], r1 = q[6], n1 = q[7];
            const int32_t v00 = tg_ssat8(tg_fast_requant(a00, m0, r0, n0));
            const int32_t v10 = tg_ssat8(tg_fast_requant(a10, m0, r0, n0));
            const int32_t v01 = tg_ssat8(tg_fast_requant(a01, m1, r1, n1));
            const int32_t v11 = tg_ssat8(tg_fast_requant(a11, m1, r1, n1));
            q += 2 * TG_FAST_CH_WORDS;
            *y0++ = (int8_t)v00;
            *y1++ = (int8_t)v10;
            if (y0 == y0_end) {
                break;  /* odd channel count: the last pair's partner is a dummy */
            }
            *y0++ = (int8_t)v01;
            *y1++ = (int8_t)v11;
        }
    }
}

/* Clamp n outputs to a narrower activation range than int8 (done after the fact). */
static void clamp_outputs(int8_t *y, int32_t n, int32_t lo, int32_t hi)
{
    for (; n > 0; --n, ++y) {
        *y = (int8_t)tg_fast_clamp(*y, lo, hi);
    }
}

/* One pixel x all output channels. contiguous != NULL: the window is these K4 int8 values;
 * else it is read row by row from image in_b at top-left input position (y0, x0), padded taps
 * from pad_row (requires C_in % 4 == 0). */
static void single_pixel(const conv_geom *g, const int8_t *contiguous, const int8_t *in_b, int32_t y0, int32_t x0,
                         const int8_t *pad_row, const int32_t *w32, const int32_t *q, int8_t *y)
{
    const tg_conv_fast_params *p = g->p;
    const int32_t lo = p->activation.min, hi = p->activation.max;
    const int32_t c = g->in_c, dh = p->dilation.h, dw = p->dilation.w, cg = c / 4;
    int32_t kx_lo = 0, kx_hi = g->k_w;
    int32_t j;
    if (contiguous == NULL) {
        while (kx_lo < kx_hi && x0 + kx_lo * dw < 0) {
            ++kx_lo;
        }
        while (kx_hi > kx_lo && x0 + (kx_hi - 1) * dw >= g->in_w) {
            --kx_hi;
        }
    }
    for (j = 0; j < g->pairs; ++j, q += 2 * TG_FAST_CH_WORDS) {
        const uint32_t *wp = (const uint32_t *)w32 + (int32_t)j * 2 * g->groups;
        int32_t a0 = q[0], a1 = q[TG_FAST_CH_WORDS];
        if (contiguous != NULL) {
            tg_fast_mac1x2(contiguous, &wp, g->groups, &a0, &a1);
        } else {
            int32_t ky, kx;
            for (ky = 0; ky < g->k_h; ++ky) {
                const int32_t yy = y0 + ky * dh;
                if (yy < 0 || yy >= g->in_h || kx_lo == kx_hi) {
                    tg_fast_mac1x2(pad_row, &wp, g->k_w * cg, &a0, &a1);
                    continue;
                }
                tg_fast_mac1x2(pad_row, &wp, kx_lo * cg, &a0, &a1);
                {
                    const int8_t *src = in_b + ((int32_t)yy * g->in_w + x0 + kx_lo * dw) * c;
                    if (dw == 1) {
                        tg_fast_mac1x2(src, &wp, (kx_hi - kx_lo) * cg, &a0, &a1);
                    } else {
                        for (kx = kx_lo; kx < kx_hi; ++kx, src += dw * c) {
                            tg_fast_mac1x2(src, &wp, cg, &a0, &a1);
                        }
                    }
                }
                tg_fast_mac1x2(pad_row, &wp, (g->k_w - kx_hi) * cg, &a0, &a1);
            }
        }
        store1(y + 2 * j, a0, q, lo, hi);
        if (2 * j + 1 < g->out_c) {
            store1(y + 2 * j + 1, a1, q + TG_FAST_CH_WORDS, lo, hi);
        }
    }
}

/* A 1x1 convolution whose output pixels read consecutive input pixels (stride 1, no padding, the
 * full input width), with C_in % 4 == 0: windows are read in place. */
static int conv_direct(const tg_conv_fast_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && params->stride.h == 1 && params->stride.w == 1 &&
           params->padding.h == 0 && params->padding.w == 0 && output_dims->w == input_dims->w &&
           output_dims->h <= input_dims->h && (input_dims->c & 3) == 0;
}

int32_t tg_conv_dsp_s8_get_buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims,
                                       const tg_dims *output_dims)
{
    const int32_t k4 = (params->filter.h * params->filter.w * input_dims->c + 3) & ~3;
    /* pixel p widened (2 * K4 bytes), pixel p + 1 gathered (K4 bytes) unless read in place */
    return 2 * k4 + (conv_direct(params, input_dims, output_dims) ? 0 : k4);
}

tg_status tg_conv_dsp_s8(const tg_context *ctx, const tg_conv_fast_params *params,
                         const tg_dims *input_dims, const int8_t *input,
                         const int32_t *weights, const int32_t *channels, const int8_t *pad_row,
                         const tg_dims *output_dims, int8_t *output)
{
    conv_geom g;
    const int32_t oh = output_dims->h, ow = output_dims->w, n = output_dims->n;
    const int32_t in_image = input_dims->h * input_dims->w * input_dims->c;
    const int32_t need = tg_conv_dsp_s8_get_buffer_size(params, input_dims, output_dims);
    const int narrow = params->activation.min != -128 || params->activation.max != 127;
    int32_t b, oy, ox;
    int pair_mode;

    g.input = input;
    g.in_h = input_dims->h;
    g.in_w = input_dims->w;
    g.in_c = input_dims->c;
    g.k_h = params->filter.h;
    g.k_w = params->filter.w;
    g.k = g.k_h * g.k_w * g.in_c;
    g.groups = (g.k + 3) / 4;
    g.out_c = output_dims->c;
    g.pairs = (g.out_c + 1) / 2;
    g.p = params;
    if (n != input_dims->n || g.k <= 0 || g.out_c <= 0 || params->stride.h < 1 || params->stride.w < 1 ||
        params->dilation.h < 1 || params->dilation.w < 1) {
        return TG_ERR_ARG;
    }
    pair_mode = ctx != NULL && ctx->buf != NULL && ctx->size >= need && ((uintptr_t)ctx->buf & 3u) == 0;
    if (!pair_mode && ((g.in_c & 3) != 0 || pad_row == NULL)) {
        return TG_ERR_BUFFER;
    }

    if (pair_mode) {
        const int direct = conv_direct(params, input_dims, output_dims);
        uint32_t *xa = (uint32_t *)ctx->buf;
        int8_t *xb = (int8_t *)ctx->buf + 8 * g.groups;
        const int32_t total = n * oh * ow;
        int32_t pix, nb = 0, ny = 0, nx = 0;  /* position of the next pixel to read */
        const int8_t *src[2];
        int8_t *out = output;
        for (pix = 0; pix < total; pix += 2) {
            const int two = pix + 1 < total;
            int k;
            for (k = 0; k < 1 + two; ++k) {
                const int8_t *in_b = input + (int32_t)nb * in_image;
                if (direct) {
                    src[k] = in_b + ((int32_t)ny * g.in_w + nx) * g.in_c;
                } else {
                    gather(&g, in_b, ny * params->stride.h - params->padding.h,
                           nx * params->stride.w - params->padding.w, xb);
                    src[k] = xb;
                }
                if (k == 0 && two) {
                    widen(src[0], xa, g.groups);
                }
                if (++nx == ow) {
                    nx = 0;
                    if (++ny == oh) {
                        ny = 0;
                        ++nb;
                    }
                }
            }
            if (two) {
                pair_pixels(&g, xa, src[1], weights, channels, out, out + g.out_c);
                if (narrow) {
                    clamp_outputs(out, 2 * g.out_c, params->activation.min, params->activation.max);
                }
                out += 2 * g.out_c;
            } else {
                single_pixel(&g, src[0], NULL, 0, 0, NULL, weights, channels, out);
            }
        }
        return TG_OK;
    }

    for (b = 0; b < n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_image;
        for (oy = 0; oy < oh; ++oy) {
            for (ox = 0; ox < ow; ++ox) {
                single_pixel(&g, NULL, in_b, oy * params->stride.h - params->padding.h,
                             ox * params->stride.w - params->padding.w, pad_row, weights, channels, output);
                output += g.out_c;
            }
        }
    }
    return TG_OK;
}
