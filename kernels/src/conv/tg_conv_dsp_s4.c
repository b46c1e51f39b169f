/*
 * tg_conv_dsp_s4.c - CONV_2D with int8 activations and packed int4 weights for cores with the DSP
 * extension. The weights are unpacked in registers (two ANDs and four SXTB16 per eight values,
 * tg_lowbit_dsp.h) and meet int16 pairs of the input in SMLAD:
 *   - quad mode: the windows of four output pixels widened once into the scratch, interleaved, then
 *     every output channel over the four (33 instructions per 32 multiply-accumulates);
 *   - pair mode: the same with two pixels;
 *   - single mode: one pixel, its int8 window widened as it is read (no scratch for a 1x1
 *     convolution of whole groups; otherwise the window gathered into the scratch).
 * The scratch size selects the mode (tg_nn_precision.h). Every window a step needs is read (copied)
 * before its first output is written, so the tg_nn.h raster write order holds.
 */
#include <string.h>
#include "tg_nn.h"
#include "tg_lowbit_conv.h"

/* Channel words per output channel: 16 bias, mult, round, spec. */
#define CH_CW 4

/* 1x1 windows of whole groups of eight values are read straight from the input. */
static int direct(const tg_conv_lb_params *params, const tg_dims *input_dims)
{
    return params->filter.h == 1 && params->filter.w == 1 && (input_dims->c & 7) == 0;
}

/* pixels widened windows (2 K8 bytes each) plus, unless direct, K8 bytes to gather a window into. */
static int32_t buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims, int32_t pixels)
{
    const int32_t k8 = (params->filter.h * params->filter.w * input_dims->c + 7) & ~7;
    if (k8 == 8) {  /* one group: two windows in registers (pair8), gathered unless direct */
        return direct(params, input_dims) ? 0 : 16;
    }
    return (pixels > 1 ? pixels * 2 * k8 : 0) + (direct(params, input_dims) ? 0 : k8);
}

int32_t tg_conv_dsp_s4_get_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                       const tg_dims *output_dims)
{
    (void)output_dims;
    return buffer_size(params, input_dims, 4);
}

int32_t tg_conv_dsp_s4_get_mid_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
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

/* The int8 window of pixel p: in the input (direct; NULL when the pixel lies in the padding) or
 * gathered at `bytes` (padded taps: pad_value; zeros up to K8). */
static const int8_t *window(const tg_lb_geom *g, const int8_t *input, int32_t p, int8_t *bytes, int32_t k8)
{
    const int8_t pad = (int8_t)g->p->pad_value;
    if (bytes == NULL) {
        int32_t y0, x0;
        const int32_t n = tg_lb_origin(g, p, &y0, &x0);
        if (y0 < 0 || y0 >= g->in_h || x0 < 0 || x0 >= g->in_w) {
            return NULL;
        }
        return input + n * g->in_image + (y0 * g->in_w + x0) * g->in_c;
    }
    (void)k8;
    tg_lb_gather(g, input, 1, p, &pad, (uint8_t *)bytes);
    return bytes;
}

/* Pixel p's window widened into dst: word k of group i at dst[(4 i + k) * lane]. */
static void widen(const tg_lb_geom *g, const int8_t *input, int32_t p, int8_t *bytes, uint32_t *dst, int32_t lane,
                  int32_t groups)
{
    const int8_t *src = window(g, input, p, bytes, groups * 8);
    int32_t i;
    if (src == NULL) {  /* a direct pixel in the padding: every value is pad_value */
        const uint32_t v = tg_sxtb16(0x01010101u * (uint8_t)g->p->pad_value);
        for (i = 0; i < 4 * groups; ++i, dst += lane) {
            *dst = v;
        }
        return;
    }
    for (i = 0; i < groups; ++i, src += 8, dst += 4 * lane) {
        tg_lb_widen8(src, dst, lane);
    }
}

