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
 * in SMLAD. Channel words per pair: [bias0, bias1, mult0, round0, mult1, round1].
 *
 * Pair mode (scratch given): two output pixels (consecutive in raster order, across rows and
 * images) at a time, all their channels. Pixel p's window goes to the scratch as int16, already
 * unpacked in SMLAD order (widened once, not once per channel pair); pixel p + 1's window is read
 * as int8 - in place for a 1x1 convolution whose pixels are contiguous, else gathered into the
 * scratch too. Both windows are read (copied, or for p + 1 in place: its input lies above
 * everything the pair writes under the planner's rule) before the pair's first output is written,
 * so the tg_nn.h partial-overlap contract holds unchanged.
 *
 * Single mode (no scratch, C_in % 4 == 0): one pixel at a time, its window read part by part from
 * the input (padded taps from pad_row), all its outputs written after.
 *
 * Stack: the windows are walked part by part (tg_fast.h), never stored; the layer's constants
 * travel in one struct (conv_geom) to the three helpers, so the deepest call chain stays within
 * the portable tg_conv_s8's.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

typedef struct {
    /* the current pixel (its image, its window's top-left tap, the taps [lo, hi) of a window row
     * inside the input columns) while its window is read, then the pair loop's state */
    union {
        struct {
            const int8_t *in_b;
            int32_t y0, x0, lo, hi;
            int32_t inside;           /* the whole window lies inside the input (dilation.w == 1) */
            const int8_t *pad_row;    /* (single mode only: the pair state never overwrites it) */
        } w;
        tg_fast_pair_state st;
    } u;
    const tg_conv_fast_params *p;
    const tg_dims *in;
    const int32_t *weights;
    const int32_t *channels;
    uint32_t *xa;             /* the scratch (pair mode) */
    int32_t words;            /* scratch words per group: 4, 3, 2 (pair mode) or 0 (single mode), plus
                               * TG_CONV_DIRECT for a 1x1 convolution reading its pixels in place */
    int32_t groups;           /* K8 / 4 */
    /* the pixel loop (kept here rather than in registers: nothing else is live across the calls) */
    const int8_t *input;
    const tg_dims *out_d;
    int8_t *output;
    int32_t pix;              /* the next pixel in raster order */
} conv_geom;

#define TG_CONV_DIRECT 8      /* in conv_geom.words */
#define TG_CONV_WORDS 7

/* A 1x1 convolution whose output pixels read consecutive input pixels (stride 1, no padding, the
 * full input width), with C_in % 8 == 0: pixel p + 1 is read in place. */
static int conv_direct(const tg_conv_fast_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && params->stride.h == 1 && params->stride.w == 1 &&
           params->padding.h == 0 && params->padding.w == 0 && output_dims->w == input_dims->w &&
           output_dims->h <= input_dims->h && (input_dims->c & 7) == 0;
}

/* n >> 1 groups of four int8 values spread over the scratch: per group at dst[0], dst[1] the int16
 * pairs in SMLAD order, (v0, v2) and (v1, v3) (n even), or the int8 word itself at dst[0] (n odd:
 * "raw"); then dst += the scratch words per group. src NULL: the input zero point throughout.
 * Returns the next dst. */
TG_NOINLINE static uint32_t *spread(const conv_geom *g, const int8_t *src, uint32_t *dst, int32_t n)
{
    const int32_t step = g->words & TG_CONV_WORDS, raw = n & 1;
    int32_t groups = n >> 1;
    if (src == NULL) {
        const uint32_t v = 0x01010101u * (uint8_t)g->p->pad_value;
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
            const uint32_t v = tg_read_s8x4_ia(&src);
            dst[0] = tg_sxtb16(v);
            dst[1] = tg_sxtb16_ror8(v);
        }
    }
    return dst;
}

/* The window of the current pixel (g->u.w): spread over the scratch at dst (raw: the int8
 * words), run by run when C_in % 4 == 0, else gathered as int8 values to `gather` first (the tail up
 * to K8 is left as it is: its weights are zero); dst NULL: only gathered. A window inside the input
 * (the common case, g->u.w.inside) is KH runs of KW * C_in values, one per row. */
