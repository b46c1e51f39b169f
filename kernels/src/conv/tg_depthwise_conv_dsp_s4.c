/*
 * tg_depthwise_conv_dsp_s4.c - DEPTHWISE_CONV_2D (depth multiplier 1) with int8 activations and
 * packed int4 weights for cores with the DSP extension: four channels at a time, two taps per
 * weight word unpacked in registers (tg_lowbit_dsp.h), SMLABB/SMLATT against the input widened by
 * SXTB16. The input offset is folded into the bias, so a padded tap reads the input zero point:
 * from the pad row at the head of `packed`. A window's taps are read at base + off[t] (base + 4 g
 * for channel group g): base is the window's first pixel and off the taps' offsets when the window
 * lies inside the input, else base is 0 and off holds each tap's address (its input pixel or the
 * pad row). 3x3 windows of dilation 1 take a hand-scheduled path on the DSP cores: three row
 * pointers, the taps of a row at +0, +C, +2C (100 instructions per 36 multiply-accumulates); a
 * window reaching into the padding is first gathered (pad values included) into the scratch when
 * there is one. Their taps are packed in the order (0,1) (0,2) (0,0) (1,1) (1,2) (1,0) (2,1) (2,2)
 * (2,0), so that the row's first tap comes last and its load advances the row pointer. See
 * tg_nn_precision.h for the layout.
 */
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

/* n bytes (a multiple of 4) from src to dst, a word at a time. */
static inline void tg_lb_copy4(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 0; n -= 4, dst += 4, src += 4) {
        tg_write_s8x4(dst, tg_read_s8x4(src));
    }
}

/* Words per group of four channels after the weight words: 4 biases, 4 (multiplier, rounding term)
 * pairs and the word of the four requantization specs. */
#define GROUP_CW 13

/* 3x3 windows of dilation 1: the row-pointer path. */
static int is3x3(const tg_dw_lb_params *params)
{
    return params->filter.h == 3 && params->filter.w == 3 && params->dilation.h == 1 && params->dilation.w == 1;
}

/* Processing order of the 3x3 taps (ky * 3 + kx), as packed. */
static const int8_t order3[9] = {1, 2, 0, 4, 5, 3, 7, 8, 6};

int32_t tg_depthwise_conv_dsp_s4_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                 const tg_dims *output_dims)
{
    (void)output_dims;
    return is3x3(params) ? 9 * input_dims->c : 0;  /* a border window gathered with its padding */
}

/* Taps t (low nibbles of w, inputs xa) and t + 1 (high nibbles, inputs xb) of four channels. */
#define TG_DW4_HALF(xa, e_)                                                          \
    do {                                                                             \
        uint32_t wv_ = tg_sxtb16(e_), xv_ = tg_sxtb16(xa);                           \
        a0 = tg_smlabb(wv_, xv_, a0);                                                \
        a2 = tg_smlatt(wv_, xv_, a2);                                                \
        wv_ = tg_sxtb16_ror8(e_);                                                    \
        xv_ = tg_sxtb16_ror8(xa);                                                    \
        a1 = tg_smlabb(wv_, xv_, a1);                                                \
        a3 = tg_smlatt(wv_, xv_, a3);                                                \
    } while (0)
#define TG_DW4_PAIR(xa, xb, wword)                                                   \
    do {                                                                             \
        const uint32_t w_ = (wword);                                                 \
        TG_DW4_HALF(xa, TG_LB_NIBBLE_MASK & (w_ << 4));                              \
        TG_DW4_HALF(xb, TG_LB_NIBBLE_MASK & w_);                                     \
    } while (0)
#define TG_DW4_AT(t) tg_read_s8x4((const int8_t *)(base + (uintptr_t)off[t]))


/* One output from acc16 (before the clamp) with the channel's (mult, round) at mr and its spec byte:
 * a | n << 2 (a = 3 - L, n the right shift; see tinygen/fast/lowbit.py). */