/* Requantization constants of one channel (q: its channel words), then its output from acc16. */
typedef struct {
    int32_t mult, round, n, a, sign_mask;
} ch_quant;

TG_INLINE void ch_quant_init(ch_quant *c, const int32_t *q)
{
    const uint32_t spec = (uint32_t)q[3];
    c->mult = q[1];
    c->round = q[2];
    c->n = (int32_t)(spec & 31u);
    c->a = (int32_t)((spec >> 5) & 3u);
    c->sign_mask = -(int32_t)(spec >> 7);
}

TG_INLINE int8_t ch_out(const ch_quant *c, int32_t acc16, int32_t lo, int32_t hi)
{
    const int32_t v = tg_smmlar(acc16 >> c->a, c->mult, c->round + ((acc16 >> 31) & c->sign_mask)) >> c->n;
    return (int8_t)tg_lb_clamp(v, lo, hi);
}

#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
/* What the hand-scheduled four-pixel loop reads and updates (offsets used in the assembly). */
typedef struct {
    const uint32_t *xw;  /* 0: the four widened windows */
    const int32_t *cw;   /* 4: channel words of the next channel */
    int8_t *y;           /* 8: output of the next channel, first pixel */
    int32_t oc;          /* 12: output channels (the step between the pixels' outputs) */
    int32_t wbytes;      /* 16: weight bytes per channel */
    int32_t left;        /* 20: channels still to do */
} quad_state;

#define TG_Q4_POS(src, rot)                                        \
    "sxtb16 %[v], %[" src "]" rot "\n\t"                       \
    "ldrd   %[xa], %[xb], [%[x]], #8\n\t"                      \
    "smlad  %[a0], %[v], %[xa], %[a0]\n\t"                     \
    "smlad  %[a1], %[v], %[xb], %[a1]\n\t"                     \
    "ldrd   %[xa], %[xb], [%[x]], #8\n\t"                      \
    "smlad  %[a2], %[v], %[xa], %[a2]\n\t"                     \
    "smlad  %[a3], %[v], %[xb], %[a3]\n\t"
#define TG_Q4_REQ(acc)                                             \
    "and    %[end], %[m], %[" acc "], asr #31\n\t"               \
    "add    %[end], %[end], %[v]\n\t"                          \
    "asr    %[" acc "], %[" acc "], %[xb]\n\t"                   \
    "smmlar %[" acc "], %[" acc "], %[o], %[end]\n\t"            \
    "asr    %[" acc "], %[" acc "], %[xa]\n\t"                   \
    "ssat   %[" acc "], #8, %[" acc "]\n\t"

/* Four pixels x every channel, saturated to int8 (the activation clamp follows separately): per
 * channel the 32-instruction multiply loop, then 6 instructions per output and the stores. */
