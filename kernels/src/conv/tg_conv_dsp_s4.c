/*
 * tg_conv_dsp_s4.c - CONV_2D with int8 activations and packed int4 weights for cores with the DSP
 * extension: each window widened once to int16 pairs in the scratch, the weights unpacked in
 * registers (two ANDs and four SXTB16 per eight values, tg_lowbit_dsp.h), SMLAD over two output
 * pixels and two output channels at a time. See tg_nn_precision.h for the layouts.
 */
#include "tg_nn.h"
#include "tg_lowbit_conv.h"

/* Words of the widened window of one pixel per group of eight values. */
#define GROUP_WORDS 4
/* Channel words per output channel pair. */
#define PAIR_CW 5

/* 1x1 windows of whole groups are widened straight from the input (no byte copy). */
static int direct(const tg_conv_lb_params *params, const tg_dims *input_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && (input_dims->c & 7) == 0;
}

static int32_t buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims, int32_t pixels)
{
    const int32_t k8 = (params->filter.h * params->filter.w * input_dims->c + 7) & ~7;
    return pixels * 2 * k8 + (direct(params, input_dims) ? 0 : k8);
}

int32_t tg_conv_dsp_s4_get_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                       const tg_dims *output_dims)
{
    (void)output_dims;
    return buffer_size(params, input_dims, 2);
}

int32_t tg_conv_dsp_s4_get_min_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                           const tg_dims *output_dims)
{
    (void)output_dims;
    return buffer_size(params, input_dims, 1);
}

/* The window of pixel p widened at dst: group i's four words at dst[i * 4 * lane + k * lane] (lane 2:
 * interleaved with a second pixel's, lane 1: alone). */
static void prepare(const tg_lb_geom *g, const int8_t *input, int32_t p, int8_t *bytes, uint32_t *dst, int32_t lane,
                    int32_t groups)
{
    const int8_t pad = (int8_t)g->p->pad_value;
    const int8_t *src = bytes;
    int32_t i;
    if (bytes == NULL) {  /* direct: one pixel of whole groups, inside the input or all padding */
        int32_t y0, x0;
        const int32_t n = tg_lb_origin(g, p, &y0, &x0);
        if (y0 < 0 || y0 >= g->in_h || x0 < 0 || x0 >= g->in_w) {
            const uint32_t v = tg_sxtb16(0x01010101u * (uint8_t)pad);
            for (i = 0; i < 4 * groups; ++i, dst += lane) {
                *dst = v;
            }
            return;
        }
        src = input + n * g->in_image + (y0 * g->in_w + x0) * g->in_c;
    } else {
        tg_lb_gather(g, input, 1, p, &pad, (uint8_t *)bytes, groups * 8);
    }
    for (i = 0; i < groups; ++i, src += 8, dst += 4 * lane) {
        tg_lb_widen8(src, dst, lane);
    }
}

/* Two pixels x two channels. The widened groups of the two pixels are interleaved word by word:
 * per group a0, b0, a1, b1, a2, b2, a3, b3 (a: pixel p, b: pixel p + 1), so that one LDRD loads the
 * pair of words a weight pair meets. */
#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
TG_LB_NOINLINE static void mac2x2(const uint32_t *x, const uint32_t *w, int32_t groups, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const uint32_t *const end = w + 2 * groups;
    uint32_t e0, e1, o0, v, xa, xb;
    const uint32_t m = TG_LB_NIBBLE_MASK;
    /* 38 instructions per 32 multiply-accumulates; 14 registers (w1 is read twice for want of a
     * fifteenth) */
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[e0], [%[w]]\n\t"
        "ldr    %[e1], [%[w], #4]\n\t"
        "and    %[o0], %[m], %[e0]\n\t"
        "and    %[e0], %[m], %[e0], lsl #4\n\t"
        "and    %[e1], %[m], %[e1], lsl #4\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[e0]\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[e1]\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[e0], ror #8\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[e1], ror #8\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldr    %[e1], [%[w], #4]\n\t"
        "adds   %[w], %[w], #8\n\t"
        "and    %[e1], %[m], %[e1]\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[o0]\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[e1]\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "ldrd   %[xa], %[xb], [%[x]], #8\n\t"
        "sxtb16 %[v], %[o0], ror #8\n\t"
        "smlad  %[a00], %[v], %[xa], %[a00]\n\t"
        "smlad  %[a10], %[v], %[xb], %[a10]\n\t"
        "sxtb16 %[v], %[e1], ror #8\n\t"
        "smlad  %[a01], %[v], %[xa], %[a01]\n\t"
        "smlad  %[a11], %[v], %[xb], %[a11]\n\t"
        "cmp    %[w], %[end]\n\t"
        "bne    1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [x] "+r"(x), [w] "+r"(w),
          [e0] "=&r"(e0), [e1] "=&r"(e1), [o0] "=&r"(o0), [v] "=&r"(v), [xa] "=&r"(xa), [xb] "=&r"(xb)
        : [end] "r"(end), [m] "r"(m)
        : "cc", "memory");
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#else
TG_LB_NOINLINE static void mac2x2(const uint32_t *x, const uint32_t *w, int32_t groups, int32_t *acc)
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const uint32_t *const end = w + 2 * groups;
    while (w < end) {
        const uint32_t e0 = TG_LB_NIBBLE_MASK & (w[0] << 4), o0 = TG_LB_NIBBLE_MASK & w[0];
        const uint32_t e1 = TG_LB_NIBBLE_MASK & (w[1] << 4), o1 = TG_LB_NIBBLE_MASK & w[1];
        const uint32_t v0[4] = {tg_sxtb16(e0), tg_sxtb16_ror8(e0), tg_sxtb16(o0), tg_sxtb16_ror8(o0)};
        const uint32_t v1[4] = {tg_sxtb16(e1), tg_sxtb16_ror8(e1), tg_sxtb16(o1), tg_sxtb16_ror8(o1)};
        int k;
        for (k = 0; k < 4; ++k) {
            a00 = tg_smlad(v0[k], x[2 * k], a00);
            a10 = tg_smlad(v0[k], x[2 * k + 1], a10);
            a01 = tg_smlad(v1[k], x[2 * k], a01);
            a11 = tg_smlad(v1[k], x[2 * k + 1], a11);
        }
        w += 2;
        x += 8;
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}
#endif