TG_INLINE int32_t out1(int32_t acc16, const int32_t *mr, uint32_t spec)
{
    const int32_t a = (int32_t)(spec & 3u), n = (int32_t)((spec >> 2) & 31u);
    return tg_smmlar(acc16 >> a, mr[0], mr[1] + (n != 0 ? (acc16 >> 31) : 0)) >> n;
}

/* The same for a right shift n >= 1 (a = 3): bit 7 of the spec byte set. */
TG_INLINE int32_t out1_right(int32_t acc16, const int32_t *mr, uint32_t spec)
{
    return tg_smmlar(acc16 >> 3, mr[0], mr[1] + (acc16 >> 31)) >> ((spec >> 2) & 31u);
}

/* Requantize a group's four outputs, clamp them (bytes of lo4, hi4) and store them in one word
 * (q: the group's channel words). */
TG_INLINE void store4(int8_t *y, const int32_t *q, int32_t a0, int32_t a1, int32_t a2, int32_t a3, uint32_t lo4,
                      uint32_t hi4)
{
    const uint32_t spec = (uint32_t)q[12];
    uint32_t v;
    if ((spec & 0x80808080u) == 0x80808080u) {
        v = tg_lb_pack4(out1_right(a0, q + 4, spec), out1_right(a1, q + 6, spec >> 8),
                        out1_right(a2, q + 8, spec >> 16), out1_right(a3, q + 10, spec >> 24));
    } else {
        v = tg_lb_pack4(out1(a0, q + 4, spec), out1(a1, q + 6, spec >> 8), out1(a2, q + 8, spec >> 16),
                        out1(a3, q + 10, spec >> 24));
    }
    tg_write_s8x4(y, tg_lb_clamp4(v, lo4, hi4));
}

#if TG_SIMD_NATIVE && defined(__OPTIMIZE__)
/* One tap: x at ADDR, weights in the low ("e") or high ("o") nibbles (register W). */
#define TG_DW3_TAP(ADDR, W)                              \
    "ldr    %[x], " ADDR "\n\t"                          \
    "sxtb16 %[t2], %[x]\n\t"                             \
    "sxtb16 %[x], %[x], ror #8\n\t"                      \
    "sxtb16 %[t1], %[" W "]\n\t"                         \
    "smlabb %[a0], %[t1], %[t2], %[a0]\n\t"              \
    "smlatt %[a2], %[t1], %[t2], %[a2]\n\t"              \
    "sxtb16 %[t1], %[" W "], ror #8\n\t"                 \
    "smlabb %[a1], %[t1], %[x], %[a1]\n\t"               \
    "smlatt %[a3], %[t1], %[x], %[a3]\n\t"
/* The next weight word: e (low nibbles) and o (high nibbles), both times 16. */
#define TG_DW3_WORD                                      \
    "ldr    %[o], [%[wq]], #4\n\t"                       \
    "lsl    %[e], %[o], #4\n\t"                          \
    "and    %[e], %[e], #0xF0F0F0F0\n\t"                 \
    "and    %[o], %[o], #0xF0F0F0F0\n\t"

/* The four accumulators of one channel group of a 3x3 window: rows at p0, p1, p2 (advanced by 4),
 * taps at +C, +2C, +0 of each row; wq at the group's five weight words (advanced past them). */