TG_LB_NOINLINE static void quad_all(quad_state *st, const uint32_t *w)
{
    int32_t a0, a1, a2, a3;
    uint32_t x, end, m, e, o, v, xa, xb;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[x], [%[st], #0]\n\t"
        "ldr    %[e], [%[st], #4]\n\t"
        "ldr    %[a0], [%[e]]\n\t"
        "mov    %[a1], %[a0]\n\t"
        "mov    %[a2], %[a0]\n\t"
        "mov    %[a3], %[a0]\n\t"
        "ldr    %[end], [%[st], #16]\n\t"
        "add    %[end], %[w], %[end]\n\t"
        "mov    %[m], #0xF0F0F0F0\n\t"
        "2:\n\t"
        "ldr    %[o], [%[w]], #4\n\t"
        "and    %[e], %[m], %[o], lsl #4\n\t"
        "and    %[o], %[m], %[o]\n\t"
        TG_Q4_POS("e", "")
        TG_Q4_POS("e", ", ror #8")
        TG_Q4_POS("o", "")
        TG_Q4_POS("o", ", ror #8")
        "cmp    %[w], %[end]\n\t"
        "bne    2b\n\t"
        "ldr    %[e], [%[st], #4]\n\t"
        "ldrd   %[o], %[v], [%[e], #4]\n\t"
        "ldr    %[xa], [%[e], #12]\n\t"
        "add    %[e], %[e], #16\n\t"
        "str    %[e], [%[st], #4]\n\t"
        "ubfx   %[xb], %[xa], #5, #2\n\t"
        "sbfx   %[m], %[xa], #7, #1\n\t"
        "and    %[xa], %[xa], #31\n\t"
        TG_Q4_REQ("a0")
        TG_Q4_REQ("a1")
        TG_Q4_REQ("a2")
        TG_Q4_REQ("a3")
        "ldrd   %[x], %[end], [%[st], #8]\n\t"
        "strb   %[a0], [%[x]]\n\t"
        "strb   %[a1], [%[x], %[end]]\n\t"
        "add    %[e], %[x], %[end], lsl #1\n\t"
        "strb   %[a2], [%[e]]\n\t"
        "strb   %[a3], [%[e], %[end]]\n\t"
        "add    %[x], %[x], #1\n\t"
        "str    %[x], [%[st], #8]\n\t"
        "ldr    %[e], [%[st], #20]\n\t"
        "subs   %[e], %[e], #1\n\t"
        "str    %[e], [%[st], #20]\n\t"
        "bne    1b\n\t"
        : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w] "+r"(w), [x] "=&r"(x),
          [end] "=&r"(end), [m] "=&r"(m), [e] "=&r"(e), [o] "=&r"(o), [v] "=&r"(v), [xa] "=&r"(xa), [xb] "=&r"(xb)
        : [st] "r"(st)
        : "cc", "memory");
}
#undef TG_Q4_POS
#undef TG_Q4_REQ
#endif

#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
/* The activation clamp of n outputs stored saturated to int8, four at a time. */
TG_LB_NOINLINE static void clamp_bytes(int8_t *y, int32_t n, int32_t lo, int32_t hi)
{
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo, hi4 = 0x01010101u * (uint8_t)hi;
    for (; n >= 4; n -= 4, y += 4) {
        tg_write_s8x4(y, tg_lb_clamp4(tg_read_s8x4(y), lo4, hi4));
    }
    for (; n > 0; --n, ++y) {
        *y = (int8_t)tg_lb_clamp(*y, lo, hi);
    }
}
#endif

/* Four pixels x one channel per pass: per group of eight values 16 words, per position k the four
 * pixels' words (a_k, b_k, c_k, d_k). */
TG_LB_NOINLINE static void quad(const uint32_t *xw, const uint32_t *w, const int32_t *cw, int32_t groups,
                                int32_t out_c, int8_t *y, int32_t count, const tg_conv_lb_params *p)
{
    const int32_t lo = p->activation.min, hi = p->activation.max;
    int32_t c;
#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
    if (count == 4) {
        quad_state st;
        st.xw = xw;
        st.cw = cw;
        st.y = y;
        st.oc = out_c;
        st.wbytes = 4 * groups;
        st.left = out_c;
        quad_all(&st, w);
        if (lo != -128 || hi != 127) {
            clamp_bytes(y, 4 * out_c, lo, hi);
        }
        return;
    }
#endif
    for (c = 0; c < out_c; ++c, cw += CH_CW) {
        int32_t a0 = cw[0], a1 = cw[0], a2 = cw[0], a3 = cw[0];
        const uint32_t *x = xw;
        const uint32_t *const end = w + groups;
        ch_quant q;
        while (w < end) {
            const uint32_t e = TG_LB_NIBBLE_MASK & (*w << 4), o = TG_LB_NIBBLE_MASK & *w;
            const uint32_t v[4] = {tg_sxtb16(e), tg_sxtb16_ror8(e), tg_sxtb16(o), tg_sxtb16_ror8(o)};
            int k;
            for (k = 0; k < 4; ++k, x += 4) {
                a0 = tg_smlad(v[k], x[0], a0);
                a1 = tg_smlad(v[k], x[1], a1);
                a2 = tg_smlad(v[k], x[2], a2);
                a3 = tg_smlad(v[k], x[3], a3);
            }
            ++w;
        }
        ch_quant_init(&q, cw);
        y[c] = ch_out(&q, a0, lo, hi);
        if (count == 4) {
            y[out_c + c] = ch_out(&q, a1, lo, hi);
            y[2 * out_c + c] = ch_out(&q, a2, lo, hi);
            y[3 * out_c + c] = ch_out(&q, a3, lo, hi);
        } else if (count > 1) {  /* the last pixels of the convolution */
            y[out_c + c] = ch_out(&q, a1, lo, hi);
            if (count > 2) {
                y[2 * out_c + c] = ch_out(&q, a2, lo, hi);
            }
        }
    }
}

