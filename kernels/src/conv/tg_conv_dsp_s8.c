/*
 * tg_conv_dsp_s8.c - int8 2-D convolution for cores with the DSP extension (Cortex-M4/M7/M33):
 * a blocked matrix multiply on SMLAD, with the offsets folded into the bias at compile time and
 * the fast exact requantization of tg_fast.h. See tg_nn.h for the contract.
 *
 * Layout. K = KH * KW * C_in values per output channel in window order (ky, kx, c), padded with
 * zero weights to K8 = K rounded up to a multiple of 8 (an even number of groups of four).
 * Output channels go in pairs (an odd count gets a zero dummy channel); pair j holds, for each
 * group g, the word of channel 2j then the word of channel 2j + 1. SXTB16 and SXTB16-ROR8 unpack a
 * word into (w0, w2) and (w1, w3); an input word unpacked the same way meets the matching values
 * in SMLAD. Channel words per pair: [bias0, bias1, mult0, round0, shift0, mult1, round1, shift1].
 *
 * Pair mode (scratch given): two output pixels (consecutive in raster order, across rows and
 * images) at a time, all their channels. Pixel p's window goes to the scratch as int16, already
 * unpacked in SMLAD order (widened once, not once per channel pair); pixel p + 1's window is read
 * as int8 - in place for a 1x1 convolution whose pixels are contiguous, else gathered into the
 * scratch too. Both windows are read (copied, or for p + 1 in place: its input lies above
 * everything the pair writes under the planner's rule) before the pair's first output is written,
 * so the tg_nn.h partial-overlap contract holds unchanged.
 *
 * Single mode (no scratch, C_in % 4 == 0): one pixel at a time, its window read row segment by
 * row segment from the input (padded taps from pad_row), all its outputs written after.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t k_h, k_w;
    int32_t k;                /* K */
    int32_t groups;           /* K8 / 4 */
    int32_t out_c;
    const tg_conv_fast_params *p;
} conv_geom;

/* A 1x1 convolution whose output pixels read consecutive input pixels (stride 1, no padding, the
 * full input width), with C_in % 8 == 0: pixel p + 1 is read in place. */
static int conv_direct(const tg_conv_fast_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && params->stride.h == 1 && params->stride.w == 1 &&
           params->padding.h == 0 && params->padding.w == 0 && output_dims->w == input_dims->w &&
           output_dims->h <= input_dims->h && (input_dims->c & 7) == 0;
}

/* The window (segments) as int8 values at dst (the tail up to K8 is left as it is: its weights
 * are zero). */
TG_NOINLINE static void gather(const tg_fast_segment *seg, int32_t n, uint32_t pad4, int8_t *dst)
{
    for (; n > 0; --n, ++seg) {
        if (seg->src != NULL) {
            tg_fast_copy(dst, seg->src, seg->bytes);
        } else {
            tg_fast_fill(dst, pad4, seg->bytes);
        }
        dst += seg->bytes;
    }
}

/* int8 values (groups of four) spread over the scratch: per group at dst[0], dst[1] the int16
 * pairs in SMLAD order, (v0, v2) and (v1, v3) (raw == 0), or the int8 word itself at dst[0]
 * (raw != 0); then dst += step. src NULL: the value v (replicated in a word) throughout. Returns
 * the next dst. */
TG_NOINLINE static uint32_t *spread(const int8_t *src, uint32_t v, uint32_t *dst, int32_t groups, int32_t step,
                                    int raw)
{
    if (src == NULL) {
        const uint32_t lo = raw ? v : tg_sxtb16(v), hi = tg_sxtb16_ror8(v);
        for (; groups > 0; --groups, dst += step) {
            dst[0] = lo;
            if (!raw) {
                dst[1] = hi;
            }
        }
    } else if (raw) {
        for (; groups > 0; --groups, dst += step) {
            dst[0] = tg_read_s8x4_ia(&src);
        }
    } else {
        for (; groups > 0; --groups, dst += step) {
            v = tg_read_s8x4_ia(&src);
            dst[0] = tg_sxtb16(v);
            dst[1] = tg_sxtb16_ror8(v);
        }
    }
    return dst;
}

/* A window spread over the scratch straight from its runs (every run a whole number of groups:
 * C_in % 4 == 0). */
static void spread_segments(const tg_fast_segment *seg, int32_t n, uint32_t pad4, uint32_t *dst, int32_t step,
                            int raw)
{
    for (; n > 0; --n, ++seg) {
        dst = spread(seg->src, pad4, dst, seg->bytes / 4, step, raw);
    }
}

/* Clamp n outputs to an activation range narrower than int8 (pair mode stores int8-saturated
 * values; rewriting them in place changes no other byte). */
TG_NOINLINE static void clamp_outputs(int8_t *y, int32_t n, int32_t lo, int32_t hi)
{
    for (; n > 0; --n, ++y) {
        *y = (int8_t)tg_fast_clamp(*y, lo, hi);
    }
}