TG_NOINLINE static void load_window(const conv_geom *g, uint32_t *dst, int raw, int8_t *gather)
{
    const tg_conv_fast_params *p = g->p;
    const int32_t c = g->in->c;
    const int whole = dst != NULL && (c & 3) == 0;
    int8_t *const start = gather;
    int32_t ky, kx, n;
    for (ky = 0; ky < p->filter.h; ++ky) {
        const int32_t y = g->u.w.y0 + ky * p->dilation.h;
        const int32_t row = (y * g->in->w + g->u.w.x0) * c;
        for (kx = 0; kx < p->filter.w; kx += n) {
            const int8_t *src = g->u.w.in_b + row;
            int32_t bytes;
            n = p->filter.w;
            if (!g->u.w.inside) {
                n = tg_fast_part(g->u.w.in_b, row, (uint32_t)y < (uint32_t)g->in->h, kx, g->u.w.lo, g->u.w.hi, n,
                                 p->dilation.w, c, &src);
            }
            bytes = n * c;
            if (whole) {
                dst = spread(g, src, dst, (bytes >> 1) + raw);
            } else {
                if (src != NULL) {
                    tg_fast_copy(gather, src, bytes);
                } else {
                    tg_fast_fill(gather, 0x01010101u * (uint8_t)p->pad_value, bytes);
                }
                gather += bytes;
            }
        }
    }
    if (dst != NULL && !whole) {
        spread(g, start, dst, 2 * g->groups + raw);
    }
}

/* Clamp n outputs to an activation range narrower than int8 (pair mode stores int8-saturated
 * values; rewriting them in place changes no other byte). */
TG_NOINLINE static void clamp_outputs(int8_t *y, int32_t n, const tg_range *act)
{
    for (; n > 0; --n, ++y) {
        *y = (int8_t)tg_fast_clamp(*y, act->min, act->max);
    }
}

/* Two pixels x all output channels (pair mode): pixel p's window in the scratch (g->xa), pixel
 * p + 1's in the scratch too (3 or 4 words per group) or as int8 values at x1 (2 words); outputs
 * to g->output and y1 (the same place when an odd count's last pixel is computed as both). The odd
 * last channel of an odd count (its partner a dummy) is computed into a local. */
TG_NOINLINE static void pair_pixels(conv_geom *g, const int8_t *x1, int8_t *y1)
{
    tg_fast_pair_state *st = &g->u.st;
    const int32_t out_c = g->out_d->c;
    int8_t tmp[4];
    int k;
    st->wp = (const uint32_t *)g->weights;
    st->xa = g->xa;
    st->xb = x1;
    st->wbytes = 8 * g->groups;
    st->q = g->channels;
    st->q_end = g->channels + (out_c / 2) * TG_FAST_PAIR_WORDS;
    st->y0 = g->output;
    st->y1 = y1;
    for (k = out_c > 1 ? 0 : 1; k < 1 + (out_c & 1); ++k) {
        if (k == 1) {
            st->q_end = st->q + TG_FAST_PAIR_WORDS;
            st->y0 = tmp;
            st->y1 = tmp + 2;
        }
        if ((g->words & TG_CONV_WORDS) == 4) {
            tg_fast_pairs2x2w(st);
        } else if ((g->words & TG_CONV_WORDS) == 3) {
            tg_fast_pairs2x2m(st);
        } else {
            tg_fast_pairs2x2(st);
        }
    }
    if (out_c & 1) {
        g->output[out_c - 1] = tmp[0];
        y1[out_c - 1] = tmp[2];
    }
}

/* One pixel x all output channels, four at a time (single mode): the window of the current pixel,
 * part by part (padded parts read from pad_row; C_in % 4 == 0). */