/* Two pixels x one channel per pass: per group 8 words, per position k (a_k, b_k). */
TG_LB_NOINLINE static void pair(const uint32_t *xw, const uint32_t *w, const int32_t *cw, int32_t groups,
                                int32_t out_c, int8_t *y, int32_t count, const tg_conv_lb_params *p)
{
    const int32_t lo = p->activation.min, hi = p->activation.max;
    int32_t c;
    for (c = 0; c < out_c; ++c, cw += CH_CW) {
        int32_t a0 = cw[0], a1 = cw[0];
        const uint32_t *x = xw;
        const uint32_t *const end = w + groups;
        ch_quant q;
        while (w < end) {
            const uint32_t e = TG_LB_NIBBLE_MASK & (*w << 4), o = TG_LB_NIBBLE_MASK & *w;
            uint32_t v = tg_sxtb16(e);
            a0 = tg_smlad(v, x[0], a0);
            a1 = tg_smlad(v, x[1], a1);
            v = tg_sxtb16_ror8(e);
            a0 = tg_smlad(v, x[2], a0);
            a1 = tg_smlad(v, x[3], a1);
            v = tg_sxtb16(o);
            a0 = tg_smlad(v, x[4], a0);
            a1 = tg_smlad(v, x[5], a1);
            v = tg_sxtb16_ror8(o);
            a0 = tg_smlad(v, x[6], a0);
            a1 = tg_smlad(v, x[7], a1);
            ++w;
            x += 8;
        }
        ch_quant_init(&q, cw);
        y[c] = ch_out(&q, a0, lo, hi);
        if (count == 2) {
            y[out_c + c] = ch_out(&q, a1, lo, hi);
        }
    }
}