/* Two pixels x all output channels (pair mode): words per group at xa: 2 (x1 int8 at x1), 3 (x1's
 * word interleaved) or 4 (both widened). */
TG_NOINLINE static void pair_pixels(const conv_geom *g, const uint32_t *xa, const int8_t *x1, int32_t words,
                                    const int32_t *weights, const int32_t *channels, int8_t *y0, int8_t *y1)
{
    const int32_t full = g->out_c / 2;
    tg_fast_pair_state st;
    int k;
    st.wp = (const uint32_t *)weights;
    st.xa = xa;
    st.xb = x1;
    st.wbytes = 8 * g->groups;
    st.q = channels;
    st.q_end = channels + full * 2 * TG_FAST_CH_WORDS;
    st.y0 = y0;
    st.y1 = y1;
    for (k = full > 0 ? 0 : 1; k < 1 + (g->out_c & 1); ++k) {
        int8_t tmp[4];
        if (k == 1) {  /* the last channel: its partner is a dummy, computed into a local */
            st.q_end = st.q + 2 * TG_FAST_CH_WORDS;
            st.y0 = tmp;
            st.y1 = tmp + 2;
        }
        if (words == 4) {
            tg_fast_pairs2x2w(&st);
        } else if (words == 3) {
            tg_fast_pairs2x2m(&st);
        } else {
            tg_fast_pairs2x2(&st);
        }
        if (k == 1) {
            y0[g->out_c - 1] = tmp[0];
            y1[g->out_c - 1] = tmp[2];
        }
    }
}

/* One pixel x all output channels, four at a time: the window is n segments (padding read from
 * pad_row; every segment a whole number of groups). */
TG_NOINLINE static void single_pixel(const conv_geom *g, const tg_fast_segment *seg, int32_t n, const int8_t *pad_row,
                                     const int32_t *weights, const int32_t *q, int8_t *y)
{
    const int32_t pair_words = 2 * g->groups;
    int32_t c, s;
    for (c = 0; c < g->out_c; c += 4, q += 4 * TG_FAST_CH_WORDS) {
        const uint32_t *w = (const uint32_t *)weights + (int32_t)(c / 2) * pair_words;
        const uint32_t *v = w + pair_words;
        const int32_t k = TG_MIN(g->out_c - c, 4);
        const int32_t *q1 = q + 2 * TG_FAST_CH_WORDS * (k > 2);  /* channel words of the second pair */
        int32_t a0 = q[0], a1 = q[1], a2 = q1[0], a3 = q1[1];
        for (s = 0; s < n; ++s) {
            const int8_t *x = seg[s].src != NULL ? seg[s].src : pad_row;
            if (k > 2) {
                tg_fast_mac1x4(&x, &w, &v, seg[s].bytes / 4, &a0, &a1, &a2, &a3);
            } else {
                tg_fast_mac1x2(&x, &w, seg[s].bytes / 4, &a0, &a1);
            }
        }
        tg_fast_store4(y + c, k, a0, a1, a2, a3, q + 2, q + 5, q1 + 2, q1 + 5, g->p->activation.min,
                       g->p->activation.max);
    }
}

/* Pair-mode buffers: per group of four values, `words` words (4: both pixels widened, 3: pixel p
 * widened and pixel p + 1's int8 word, 2: pixel p widened), plus K8 bytes to gather a window into
 * where the runs of a window are not whole groups (C_in % 4 != 0), or where pixel p + 1 is needed
 * as contiguous int8 values (2 words) and not read in place. */
static int32_t buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims, const tg_dims *output_dims,
                           int32_t words)
{
    const int32_t k8 = (params->filter.h * params->filter.w * input_dims->c + 7) & ~7;
    const int slot = (input_dims->c & 3) != 0 || (words == 2 && !conv_direct(params, input_dims, output_dims));
    return words * k8 + (slot ? k8 : 0);
}

int32_t tg_conv_dsp_s8_get_buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims,
                                       const tg_dims *output_dims)
{
    return buffer_size(params, input_dims, output_dims, 4);
}

int32_t tg_conv_dsp_s8_get_mid_buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims,
                                           const tg_dims *output_dims)
{
    return buffer_size(params, input_dims, output_dims, 3);
}

int32_t tg_conv_dsp_s8_get_min_buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims,
                                           const tg_dims *output_dims)
{
    return buffer_size(params, input_dims, output_dims, 2);
}

