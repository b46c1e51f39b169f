/*
 * tg_depthwise_conv_s16.c - 16x8 depthwise 2-D convolution, int64 accumulator and bias, per-channel
 * requantization (portable C).
 */
#include "tg_nn.h"
#include "../tg_lowbit.h"

tg_status tg_depthwise_conv_s16(const tg_context *ctx, const tg_dw_conv_s16_params *params,
                                const tg_pc_quant *quant,
                                const tg_dims *input_dims, const int16_t *input,
                                const tg_dims *filter_dims, const int8_t *filter,
                                const int64_t *bias,
                                const tg_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t mult = params->ch_mult;
    int32_t b, oy, ox, oc;

    (void)ctx;
    if (mult <= 0 || in_c * mult != out_c || filter_dims->c != out_c || filter_dims->n != 1 ||
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
                    const int32_t ic = oc / mult;
                    int64_t acc = 0;
                    int32_t ky, kx, v;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * params->dilation.h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (kx = 0; kx < k_w; ++kx) {
                            const int32_t x = x0 + kx * params->dilation.w;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            acc += (int32_t)filter[(ky * k_w + kx) * out_c + oc] *
                                   (int32_t)in_b[(y * in_w + x) * in_c + ic];
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    v = tg_requantize64(acc, quant->multiplier[oc], quant->shift[oc]);
                    *output++ = (int16_t)tg_clamp(v, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_depthwise_conv_s16_get_buffer_size(const tg_dw_conv_s16_params *params, const tg_dims *input_dims,
                                              const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}
