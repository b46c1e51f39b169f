/*
 * tg_depthwise_conv_s8.c - int8 depthwise 2-D convolution with per-channel requantization
 * (portable C).
 */
#include "tg_nn.h"
#include "tg_dw_internal.h"

tg_status tg_depthwise_conv_s8(const tg_context *ctx, const tg_dw_conv_params *params,
                               const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t mult = params->ch_mult;
    int32_t b, oy, ox, ic, m;

    (void)ctx;
    if (mult <= 0 || in_c * mult != out_c || filter_dims->c != out_c || filter_dims->n != 1 ||
        input_dims->n != output_dims->n) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                for (ic = 0; ic < in_c; ++ic) {
                    for (m = 0; m < mult; ++m) {
                        *output++ = tg_dw_value(params, quant, in_b, in_h, in_w, in_c, ic, filter, k_h, k_w,
                                                out_c, ic * mult + m, bias, y0, x0);
                    }
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_depthwise_conv_s8_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                             const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}
