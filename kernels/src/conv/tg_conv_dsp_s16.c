/*
 * tg_conv_dsp_s16.c - CONV_2D 16x8 (int16 activations, int8 weights) for cores with the DSP
 * extension: int16 windows meet the weights (SXTB16 of words in the order [v0, v2, v1, v3]) in SMLAD
 * with a 32-bit accumulator, two output pixels and two output channels at a time; the compiler
 * checks that the accumulator cannot overflow and that one SMMLA or SMMLAR requantizes exactly
 * (tinygen/fast/lowbit.py). See tg_nn_precision.h for the layouts.
 */
#include "tg_nn.h"
#include "tg_lowbit_conv.h"

/* Channel words per output channel pair. */
#define PAIR_CW 8

/* 1x1 windows with C_in % 8 == 0 are read straight from the input. */
static int direct(const tg_conv_lb_params *params, const tg_dims *input_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && (input_dims->c & 7) == 0;
}

/* K8 int16 values per window; two pixels: the interleaved copy plus, unless direct, a window of
 * gathered values; one pixel: the gathered window (nothing when direct). */
static int32_t buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims, int32_t pixels)
{
    const int32_t k8 = (params->filter.h * params->filter.w * input_dims->c + 7) & ~7;
    const int32_t gather = direct(params, input_dims) ? 0 : 2 * k8;
    return pixels == 2 ? 4 * k8 + gather : gather;
}

int32_t tg_conv_dsp_s16_get_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                        const tg_dims *output_dims)
{
    (void)output_dims;
    return buffer_size(params, input_dims, 2);
}

int32_t tg_conv_dsp_s16_get_min_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                            const tg_dims *output_dims)
{
    (void)output_dims;
    return buffer_size(params, input_dims, 1);
}

/* The window of pixel p: a pointer to its K8 int16 values (in the input when direct and inside,
 * else gathered at `tmp`, padded with zeros); NULL with *all_pad set for a direct pixel that lies
 * in the padding (its window is all zeros). */
static const int16_t *window(const tg_lb_geom *g, const int16_t *input, int32_t p, int16_t *tmp,
                             int *all_pad)
{
    const int16_t pad = 0;
    *all_pad = 0;
    if (tmp == NULL) {
        int32_t y0, x0;
        const int32_t n = tg_lb_origin(g, p, &y0, &x0);
        if (y0 < 0 || y0 >= g->in_h || x0 < 0 || x0 >= g->in_w) {
            *all_pad = 1;
            return NULL;
        }
        return input + n * g->in_image + (y0 * g->in_w + x0) * g->in_c;
    }
    tg_lb_gather(g, input, 2, p, &pad, (uint8_t *)tmp);
    return tmp;
}

/* Two pixels x two channels; per group of four values the words a01, b01, a23, b23 (groups4 is
 * even: two groups per iteration). */
