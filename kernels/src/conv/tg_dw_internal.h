/*
 * tg_dw_internal.h - the computation of one depthwise-convolution output value, shared by
 * tg_depthwise_conv_s8 and tg_depthwise_conv_inplace_s8 (not part of the public API).
 */
#ifndef TG_DW_INTERNAL_H
#define TG_DW_INTERNAL_H

#include "tg_nn.h"
#include "../tg_internal.h"

/* Output channel oc at the window whose top-left tap is input (y0, x0): the sum over the taps
 * inside the input (in_h x in_w pixels of in_c channels, channel ic) of
 * filter * (input + input_offset), plus bias, requantized and clamped. Taps outside the input
 * are padding and contribute nothing. */
static inline int8_t tg_dw_value(const tg_dw_conv_params *params, const tg_pc_quant *quant,
                                 const int8_t *in_b, int32_t in_h, int32_t in_w, int32_t in_c, int32_t ic,
                                 const int8_t *filter, int32_t k_h, int32_t k_w, int32_t out_c, int32_t oc,
                                 const int32_t *bias, int32_t y0, int32_t x0)
{
    int32_t acc = 0;
    int32_t ky, kx;
    for (ky = 0; ky < k_h; ++ky) {
        const int32_t y = y0 + ky * params->dilation.h;
        const int8_t *in_row;
        const int8_t *f_row;
        if (y < 0 || y >= in_h) {
            continue;
        }
        in_row = in_b + (int32_t)y * in_w * in_c + ic;
        f_row = filter + (int32_t)ky * k_w * out_c + oc;
        for (kx = 0; kx < k_w; ++kx) {
            const int32_t x = x0 + kx * params->dilation.w;
            if (x < 0 || x >= in_w) {
                continue;
            }
            acc += (int32_t)f_row[kx * out_c] * ((int32_t)in_row[x * in_c] + params->input_offset);
        }
    }
    if (bias != NULL) {
        acc += bias[oc];
    }
    acc = tg_requantize(acc, quant->multiplier[oc], quant->shift[oc]);
    acc += params->output_offset;
    return (int8_t)tg_clamp(acc, params->activation.min, params->activation.max);
}

#endif /* TG_DW_INTERNAL_H */
