/*
 * tg_depthwise_conv_dsp_s16.c - DEPTHWISE_CONV_2D 16x8 (depth multiplier 1, the int64 path) for
 * cores with the DSP extension: four channels at a time, per tap one weight word (SXTB16 gives two
 * channels' weights) against two words of int16 inputs in SMLABB/SMLATT, a 32-bit accumulator and
 * the one-instruction requantization the compiler checked (tinygen/fast/lowbit.py). Padded taps
 * are skipped: with int16 zero points of 0 they add nothing. See tg_nn_precision.h for the layout.
 */
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

int32_t tg_depthwise_conv_dsp_s16_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                  const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}

tg_status tg_depthwise_conv_dsp_s16(const tg_context *ctx, const tg_dw_lb_params *params,
                                    const tg_dims *input_dims, const int16_t *input,
                                    const int32_t *packed,
                                    const tg_dims *output_dims, int16_t *output)
{
    const int16_t *ptr[TG_LB_DW_MAX_TAPS];
    int32_t tap[TG_LB_DW_MAX_TAPS];
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = params->filter.h, k_w = params->filter.w, t = k_h * k_w, group_words = t + 16;
    int32_t n, oy, ox;

    (void)ctx;
    if (c % 4 != 0 || output_dims->c != c || input_dims->n != output_dims->n || t < 1 || t > TG_LB_DW_MAX_TAPS ||
        params->stride.h < 1 || params->stride.w < 1) {
        return TG_ERR_ARG;
    }
    for (n = 0; n < input_dims->n; ++n) {
        const int16_t *img = input + n * in_h * in_w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
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
                for (g = 0; g < c; g += 4, gp += group_words, output += 4) {
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
                    {
                        const int32_t acc[4] = {a0, a1, a2, a3};
                        for (k = 0; k < 4; ++k) {
                            const int32_t *r = q + 4 * k;
                            output[k] = (int16_t)tg_lb_clamp(tg_lb_requant_s16(acc[k], r[1], r[2], r[3], 1),
                                                             params->activation.min, params->activation.max);
                        }
                    }
                }
            }
        }
    }
    return TG_OK;
}
