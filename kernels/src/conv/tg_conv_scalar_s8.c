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

int32_t tg_conv_scalar_s8_get_buffer_size(const tg_conv_fast_params *params)
{
    (void)params;
    return 0;
}

tg_status tg_conv_scalar_s8(const tg_conv_fast_params *params, const int8_t *input, int8_t *output)
{
    const tg_dims *input_dims = &params->input_dims, *output_dims = &params->output_dims;
    const int8_t *const weights = (const int8_t *)params->weights, *const pad_row = params->pad_row;
    const int32_t *const channels = params->channels;
    const int32_t k = params->filter.h * params->filter.w * input_dims->c, out_c = output_dims->c;
    const int32_t c = input_dims->c, k_w = params->filter.w, dw = params->dilation.w;
    int32_t b, oy, ox, ch;

    if (input_dims->n != output_dims->n || k <= 0 || out_c <= 0 || pad_row == NULL || params->dilation.h < 1 ||
        dw < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < output_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * input_dims->h * input_dims->w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < output_dims->w; ++ox, output += out_c) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int32_t *q = channels;
                const int8_t *w = weights;
                int32_t lo, hi;
                tg_fast_window_cols(x0, k_w, dw, input_dims->w, &lo, &hi);
                for (ch = 0; ch < out_c; ch += 2, q += TG_FAST_PAIR_WORDS, w += 2 * k) {
                    int32_t a0 = q[0], a1 = q[1], ky, kx, n;
                    const int8_t *w0 = w;
                    /* the window part by part (padded parts read from pad_row) */
                    for (ky = 0; ky < params->filter.h; ++ky) {
                        const int32_t y = y0 + ky * params->dilation.h;
                        const int32_t row_off = (y * input_dims->w + x0) * c;
                        for (kx = 0; kx < k_w; kx += n) {
                            const int8_t *x;
                            n = tg_fast_part(in_b, row_off, (uint32_t)y < (uint32_t)input_dims->h, kx, lo, hi, k_w, dw,
                                             c, &x);
                            tg_fast_dot1x2_scalar(x != NULL ? x : pad_row, w0, w0 + k, n * c, &a0, &a1);
                            w0 += n * c;
                        }
                    }
                    a0 = tg_fast_clamp(tg_fast_requant_scalar(a0, q[2], q[3], tg_fast_shift1(q[3])),
                                       params->activation.min, params->activation.max);
                    a1 = tg_fast_clamp(tg_fast_requant_scalar(a1, q[4], q[5], tg_fast_shift1(q[5])),
                                       params->activation.min, params->activation.max);
                    output[ch] = (int8_t)a0;
                    if (ch + 1 < out_c) {
                        output[ch + 1] = (int8_t)a1;
                    }
                }
            }
        }
    }
    return TG_OK;
}