#define TG_DW3_GROUP(P0_, P1_, P2_, CS_, WQ_, A0_, A1_, A2_, A3_)                                                \
    do {                                                                                                \
        uint32_t e_, o_, t1_, t2_, x_;                                                                  \
        __asm__ volatile(                                                                               \
            TG_DW3_WORD                                                                                 \
            TG_DW3_TAP("[%[p0], %[cs]]", "e")                                                           \
            TG_DW3_TAP("[%[p0], %[cs], lsl #1]", "o")                                                   \
            TG_DW3_WORD                                                                                 \
            TG_DW3_TAP("[%[p0]], #4", "e")                                                              \
            TG_DW3_TAP("[%[p1], %[cs]]", "o")                                                           \
            TG_DW3_WORD                                                                                 \
            TG_DW3_TAP("[%[p1], %[cs], lsl #1]", "e")                                                   \
            TG_DW3_TAP("[%[p1]], #4", "o")                                                              \
            TG_DW3_WORD                                                                                 \
            TG_DW3_TAP("[%[p2], %[cs]]", "e")                                                           \
            TG_DW3_TAP("[%[p2], %[cs], lsl #1]", "o")                                                   \
            "ldr    %[o], [%[wq]], #4\n\t"                                                              \
            "lsl    %[e], %[o], #4\n\t"                                                                 \
            "and    %[e], %[e], #0xF0F0F0F0\n\t"                                                        \
            TG_DW3_TAP("[%[p2]], #4", "e")                                                              \
            : [a0] "+r"(A0_), [a1] "+r"(A1_), [a2] "+r"(A2_), [a3] "+r"(A3_), [p0] "+r"(P0_), [p1] "+r"(P1_),   \
              [p2] "+r"(P2_), [wq] "+r"(WQ_), [e] "=&r"(e_), [o] "=&r"(o_), [t1] "=&r"(t1_), [t2] "=&r"(t2_), \
              [x] "=&r"(x_)                                                                             \
            : [cs] "r"(CS_)                                                                              \
            : "memory");                                                                                \
    } while (0)
#else
#define TG_DW3_ONE(ADDR, W)                                                                             \
    do {                                                                                                \
        const uint32_t x_ = tg_read_s8x4(ADDR), xl_ = tg_sxtb16(x_), xh_ = tg_sxtb16_ror8(x_);           \
        const uint32_t wl_ = tg_sxtb16(W), wh_ = tg_sxtb16_ror8(W);                                     \
        a0 = tg_smlabb(wl_, xl_, a0);                                                                   \
        a2 = tg_smlatt(wl_, xl_, a2);                                                                   \
        a1 = tg_smlabb(wh_, xh_, a1);                                                                   \
        a3 = tg_smlatt(wh_, xh_, a3);                                                                   \
    } while (0)
#define TG_DW3_GROUP(p0, p1, p2, cs, wq, a0, a1, a2, a3)                                                \
    do {                                                                                                \
        const int8_t *rows_[3] = {p0, p1, p2};                                                          \
        int k_;                                                                                         \
        for (k_ = 0; k_ < 9; ++k_) {                                                                    \
            const uint32_t w_ = (uint32_t)wq[k_ / 2];                                                   \
            const uint32_t nib_ = TG_LB_NIBBLE_MASK & (k_ & 1 ? w_ : w_ << 4);                          \
            const int32_t kx_ = (int32_t)order3[k_] % 3;                                                \
            TG_DW3_ONE(rows_[order3[k_] / 3] + kx_ * (cs), nib_);                                       \
        }                                                                                               \
        p0 += 4;                                                                                        \
        p1 += 4;                                                                                        \
        p2 += 4;                                                                                        \
        wq += 5;                                                                                        \
    } while (0)
#endif

/* Every channel group of a 3x3 window whose rows start at r0, r1, r2 (C bytes per pixel). */
TG_LB_NOINLINE static void window3(const int8_t *r0, const int8_t *r1, const int8_t *r2, int32_t cs,
                                   const int32_t *packed, int32_t c, int8_t *y, uint32_t lo, uint32_t hi)
{
    const int32_t *wq = packed;
    int32_t g;
    for (g = 0; g < c; g += 4, y += 4) {
        int32_t a0 = wq[5], a1 = wq[6], a2 = wq[7], a3 = wq[8];
        TG_DW3_GROUP(r0, r1, r2, cs, wq, a0, a1, a2, a3);
        store4(y, wq, a0, a1, a2, a3, lo, hi);
        wq += GROUP_CW;
    }
}

/* Every channel group of one window (see the file comment for base and off). */
TG_LB_NOINLINE static void window(uintptr_t base, const intptr_t *off, const int32_t *packed, int32_t taps,
                                  int32_t c, int8_t *y, uint32_t lo, uint32_t hi)
{
    const int32_t pairs = (taps + 1) / 2;
    int32_t g;
    for (g = 0; g < c; g += 4, packed += pairs + GROUP_CW, y += 4, base += 4) {
        const int32_t *q = packed + pairs;
        int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
        int32_t k;
        for (k = 0; k + 1 < taps; k += 2) {
            TG_DW4_PAIR(TG_DW4_AT(k), TG_DW4_AT(k + 1), (uint32_t)packed[k / 2]);
        }
        if (taps & 1) {
            TG_DW4_HALF(TG_DW4_AT(taps - 1), TG_LB_NIBBLE_MASK & ((uint32_t)packed[pairs - 1] << 4));
        }
        store4(y, q, a0, a1, a2, a3, lo, hi);
    }
}