/* One pixel x one channel per pass, its int8 window (src; NULL: all pad_value) widened as read. */
TG_LB_NOINLINE static void single(const int8_t *src, const uint32_t *w, const int32_t *cw, int32_t groups,
                                  int32_t out_c, int8_t *y, const tg_conv_lb_params *p)
{
    const int32_t lo = p->activation.min, hi = p->activation.max;
    const uint32_t pad4 = 0x01010101u * (uint8_t)p->pad_value;
    int32_t c;
    if (groups == 1) {  /* eight values: widened once, kept in registers for every channel */
        const uint32_t x0 = src != NULL ? tg_read_s8x4(src) : pad4, x1 = src != NULL ? tg_read_s8x4(src + 4) : pad4;
        const uint32_t v0 = tg_sxtb16(x0), v1 = tg_sxtb16_ror8(x0), v2 = tg_sxtb16(x1), v3 = tg_sxtb16_ror8(x1);
        for (c = 0; c < out_c; ++c, cw += CH_CW, ++w) {
            const uint32_t e = TG_LB_NIBBLE_MASK & (*w << 4), o = TG_LB_NIBBLE_MASK & *w;
            int32_t a = cw[0];
            ch_quant q;
            a = tg_smlad(tg_sxtb16(e), v0, a);
            a = tg_smlad(tg_sxtb16_ror8(e), v1, a);
            a = tg_smlad(tg_sxtb16(o), v2, a);
            a = tg_smlad(tg_sxtb16_ror8(o), v3, a);
            ch_quant_init(&q, cw);
            y[c] = ch_out(&q, a, lo, hi);
        }
        return;
    }
    for (c = 0; c < out_c; ++c, cw += CH_CW) {
        int32_t a = cw[0];
        const int8_t *x = src;
        const uint32_t *const end = w + groups;
        ch_quant q;
        while (w < end) {
            const uint32_t e = TG_LB_NIBBLE_MASK & (*w << 4), o = TG_LB_NIBBLE_MASK & *w;
            const uint32_t x0 = x != NULL ? tg_read_s8x4(x) : pad4, x1 = x != NULL ? tg_read_s8x4(x + 4) : pad4;
            a = tg_smlad(tg_sxtb16(e), tg_sxtb16(x0), a);
            a = tg_smlad(tg_sxtb16_ror8(e), tg_sxtb16_ror8(x0), a);
            a = tg_smlad(tg_sxtb16(o), tg_sxtb16(x1), a);
            a = tg_smlad(tg_sxtb16_ror8(o), tg_sxtb16_ror8(x1), a);
            ++w;
            x = x != NULL ? x + 8 : NULL;
        }
        ch_quant_init(&q, cw);
        y[c] = ch_out(&q, a, lo, hi);
    }
}

/* Windows of one group (K <= 8): two pixels (srcs: int8 windows, NULL: all pad_value) widened into
 * registers, every channel over both; no scratch, and both windows are read before any output is
 * written. */
TG_LB_NOINLINE static void pair8(const int8_t *s0, const int8_t *s1, const uint32_t *w, const int32_t *cw,
                                 int32_t out_c, int8_t *y, int32_t count, const tg_conv_lb_params *p)
{
    const int32_t lo = p->activation.min, hi = p->activation.max;
    const uint32_t pad4 = 0x01010101u * (uint8_t)p->pad_value;
    const uint32_t x0 = s0 != NULL ? tg_read_s8x4(s0) : pad4, x1 = s0 != NULL ? tg_read_s8x4(s0 + 4) : pad4;
    const uint32_t z0 = s1 != NULL ? tg_read_s8x4(s1) : pad4, z1 = s1 != NULL ? tg_read_s8x4(s1 + 4) : pad4;
    const uint32_t u0 = tg_sxtb16(x0), u1 = tg_sxtb16_ror8(x0), u2 = tg_sxtb16(x1), u3 = tg_sxtb16_ror8(x1);
    const uint32_t v0 = tg_sxtb16(z0), v1 = tg_sxtb16_ror8(z0), v2 = tg_sxtb16(z1), v3 = tg_sxtb16_ror8(z1);
    int32_t c;
    for (c = 0; c < out_c; ++c, cw += CH_CW, ++w) {
        const uint32_t e = TG_LB_NIBBLE_MASK & (*w << 4), o = TG_LB_NIBBLE_MASK & *w;
        int32_t a = cw[0], b = cw[0];
        uint32_t t = tg_sxtb16(e);
        ch_quant q;
        a = tg_smlad(t, u0, a);
        b = tg_smlad(t, v0, b);
        t = tg_sxtb16_ror8(e);
        a = tg_smlad(t, u1, a);
        b = tg_smlad(t, v1, b);
        t = tg_sxtb16(o);
        a = tg_smlad(t, u2, a);
        b = tg_smlad(t, v2, b);
        t = tg_sxtb16_ror8(o);
        a = tg_smlad(t, u3, a);
        b = tg_smlad(t, v3, b);
        ch_quant_init(&q, cw);
        y[c] = ch_out(&q, a, lo, hi);
        if (count == 2) {
            y[out_c + c] = ch_out(&q, b, lo, hi);
        }
    }
}

