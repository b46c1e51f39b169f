/*
 * tg_depthwise_conv_s4.c - depthwise 2-D convolution, int8 activations, packed int4 weights read
 * in place (portable C).
 */
#include "tg_nn.h"
#include "../tg_lowbit.h"

tg_status tg_depthwise_conv_s4(const tg_context *ctx, const tg_dw_conv_params *params,
                               const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const uint8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output)
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
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                for (oc = 0; oc < out_c; ++oc) {
                    const int32_t ic = oc / mult;
                    int32_t acc = 0;
                    int32_t ky, kx;
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
                            acc += tg_s4_at(filter, (ky * k_w + kx) * out_c + oc) *
                                   ((int32_t)in_b[(y * in_w + x) * in_c + ic] + params->input_offset);
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    acc = tg_requantize(acc, quant->multiplier[oc], quant->shift[oc]) + params->output_offset;
                    *output++ = (int8_t)tg_clamp(acc, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_depthwise_conv_s4_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                             const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}
