/*
 * tg_conv_s16.c - 16x8 2-D convolution (int16 activations, int8 weights), int64 or int32
 * accumulator, per-channel requantization (portable C).
 */
#include "tg_nn.h"
#include "../tg_lowbit.h"

tg_status tg_conv_s16(const tg_context *ctx, const tg_conv_s16_params *params, const tg_pc_quant *quant,
                      const tg_dims *input_dims, const int16_t *input,
                      const tg_dims *filter_dims, const int8_t *filter,
                      const int32_t *bias32, const int64_t *bias64,
                      const tg_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w, k_c = filter_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t groups = k_c > 0 ? in_c / k_c : 0;
    int32_t b, oy, ox, oc;

    (void)ctx;
    if (groups <= 0 || groups * k_c != in_c || out_c % groups != 0 || filter_dims->n != out_c ||
        input_dims->n != output_dims->n) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int16_t *in_b = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                for (oc = 0; oc < out_c; ++oc) {
                    const int32_t g = oc / (out_c / groups);
                    const int8_t *f = filter + oc * k_h * k_w * k_c;
                    int64_t acc = 0;   /* int64 path */
                    uint32_t acc32 = 0; /* int32 path: wraps around like TFLite Micro's */
                    int32_t ky, kx, ic, v;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * params->dilation.h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx * params->dilation.w;
                            const int16_t *src;
                            const int8_t *w;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            src = in_b + (y * in_w + x) * in_c + g * k_c;
                            w = f + (ky * k_w + kx) * k_c;
                            for (ic = 0; ic < k_c; ++ic) {
                                const int32_t p = (int32_t)w[ic] * (int32_t)src[ic];
                                acc += p;
                                acc32 += (uint32_t)p;
                            }
                        }
                    }
                    if (params->acc64) {
                        acc += bias64 != NULL ? bias64[oc] : 0;
                    } else {
                        acc = (int32_t)(acc32 + (uint32_t)(bias32 != NULL ? bias32[oc] : 0));
                    }
                    v = tg_requantize_s16(acc, params->acc64, quant->multiplier[oc], quant->shift[oc]);
                    *output++ = (int16_t)tg_clamp(v, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_conv_s16_get_buffer_size(const tg_dims *input_dims, const tg_dims *filter_dims)
{
    (void)input_dims;
    (void)filter_dims;
    return 0;
}