TG_NOINLINE static void single_pixel(const conv_geom *g)
{
    int32_t o;
    for (o = 0; o < g->out_d->c; o += 4) {
        const uint32_t *w = (const uint32_t *)g->weights + o * g->groups;
        const uint32_t *v = w + 2 * g->groups;
        const int32_t *q = g->channels + (o / 2) * TG_FAST_PAIR_WORDS;
        const int32_t *q1 = q + TG_FAST_PAIR_WORDS * (g->out_d->c - o > 2);  /* channel words of the second pair */
        int32_t a0 = q[0], a1 = q[1], a2 = q1[0], a3 = q1[1], ky, kx, n;
        for (ky = 0; ky < g->p->filter.h; ++ky) {
            const int32_t yy = g->u.w.y0 + ky * g->p->dilation.h;
            for (kx = 0; kx < g->p->filter.w; kx += n) {
                const int8_t *x = g->u.w.in_b + (yy * g->in->w + g->u.w.x0) * g->in->c;
                n = g->p->filter.w;
                if (!g->u.w.inside) {
                    n = tg_fast_part(g->u.w.in_b, (yy * g->in->w + g->u.w.x0) * g->in->c,
                                     (uint32_t)yy < (uint32_t)g->in->h, kx, g->u.w.lo, g->u.w.hi, n, g->p->dilation.w,
                                     g->in->c, &x);
                    if (x == NULL) {
                        x = g->u.w.pad_row;
                    }
                }
                if (g->out_d->c - o > 2) {
                    tg_fast_mac1x4(&x, &w, &v, (n * g->in->c) >> 2, &a0, &a1, &a2, &a3);
                } else {
                    tg_fast_mac1x2(&x, &w, (n * g->in->c) >> 2, &a0, &a1);
                }
            }
        }
        tg_fast_store4(g->output + o, TG_MIN(g->out_d->c - o, 4), a0, a1, a2, a3, q + 2, q + 4, q1 + 2, q1 + 4,
                       g->p->activation.min, g->p->activation.max);
    }
}

/* Pair-mode buffers: per group of four values, `words` words (4: both pixels widened, 3: pixel p
 * widened and pixel p + 1's int8 word, 2: pixel p widened), plus K8 bytes to gather a window into
 * where the runs of a window are not whole groups (C_in % 4 != 0), or where pixel p + 1 is needed
 * as contiguous int8 values (2 words) and not read in place. */
static int32_t buffer_size(const tg_conv_fast_params *params, int32_t words)
{
    const int32_t k8 = (params->filter.h * params->filter.w * params->input_dims.c + 7) & ~7;
    const int slot = (params->input_dims.c & 3) != 0 ||
                     (words == 2 && !conv_direct(params, &params->input_dims, &params->output_dims));
    return words * k8 + (slot ? k8 : 0);
}

int32_t tg_conv_dsp_s8_get_buffer_size(const tg_conv_fast_params *params)
{
    return buffer_size(params, 4);
}

int32_t tg_conv_dsp_s8_get_mid_buffer_size(const tg_conv_fast_params *params)
{
    return buffer_size(params, 3);
}

int32_t tg_conv_dsp_s8_get_min_buffer_size(const tg_conv_fast_params *params)
{
    return buffer_size(params, 2);
}

/* Points g->u.w at the window of raster pixel g->pix and advances g->pix. For a direct 1x1
 * convolution, g->u.w.in_b is the pixel's C_in input values and the rest is not set. */
TG_NOINLINE static void conv_at(conv_geom *g)
{
    const tg_conv_fast_params *p = g->p;
    const int32_t ow = g->out_d->w, row = g->pix / ow, ox = g->pix - row * ow, img = row / g->out_d->h;
    const int32_t oy = row - img * g->out_d->h;
    g->u.w.in_b = g->input + img * g->in->h * g->in->w * g->in->c;
    ++g->pix;
    if (g->words & TG_CONV_DIRECT) {
        g->u.w.in_b += (oy * g->in->w + ox) * g->in->c;
        return;
    }
    g->u.w.y0 = oy * p->stride.h - p->padding.h;
    g->u.w.x0 = ox * p->stride.w - p->padding.w;
    tg_fast_window_cols(g->u.w.x0, p->filter.w, p->dilation.w, g->in->w, &g->u.w.lo, &g->u.w.hi);
    g->u.w.inside = g->u.w.lo == 0 && g->u.w.hi == p->filter.w && p->dilation.w == 1 && g->u.w.y0 >= 0 &&
                    g->u.w.y0 + (p->filter.h - 1) * p->dilation.h < g->in->h;
}