tg_status tg_depthwise_conv_dsp_s4(const tg_context *ctx, const tg_dw_lb_params *params,
                                   const tg_dims *input_dims, const int8_t *input,
                                   const int32_t *packed,
                                   const tg_dims *output_dims, int8_t *output)
{
    intptr_t off[TG_LB_DW_MAX_TAPS];
    intptr_t at[TG_LB_DW_MAX_TAPS];
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = params->filter.h, k_w = params->filter.w, t = k_h * k_w;
    const int32_t d_h = params->dilation.h, d_w = params->dilation.w;
    const uint32_t lo = 0x01010101u * (uint8_t)params->activation.min, hi = 0x01010101u * (uint8_t)params->activation.max;
    const int8_t *pad = (const int8_t *)packed;   /* C bytes of the input zero point */
    const int32_t *groups = packed + c / 4;
    const int fast3 = is3x3(params);
    int8_t *box = ctx != NULL && ctx->buf != NULL && ctx->size >= 9 * c ? (int8_t *)ctx->buf : NULL;
    int32_t n, oy, ox, ky, kx, i;

    if (c % 4 != 0 || output_dims->c != c || input_dims->n != output_dims->n || t < 1 || t > TG_LB_DW_MAX_TAPS ||
        params->stride.h < 1 || params->stride.w < 1 || d_h < 1 || d_w < 1) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < t; ++i) {  /* tap offsets, in the packing order */
        const int32_t tap = t == 9 && k_w == 3 ? order3[i] : i;
        off[i] = (intptr_t)((tap / k_w) * d_h * in_w + (tap % k_w) * d_w) * c;
    }
    for (n = 0; n < input_dims->n; ++n) {
        const int8_t *img = input + n * in_h * in_w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            const int rows_inside = y0 >= 0 && y0 + (k_h - 1) * d_h < in_h;
            for (ox = 0; ox < output_dims->w; ++ox, output += c) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int inside = rows_inside && x0 >= 0 && x0 + (k_w - 1) * d_w < in_w;
                if (fast3 && inside) {
                    const int8_t *r0 = img + (y0 * in_w + x0) * c;
                    window3(r0, r0 + in_w * c, r0 + 2 * in_w * c, c, groups, c, output, lo, hi);
                    continue;
                }
                if (fast3 && box != NULL) {  /* gather the window, padding included, then the same path */
                    for (ky = 0; ky < 3; ++ky) {
                        for (kx = 0; kx < 3; ++kx) {
                            const int32_t y = y0 + ky, x = x0 + kx;
                            const int8_t *src = (y >= 0 && y < in_h && x >= 0 && x < in_w) ? img + (y * in_w + x) * c
                                                                                            : pad;
                            tg_lb_copy4(box + (ky * 3 + kx) * c, src, c);
                        }
                    }
                    window3(box, box + 3 * c, box + 6 * c, c, groups, c, output, lo, hi);
                    continue;
                }
                if (inside) {
                    window((uintptr_t)(img + (y0 * in_w + x0) * c), off, groups, t, c, output, lo, hi);
                    continue;
                }
                for (i = 0; i < t; ++i) {
                    const int32_t tap = t == 9 && k_w == 3 ? order3[i] : i;
                    const int32_t y = y0 + (tap / k_w) * d_h, x = x0 + (tap % k_w) * d_w;
                    at[i] = (intptr_t)((y >= 0 && y < in_h && x >= 0 && x < in_w) ? img + (y * in_w + x) * c : pad);
                }
                window(0, at, groups, t, c, output, lo, hi);
            }
        }
    }
    return TG_OK;
}