tg_status tg_conv_dsp_s8(const tg_context *ctx, const tg_conv_fast_params *params,
                         const tg_dims *input_dims, const int8_t *input,
                         const int32_t *weights, const int32_t *channels, const int8_t *pad_row,
                         const tg_dims *output_dims, int8_t *output)
{
    conv_geom g;
    const int32_t oh = output_dims->h, ow = output_dims->w, n = output_dims->n;
    const int32_t in_image = input_dims->h * input_dims->w * input_dims->c;
    const int narrow = params->activation.min != -128 || params->activation.max != 127;
    int32_t words = 0;  /* pair mode: scratch words per group (4, 3, 2); 0: single pixels */

    g.in_h = input_dims->h;
    g.in_w = input_dims->w;
    g.in_c = input_dims->c;
    g.k_h = params->filter.h;
    g.k_w = params->filter.w;
    g.k = g.k_h * g.k_w * g.in_c;
    g.groups = ((g.k + 7) & ~7) / 4;
    g.out_c = output_dims->c;
    g.p = params;
    if (n != input_dims->n || g.k <= 0 || g.out_c <= 0 || params->stride.h < 1 || params->stride.w < 1 ||
        params->dilation.h < 1 || params->dilation.w < 1) {
        return TG_ERR_ARG;
    }
    if (ctx != NULL && ctx->buf != NULL && ((uintptr_t)ctx->buf & 3u) == 0) {
        for (words = 4; words >= 2; --words) {
            if (ctx->size >= buffer_size(params, input_dims, output_dims, words)) {
                break;
            }
        }
        words = words < 2 ? 0 : words;
    }
    if (tg_fast_window_too_large(params)) {
        return TG_ERR_ARG;
    }
    if (words == 0 && ((g.in_c & 3) != 0 || pad_row == NULL)) {
        return TG_ERR_BUFFER;
    }

    if (words != 0 && conv_direct(params, input_dims, output_dims)) {
        /* 1x1 read in place: pixel p's input is the p-th C_in bytes of its image */
        const int32_t c = g.in_c, per_image = oh * ow;
        uint32_t *const xa = (uint32_t *)ctx->buf;
        const int8_t *cur = input, *image = input;
        int32_t left = per_image, pix;
        tg_fast_segment one;
        for (pix = 0; pix < n * per_image; pix += 2, output += 2 * g.out_c) {
            const int8_t *x0 = cur, *x1;
            if (--left == 0) {
                cur = image += in_image;
                left = per_image;
            } else {
                cur += c;
            }
            if (pix + 1 == n * per_image) {  /* an odd pixel count: the last one alone */
                one.src = x0;
                one.bytes = c;
                single_pixel(&g, &one, 1, NULL, weights, channels, output);
                break;
            }
            x1 = cur;
            if (--left == 0) {
                cur = image += in_image;
                left = per_image;
            } else {
                cur += c;
            }
            spread(x0, 0, xa, g.groups, words, 0);
            if (words > 2) {
                spread(x1, 0, xa + 2, g.groups, words, words == 3);
            }
            pair_pixels(&g, xa, x1, words, weights, channels, output, output + g.out_c);
            if (narrow) {
                clamp_outputs(output, 2 * g.out_c, params->activation.min, params->activation.max);
            }
        }
        return TG_OK;
    }
    {
        const int whole = (g.in_c & 3) == 0;  /* spread straight from the window runs */
        const uint32_t pad4 = 0x01010101u * (uint8_t)params->pad_value;
        uint32_t *const xa = words != 0 ? (uint32_t *)ctx->buf : NULL;
        int8_t *const slot = words != 0 ? (int8_t *)ctx->buf + 4 * words * g.groups : NULL;  /* gather slot */
        const int32_t step = words != 0 ? 2 : 1, total = n * oh * ow;
        tg_fast_segment seg[TG_FAST_MAX_SEGMENTS];
        int32_t pix, nb = 0, ny = 0, nx = 0;  /* position of the next pixel to read */
        for (pix = 0; pix < total; pix += step, output += step * g.out_c) {
            const int two = words != 0 && pix + 1 < total;
            const int8_t *x1 = NULL;
            int32_t nseg = 0;
            int k;
            for (k = 0; k <= two; ++k) {
                nseg = tg_fast_window(params, input_dims, input + (int32_t)nb * in_image,
                                      ny * params->stride.h - params->padding.h, nx * params->stride.w - params->padding.w,
                                      seg);
                if (two && (k == 0 || words > 2)) {  /* spread over the scratch */
                    const int raw = k == 1 && words == 3;
                    if (whole) {
                        spread_segments(seg, nseg, pad4, xa + 2 * k, words, raw);
                    } else {
                        gather(seg, nseg, pad4, slot);
                        spread(slot, 0, xa + 2 * k, g.groups, words, raw);
                    }
                } else if (words != 0) {  /* needed as contiguous int8 values: pixel p + 1 with 2 words
                                            * (the slot), or an odd count's last pixel (the free area) */
                    int8_t *const dst = two ? slot : (int8_t *)xa;
                    gather(seg, nseg, pad4, dst);
                    x1 = dst;
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
                pair_pixels(&g, xa, x1, words, weights, channels, output, output + g.out_c);
                if (narrow) {
                    clamp_outputs(output, 2 * g.out_c, params->activation.min, params->activation.max);
                }
            } else {
                if (words != 0) {  /* the last pixel of an odd count, contiguous */
                    seg[0].src = x1;
                    seg[0].bytes = 4 * g.groups;
                    nseg = 1;
                }
                single_pixel(&g, seg, nseg, pad_row, weights, channels, output);
            }
        }
    }
    return TG_OK;
}
