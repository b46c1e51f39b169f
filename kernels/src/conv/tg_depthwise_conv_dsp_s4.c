/*
 * tg_depthwise_conv_dsp_s4.c - DEPTHWISE_CONV_2D (depth multiplier 1) with int8 activations and
 * packed int4 weights for cores with the DSP extension: four channels at a time, two taps per
 * weight word unpacked in registers (tg_lowbit_dsp.h), SMLABB/SMLATT against the input widened by
 * SXTB16. The input offset is folded into the bias, so a padded tap reads the input zero point:
 * from the pad row at the head of `packed`. A window's taps are read at base + off[t] (base + 4 g
 * for channel group g): base is the window's first pixel and off the taps' offsets when the window
 * lies inside the input, else base is 0 and off holds each tap's address (its input pixel or the
 * pad row). See tg_nn_precision.h for the layout.
 */
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

/* Words per group of four channels after the weight words: 4 biases, 4 (multiplier, rounding term)
 * pairs and the word of the four requantization specs. */
#define GROUP_CW 13

int32_t tg_depthwise_conv_dsp_s4_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                 const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
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


/* One output from acc16 with the channel's (mult, round) at mr and its spec byte: a | n << 2 (a = 3
 * - L, n the right shift; see tinygen/fast/lowbit.py). */
TG_INLINE int8_t out1(int32_t acc16, const int32_t *mr, uint32_t spec, int32_t lo, int32_t hi)
{
    const int32_t a = (int32_t)(spec & 3u), n = (int32_t)((spec >> 2) & 31u);
    const int32_t v = tg_smmlar(acc16 >> a, mr[0], mr[1] + (n != 0 ? (acc16 >> 31) : 0)) >> n;
    return (int8_t)tg_lb_clamp(v, lo, hi);
}

/* The same for a right shift n >= 1 (a = 3): bit 7 of the spec byte set. */
TG_INLINE int8_t out1_right(int32_t acc16, const int32_t *mr, uint32_t spec, int32_t lo, int32_t hi)
{
    const int32_t v = tg_smmlar(acc16 >> 3, mr[0], mr[1] + (acc16 >> 31)) >> ((spec >> 2) & 31u);
    return (int8_t)tg_lb_clamp(v, lo, hi);
}

/* Requantize and store a group's four outputs (q: the group's channel words). */
TG_INLINE void store4(int8_t *y, const int32_t *q, int32_t a0, int32_t a1, int32_t a2, int32_t a3, int32_t lo,
                      int32_t hi)
{
    const uint32_t spec = (uint32_t)q[12];
    if ((spec & 0x80808080u) == 0x80808080u) {
        y[0] = out1_right(a0, q + 4, spec, lo, hi);
        y[1] = out1_right(a1, q + 6, spec >> 8, lo, hi);
        y[2] = out1_right(a2, q + 8, spec >> 16, lo, hi);
        y[3] = out1_right(a3, q + 10, spec >> 24, lo, hi);
    } else {
        y[0] = out1(a0, q + 4, spec, lo, hi);
        y[1] = out1(a1, q + 6, spec >> 8, lo, hi);
        y[2] = out1(a2, q + 8, spec >> 16, lo, hi);
        y[3] = out1(a3, q + 10, spec >> 24, lo, hi);
    }
}

/* Every channel group of one window (see the file comment for base and off). */
TG_LB_NOINLINE static void window(uintptr_t base, const intptr_t *off, const int32_t *packed, int32_t taps,
                                  int32_t c, int8_t *y, int32_t lo, int32_t hi)
{
    const int32_t pairs = (taps + 1) / 2;
    int32_t g;
    if (taps == 9) {  /* 3x3: the tap loop unrolled */
        for (g = 0; g < c; g += 4, packed += 5 + GROUP_CW, y += 4, base += 4) {
            const int32_t *q = packed + 5;
            int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
            TG_DW4_PAIR(TG_DW4_AT(0), TG_DW4_AT(1), (uint32_t)packed[0]);
            TG_DW4_PAIR(TG_DW4_AT(2), TG_DW4_AT(3), (uint32_t)packed[1]);
            TG_DW4_PAIR(TG_DW4_AT(4), TG_DW4_AT(5), (uint32_t)packed[2]);
            TG_DW4_PAIR(TG_DW4_AT(6), TG_DW4_AT(7), (uint32_t)packed[3]);
            TG_DW4_HALF(TG_DW4_AT(8), TG_LB_NIBBLE_MASK & ((uint32_t)packed[4] << 4));
            store4(y, q, a0, a1, a2, a3, lo, hi);
        }
        return;
    }
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
    const int32_t lo = params->activation.min, hi = params->activation.max;
    const int8_t *pad = (const int8_t *)packed;   /* C bytes of the input zero point */
    const int32_t *groups = packed + c / 4;
    int32_t n, oy, ox, ky, kx, i;

    (void)ctx;
    if (c % 4 != 0 || output_dims->c != c || input_dims->n != output_dims->n || t < 1 || t > TG_LB_DW_MAX_TAPS ||
        params->stride.h < 1 || params->stride.w < 1 || d_h < 1 || d_w < 1) {
        return TG_ERR_ARG;
    }
    for (ky = 0, i = 0; ky < k_h; ++ky) {
        for (kx = 0; kx < k_w; ++kx, ++i) {
            off[i] = (intptr_t)(ky * d_h * in_w + kx * d_w) * c;
        }
    }
    for (n = 0; n < input_dims->n; ++n) {
        const int8_t *img = input + n * in_h * in_w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            const int rows_inside = y0 >= 0 && y0 + (k_h - 1) * d_h < in_h;
            for (ox = 0; ox < output_dims->w; ++ox, output += c) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                if (rows_inside && x0 >= 0 && x0 + (k_w - 1) * d_w < in_w) {
                    window((uintptr_t)(img + (y0 * in_w + x0) * c), off, groups, t, c, output, lo, hi);
                    continue;
                }
                for (ky = 0, i = 0; ky < k_h; ++ky) {
                    const int32_t y = y0 + ky * d_h;
                    for (kx = 0; kx < k_w; ++kx, ++i) {
                        const int32_t x = x0 + kx * d_w;
                        at[i] = (intptr_t)((y >= 0 && y < in_h && x >= 0 && x < in_w) ? img + (y * in_w + x) * c
                                                                                        : pad);
                    }
                }
                window(0, at, groups, t, c, output, lo, hi);
            }
        }
    }
    return TG_OK;
}