#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
TG_LB_NOINLINE static void mac2x2(const uint32_t *x, const int32_t *w, int32_t groups4, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int32_t *const end = w + 2 * groups4;
    uint32_t w0, w1, v, xa, xb;
    /* 32 instructions per 32 multiply-accumulates */
    __asm__ volatile(
        "1:\n\t"
        "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[w0]\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[w1]\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[w0], ror #8\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[w1], ror #8\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[w0]\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[w1]\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[w0], ror #8\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[w1], ror #8\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "cmp    %[w], %[end]\n\t"
        "bne    1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(x), [w] "+r"(w),
          [w0] "=&r"(w0), [w1] "=&r"(w1), [v] "=&r"(v), [xa] "=&r"(xa), [xb] "=&r"(xb)
        : [end] "r"(end)
        : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
TG_LB_NOINLINE static void mac2x2(const uint32_t *x, const int32_t *w, int32_t groups4, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const int32_t *const end = w + 2 * groups4;
    while (w < end) {
        const uint32_t w0 = (uint32_t)w[0], w1 = (uint32_t)w[1];
        uint32_t v = tg_sxtb16(w0);
        a00 = tg_smlad(v, x[0], a00);
        a10 = tg_smlad(v, x[1], a10);
        v = tg_sxtb16(w1);
        a01 = tg_smlad(v, x[0], a01);
        a11 = tg_smlad(v, x[1], a11);
        v = tg_sxtb16_ror8(w0);
        a00 = tg_smlad(v, x[2], a00);
        a10 = tg_smlad(v, x[3], a10);
        v = tg_sxtb16_ror8(w1);
        a01 = tg_smlad(v, x[2], a01);
        a11 = tg_smlad(v, x[3], a11);
        w += 2;
        x += 4;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* One pixel x two channels; the window's words in order. */
TG_LB_NOINLINE static void mac1x2(const int16_t *xs, const int32_t *w, int32_t groups4, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    const int32_t *const end = w + 2 * groups4;
    while (w < end) {
        const uint32_t w0 = (uint32_t)w[0], w1 = (uint32_t)w[1];
        const uint32_t x01 = tg_read_s16x2(xs), x23 = tg_read_s16x2(xs + 2);
        a0 = tg_smlad(tg_sxtb16(w0), x01, a0);
        a1 = tg_smlad(tg_sxtb16(w1), x01, a1);
        a0 = tg_smlad(tg_sxtb16_ror8(w0), x23, a0);
        a1 = tg_smlad(tg_sxtb16_ror8(w1), x23, a1);
        w += 2;
        xs += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
}

static inline void store_pair(int16_t *y, int32_t c, int32_t out_c, int32_t a0, int32_t a1, const int32_t *q,
                              const tg_conv_lb_params *p)
{
    y[c] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a0, q[2], q[3], q[4], p->acc64), p->activation.min,
                                p->activation.max);
    if (c + 1 < out_c) {
        y[c + 1] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a1, q[5], q[6], q[7], p->acc64), p->activation.min,
                                        p->activation.max);
    }
}

/* Words of the window at src (NULL: all zero) into every other word of dst. */
static void interleave(const int16_t *src, uint32_t *dst, int32_t k8)
{
    int32_t i;
    for (i = 0; i < k8 / 2; ++i, dst += 2) {
        *dst = src != NULL ? tg_read_s16x2(src + 2 * i) : 0u;
    }
}

tg_status tg_conv_dsp_s16(const tg_context *ctx, const tg_conv_lb_params *params,
                          const tg_dims *input_dims, const int16_t *input,
                          const int32_t *weights, const int32_t *cw,
                          const tg_dims *output_dims, int16_t *output)
{
    tg_lb_geom g;
    int32_t k8, groups4, pixels, total, p, j;
    const int d = direct(params, input_dims);
    uint32_t *xw = NULL;
    int16_t *tmp = NULL;

    if (tg_lb_geom_bad(params, input_dims, output_dims)) {
        return TG_ERR_ARG;
    }
    tg_lb_geom_init(&g, params, input_dims, output_dims);
    k8 = (g.k + 7) & ~7;
    groups4 = k8 / 4;
    pixels = 1;
    if (ctx != NULL && ctx->buf != NULL && ((uintptr_t)ctx->buf & 3u) == 0 &&
        ctx->size >= buffer_size(params, input_dims, 2)) {
        pixels = 2;
        xw = (uint32_t *)ctx->buf;
        tmp = d ? NULL : (int16_t *)(xw + k8);  /* after the two interleaved windows (k8 words) */
    } else if (!d) {
        if (ctx == NULL || ctx->buf == NULL || ((uintptr_t)ctx->buf & 3u) != 0 ||
            ctx->size < buffer_size(params, input_dims, 1)) {
            return TG_ERR_BUFFER;
        }
        tmp = (int16_t *)ctx->buf;
    }
    if (tmp != NULL) {
        tg_lb_zero_tail(&g, tmp, 2, k8);
    }
    total = output_dims->n * g.out_h * g.out_w;
    for (p = 0; p < total; p += pixels) {
        int16_t *y0 = output + p * g.out_c;
        const int32_t *w = weights;
        const int32_t *q = cw;
        int pad0, pad1;
        if (pixels == 2 && p + 1 < total) {
            int16_t *y1 = y0 + g.out_c;
            interleave(window(&g, input, p, tmp, &pad0), xw, k8);
            interleave(window(&g, input, p + 1, tmp, &pad1), xw + 1, k8);
            for (j = 0; j < g.out_c; j += 2, w += 2 * groups4, q += PAIR_CW) {
                int32_t acc[4];
                acc[0] = acc[2] = q[0];
                acc[1] = acc[3] = q[1];
                mac2x2(xw, w, groups4, acc);
                store_pair(y0, j, g.out_c, acc[0], acc[1], q, params);
                store_pair(y1, j, g.out_c, acc[2], acc[3], q, params);
            }
        } else {
            const int16_t *xs;
            if (pixels == 2) {  /* the last pixel of an odd count: its window in the scratch */
                interleave(window(&g, input, p, tmp, &pad0), xw, k8);
                xs = NULL;
            } else {
                xs = window(&g, input, p, tmp, &pad0);
            }
            for (j = 0; j < g.out_c; j += 2, w += 2 * groups4, q += PAIR_CW) {
                int32_t acc[2];
                acc[0] = q[0];
                acc[1] = q[1];
                if (xs == NULL && pixels == 2) {
                    int32_t a4[4];
                    a4[0] = a4[2] = q[0];
                    a4[1] = a4[3] = q[1];
                    mac2x2(xw, w, groups4, a4);
                    acc[0] = a4[0];
                    acc[1] = a4[1];
                } else if (!pad0) {
                    mac1x2(xs, w, groups4, acc);
                }
                store_pair(y0, j, g.out_c, acc[0], acc[1], q, params);
            }
        }
    }
    return TG_OK;
}