/* One pixel (four words per group) x two channels. */
TG_LB_NOINLINE static void mac1x2(const uint32_t *x, const uint32_t *w, int32_t groups, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1];
    const uint32_t *const end = w + 2 * groups;
    while (w < end) {
        uint32_t e0, o0, e1, o1;
        e0 = TG_LB_NIBBLE_MASK & (w[0] << 4);
        o0 = TG_LB_NIBBLE_MASK & w[0];
        e1 = TG_LB_NIBBLE_MASK & (w[1] << 4);
        o1 = TG_LB_NIBBLE_MASK & w[1];
        a0 = tg_smlad(tg_sxtb16(e0), x[0], a0);
        a1 = tg_smlad(tg_sxtb16(e1), x[0], a1);
        a0 = tg_smlad(tg_sxtb16_ror8(e0), x[1], a0);
        a1 = tg_smlad(tg_sxtb16_ror8(e1), x[1], a1);
        a0 = tg_smlad(tg_sxtb16(o0), x[2], a0);
        a1 = tg_smlad(tg_sxtb16(o1), x[2], a1);
        a0 = tg_smlad(tg_sxtb16_ror8(o0), x[3], a0);
        a1 = tg_smlad(tg_sxtb16_ror8(o1), x[3], a1);
        w += 2;
        x += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* The outputs of one pixel for one channel pair (the second one only when it exists). */
static inline void store_pair(int8_t *y, int32_t c, int32_t out_c, int32_t a0, int32_t a1, const int32_t *q,
                              const tg_conv_lb_params *p)
{
    const int32_t n0 = q[4] & 0xFF, n1 = (q[4] >> 8) & 0xFF;
    y[c] = (int8_t)tg_lb_clamp(tg_lb_requant_s8(a0, q[2], tg_lb_round(n0, p->output_offset), n0),
                               p->activation.min, p->activation.max);
    if (c + 1 < out_c) {
        y[c + 1] = (int8_t)tg_lb_clamp(tg_lb_requant_s8(a1, q[3], tg_lb_round(n1, p->output_offset), n1),
                                       p->activation.min, p->activation.max);
    }
}

tg_status tg_conv_dsp_s4(const tg_context *ctx, const tg_conv_lb_params *params,
                         const tg_dims *input_dims, const int8_t *input,
                         const int32_t *weights, const int32_t *cw,
                         const tg_dims *output_dims, int8_t *output)
{
    tg_lb_geom g;
    int32_t groups, pixels, total, p, j;
    uint32_t *xw;
    int8_t *bytes;

    if (tg_lb_geom_bad(params, input_dims, output_dims)) {
        return TG_ERR_ARG;
    }
    tg_lb_geom_init(&g, params, input_dims, output_dims);
    groups = ((g.k + 7) & ~7) / 8;
    if (ctx == NULL || ctx->buf == NULL || ((uintptr_t)ctx->buf & 3u) != 0 ||
        ctx->size < buffer_size(params, input_dims, 1)) {
        return TG_ERR_BUFFER;
    }
    pixels = ctx->size >= buffer_size(params, input_dims, 2) ? 2 : 1;
    xw = (uint32_t *)ctx->buf;
    bytes = direct(params, input_dims) ? NULL : (int8_t *)(xw + pixels * GROUP_WORDS * groups);
    total = output_dims->n * g.out_h * g.out_w;
    for (p = 0; p < total; p += pixels) {
        int8_t *y0 = output + p * g.out_c;
        const uint32_t *w = (const uint32_t *)weights;
        const int32_t *q = cw;
        if (pixels == 2 && p + 1 < total) {
            int8_t *y1 = y0 + g.out_c;
            prepare(&g, input, p, bytes, xw, 2, groups);
            prepare(&g, input, p + 1, bytes, xw + 1, 2, groups);
            for (j = 0; j < g.out_c; j += 2, w += 2 * groups, q += PAIR_CW) {
                int32_t acc[4];
                acc[0] = acc[2] = q[0];
                acc[1] = acc[3] = q[1];
                mac2x2(xw, w, groups, acc);
                store_pair(y0, j, g.out_c, acc[0], acc[1], q, params);
                store_pair(y1, j, g.out_c, acc[2], acc[3], q, params);
            }
        } else {
            prepare(&g, input, p, bytes, xw, 1, groups);
            for (j = 0; j < g.out_c; j += 2, w += 2 * groups, q += PAIR_CW) {
                int32_t acc[2];
                acc[0] = q[0];
                acc[1] = q[1];
                mac1x2(xw, w, groups, acc);
                store_pair(y0, j, g.out_c, acc[0], acc[1], q, params);
            }
        }
    }
    return TG_OK;
}
