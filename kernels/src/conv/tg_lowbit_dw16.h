/*
 * tg_lowbit_dw16.h - one output pixel of the 16x8 DSP depthwise convolution, shared by
 * tg_depthwise_conv_dsp_s16 and tg_depthwise_conv_inplace_dsp_s16 (not part of the public API).
 */
#ifndef TG_LOWBIT_DW16_H
#define TG_LOWBIT_DW16_H

#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

/* Words per group of four channels after its T weight words: (bias, mult, round, n) per channel. */
#define TG_DW16_GROUP_CW 16

/* Output pixel (oy, ox) of image `img` (all C channels) into dst: four channels at a time, per tap
 * inside the input one weight word (SXTB16: two channels' weights) against two words of inputs in
 * SMLABB/SMLATT; taps in the padding are skipped (they add 0: int16 zero points are 0). */
TG_INLINE void tg_dw16_pixel(const tg_dw_lb_params *params, const tg_dims *input_dims, const int16_t *img,
                             const int32_t *packed, int32_t oy, int32_t ox, int16_t *dst)
{
    const int16_t *ptr[TG_LB_DW_MAX_TAPS];
    int32_t tap[TG_LB_DW_MAX_TAPS];
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = params->filter.h, k_w = params->filter.w, t = k_h * k_w;
    const int32_t y0 = oy * params->stride.h - params->padding.h, x0 = ox * params->stride.w - params->padding.w;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    const int32_t *gp = packed;
    int32_t ky, kx, g, i = 0, inside = 0;
    for (ky = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * params->dilation.h;
        for (kx = 0; kx < k_w; ++kx, ++i) {
            const int32_t x = x0 + kx * params->dilation.w;
            if (y >= 0 && y < in_h && x >= 0 && x < in_w) {
                ptr[inside] = img + (y * in_w + x) * c;
                tap[inside++] = i;
            }
        }
    }
    for (g = 0; g < c; g += 4, gp += t + TG_DW16_GROUP_CW, dst += 4) {
        const int32_t *q = gp + t;
        int32_t a0 = q[0], a1 = q[4], a2 = q[8], a3 = q[12];
        int32_t k;
        for (k = 0; k < inside; ++k) {
            const uint32_t w = (uint32_t)gp[tap[k]];
            const uint32_t x01 = tg_read_s16x2(ptr[k] + g), x23 = tg_read_s16x2(ptr[k] + g + 2);
            const uint32_t wl = tg_sxtb16(w), wh = tg_sxtb16_ror8(w);
            a0 = tg_smlabb(wl, x01, a0);
            a1 = tg_smlatt(wl, x01, a1);
            a2 = tg_smlabb(wh, x23, a2);
            a3 = tg_smlatt(wh, x23, a3);
        }
        dst[0] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a0, q[1], q[2], q[3], 1), lo, hi);
        dst[1] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a1, q[5], q[6], q[7], 1), lo, hi);
        dst[2] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a2, q[9], q[10], q[11], 1), lo, hi);
        dst[3] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a3, q[13], q[14], q[15], 1), lo, hi);
    }
}

static inline int tg_dw16_bad(const tg_dw_lb_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    const int32_t t = params->filter.h * params->filter.w;
    return input_dims->c % 4 != 0 || output_dims->c != input_dims->c || input_dims->n != output_dims->n || t < 1 ||
           t > TG_LB_DW_MAX_TAPS || params->stride.h < 1 || params->stride.w < 1 || params->dilation.h < 1 ||
           params->dilation.w < 1;
}

#endif /* TG_LOWBIT_DW16_H */