/* The checks and the mode (scratch words per group) of the kernel described by g. */
TG_NOINLINE static tg_status conv_setup(conv_geom *g, const tg_context *ctx)
{
    const tg_conv_fast_params *params = g->p;
    const tg_dims *input_dims = g->in, *output_dims = g->out_d;
    g->groups = ((params->filter.h * params->filter.w * input_dims->c + 7) & ~7) / 4;
    g->words = 0;
    if (output_dims->n != input_dims->n || g->groups <= 0 || output_dims->c <= 0 || params->stride.h < 1 ||
        params->stride.w < 1 || params->dilation.h < 1 || params->dilation.w < 1 || output_dims->w <= 0) {
        return TG_ERR_ARG;
    }
    if (ctx != NULL && ctx->buf != NULL && ((uintptr_t)ctx->buf & 3u) == 0) {
        for (g->words = 4; g->words >= 2; --g->words) {
            if (ctx->size >= buffer_size(params, g->words)) {
                break;
            }
        }
        g->words = g->words < 2 ? 0 : g->words;
        g->xa = (uint32_t *)ctx->buf;
    }
    if (g->words == 0 && ((input_dims->c & 3) != 0 || g->u.w.pad_row == NULL)) {
        return TG_ERR_BUFFER;
    }
    if (g->words != 0 && conv_direct(params, input_dims, output_dims)) {
        g->words |= TG_CONV_DIRECT;
    }
    g->pix = 0;
    return TG_OK;
}

tg_status tg_conv_dsp_s8(const tg_context *ctx, const tg_conv_fast_params *params, const int8_t *input,
                         int8_t *output)
{
    conv_geom g;
    tg_status status;

    g.p = params;
    g.in = &params->input_dims;
    g.weights = (const int32_t *)params->weights;
    g.channels = params->channels;
    g.u.w.pad_row = params->pad_row;
    g.input = input;
    g.out_d = &params->output_dims;
    g.output = output;
    status = conv_setup(&g, ctx);
    if (status != TG_OK) {
        return status;
    }
    while (g.pix < g.out_d->n * g.out_d->h * g.out_d->w) {
        const int32_t words = g.words & TG_CONV_WORDS;
        int8_t *const slot = (int8_t *)g.xa + 4 * words * g.groups;  /* the scratch's int8 area */
        /* else the last pixel of an odd count: computed as both pixels of a pair (pair mode) */
        const int32_t two = g.pix + 1 < g.out_d->n * g.out_d->h * g.out_d->w;
        const int8_t *x1 = slot;
        conv_at(&g);
        if (words == 0) {
            single_pixel(&g);
            g.output += g.out_d->c;
            continue;
        }
        /* pixel p widened into the scratch; pixel p + 1 widened too, its int8 words interleaved, or
         * (2 words) as int8 values: in place for a direct 1x1 convolution, else gathered */
        if (g.words & TG_CONV_DIRECT) {
            spread(&g, g.u.w.in_b, g.xa, 2 * g.groups);
        } else {
            load_window(&g, g.xa, 0, slot);
        }
        if (two) {
            conv_at(&g);
        }
        if (!(g.words & TG_CONV_DIRECT)) {
            load_window(&g, words > 2 ? g.xa + 2 : NULL, words == 3, slot);
        } else {
            x1 = g.u.w.in_b;
            if (words > 2) {
                spread(&g, x1, g.xa + 2, 2 * g.groups + (words == 3));
            }
        }
        pair_pixels(&g, x1, g.output + two * g.out_d->c);
        if (g.p->activation.min != -128 || g.p->activation.max != 127) {
            clamp_outputs(g.output, (1 + two) * g.out_d->c, &g.p->activation);
        }
        g.output += (1 + two) * g.out_d->c;
    }
    return TG_OK;
}