tg_status tg_conv_dsp_s4(const tg_context *ctx, const tg_conv_lb_params *params,
                         const tg_dims *input_dims, const int8_t *input,
                         const int32_t *weights, const int32_t *cw,
                         const tg_dims *output_dims, int8_t *output)
{
    tg_lb_geom g;
    int32_t groups, k8, mode, total, p, size;
    uint32_t *xw = NULL;
    int8_t *bytes = NULL;
    const uint32_t *w = (const uint32_t *)weights;
    const int d = direct(params, input_dims);

    if (tg_lb_geom_bad(params, input_dims, output_dims)) {
        return TG_ERR_ARG;
    }
    tg_lb_geom_init(&g, params, input_dims, output_dims);
    k8 = (g.k + 7) & ~7;
    groups = k8 / 8;
    size = ctx != NULL && ctx->buf != NULL && ((uintptr_t)ctx->buf & 3u) == 0 ? ctx->size : 0;
    if (size < buffer_size(params, input_dims, 1)) {
        return TG_ERR_BUFFER;
    }
    mode = size >= buffer_size(params, input_dims, 4) ? 4 : (size >= buffer_size(params, input_dims, 2) ? 2 : 1);
    if (size > 0) {
        xw = (uint32_t *)ctx->buf;
        bytes = d ? NULL : (int8_t *)(xw + (mode > 1 && groups > 1 ? mode * 4 * groups : 0));
        if (bytes != NULL) {
            tg_lb_zero_tail(&g, bytes, 1, k8);
            if (groups == 1) {
                tg_lb_zero_tail(&g, bytes + 8, 1, k8);
            }
        }
    }
    total = output_dims->n * g.out_h * g.out_w;
    for (p = 0; p < total;) {
        int8_t *y = output + p * g.out_c;
        const int32_t left = total - p;
        if (groups == 1) {  /* both windows in registers; a last odd pixel with itself */
            const int32_t count = left >= 2 ? 2 : 1;
            pair8(window(&g, input, p, bytes, k8),
                  window(&g, input, p + count - 1, bytes == NULL ? NULL : bytes + 8, k8), w, cw, g.out_c, y, count,
                  params);
            p += count;
        } else if (mode == 4 && left == 1) {  /* a last single pixel: one pass, its window copied first */
            const int8_t *src = window(&g, input, p, bytes, k8);
            if (src != NULL && bytes == NULL) {  /* read in place: copy it, the output may overlap it */
                memcpy(xw, src, (size_t)k8);
                src = (const int8_t *)xw;
            }
            single(src, w, cw, groups, g.out_c, y, params);
            p += 1;
        } else if (mode == 4 && left == 2) {  /* a last pair of pixels: the two-pixel pass */
            widen(&g, input, p, bytes, xw, 2, groups);
            widen(&g, input, p + 1, bytes, xw + 1, 2, groups);
            pair(xw, w, cw, groups, g.out_c, y, 2, params);
            p += 2;
        } else if (mode == 4) {  /* windows widened first; the last three pixels the same way */
            const int32_t count = left >= 4 ? 4 : left;
            int32_t i;
            for (i = 0; i < count; ++i) {
                widen(&g, input, p + i, bytes, xw + i, 4, groups);
            }
            quad(xw, w, cw, groups, g.out_c, y, count, params);
            p += count;
        } else if (mode == 2) {
            const int32_t count = left >= 2 ? 2 : 1;
            widen(&g, input, p, bytes, xw, 2, groups);
            if (count == 2) {
                widen(&g, input, p + 1, bytes, xw + 1, 2, groups);
            }
            pair(xw, w, cw, groups, g.out_c, y, count, params);
            p += count;
        } else {  /* the window read in place (direct) or from its gathered copy */
            single(window(&g, input, p, bytes, k8), w, cw, groups, g.out_c, y, params);
            p += 1;
        }
    }
    return TG_OK;
}
