/*
 * tg_conv_scalar_s8.c - int8 2-D convolution for cores without the DSP extension (Cortex-M0+):
 * one output pixel at a time; its window's runs (inside the input, or padded: read from pad_row)
 * are found once, then every output channel pair is one pass over them with 32-bit
 * multiply-accumulates (the offsets folded into the bias), and the requantization of tg_fast.h
 * without 64-bit arithmetic. No scratch. See tg_nn.h.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_fast.h"

int32_t tg_conv_scalar_s8_get_buffer_size(const tg_conv_fast_params *params, const tg_dims *input_dims,
                                          const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}

tg_status tg_conv_scalar_s8(const tg_conv_fast_params *params,
                            const tg_dims *input_dims, const int8_t *input,
                            const int8_t *weights, const int32_t *channels, const int8_t *pad_row,
                            const tg_dims *output_dims, int8_t *output)
{
    const int32_t k = params->filter.h * params->filter.w * input_dims->c, out_c = output_dims->c;
    const int32_t in_image = input_dims->h * input_dims->w * input_dims->c;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    tg_fast_segment seg[TG_FAST_MAX_SEGMENTS];
    int32_t b, oy, ox, ch, s;

    if (input_dims->n != output_dims->n || k <= 0 || out_c <= 0 || pad_row == NULL || params->dilation.h < 1 ||
        params->dilation.w < 1 || tg_fast_window_too_large(params)) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < output_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_image;
        for (oy = 0; oy < output_dims->h; ++oy) {
            for (ox = 0; ox < output_dims->w; ++ox, output += out_c) {
                const int32_t n = tg_fast_window(params, input_dims, in_b, oy * params->stride.h - params->padding.h,
                                                 ox * params->stride.w - params->padding.w, seg);
                const int32_t *q = channels;
                const int8_t *w = weights;
                for (ch = 0; ch < out_c; ch += 2, q += 2 * TG_FAST_CH_WORDS, w += 2 * k) {
                    int32_t a0 = q[0], a1 = q[1], v0, v1;
                    const int8_t *w0 = w;
                    for (s = 0; s < n; ++s) {
                        tg_fast_dot1x2_scalar(seg[s].src != NULL ? seg[s].src : pad_row, w0, w0 + k, seg[s].bytes, &a0,
                                              &a1);
                        w0 += seg[s].bytes;
                    }
                    v0 = tg_fast_clamp(tg_fast_requant_scalar(a0, q[2], q[3], q[4]), lo, hi);
                    v1 = tg_fast_clamp(tg_fast_requant_scalar(a1, q[5], q[6], q[7]), lo, hi);
                    output[ch] = (int8_t)v0;
                    if (ch + 1 < out_c) {
                        output[ch + 1] = (int8_t)v1;
                    }
                }
            }
        }
    }
    return TG_OK;
}
