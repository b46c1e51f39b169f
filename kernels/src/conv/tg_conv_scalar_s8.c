/*
 * tg_conv_scalar_s8.c - int8 2-D convolution for cores without the DSP extension (Cortex-M0+):
 * one output pixel at a time, two output channels per pass over its window, read row segment by
 * row segment from the input (padded taps from pad_row), 32-bit multiply-accumulate with the
 * offsets folded into the bias, the requantization of tg_fast.h without 64-bit arithmetic.
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
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = params->filter.h, k_w = params->filter.w;
    const int32_t dh = params->dilation.h, dw = params->dilation.w;
    const int32_t k = k_h * k_w * c, out_c = output_dims->c;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t b, oy, ox, ch;

    if (input_dims->n != output_dims->n || k <= 0 || out_c <= 0 || pad_row == NULL || dh < 1 || dw < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < output_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int32_t *q = channels;
                const int8_t *w = weights;
                int32_t kx_lo = 0, kx_hi = k_w;
                /* taps kx in [kx_lo, kx_hi) fall inside the row */
                while (kx_lo < kx_hi && x0 + kx_lo * dw < 0) {
                    ++kx_lo;
                }
                while (kx_hi > kx_lo && x0 + (kx_hi - 1) * dw >= in_w) {
                    --kx_hi;
                }
                for (ch = 0; ch < out_c; ch += 2, q += 2 * TG_FAST_CH_WORDS, w += 2 * k) {
                    int32_t a0 = q[0], a1 = q[1];
                    const int8_t *w0 = w;
                    int32_t ky, kx;
                    for (ky = 0; ky < k_h; ++ky) {
                        const int32_t y = y0 + ky * dh;
                        if (y < 0 || y >= in_h || kx_lo == kx_hi) {
                            tg_fast_dot1x2_scalar(pad_row, w0, w0 + k, k_w * c, &a0, &a1);
                            w0 += k_w * c;
                            continue;
                        }
                        tg_fast_dot1x2_scalar(pad_row, w0, w0 + k, kx_lo * c, &a0, &a1);
                        w0 += kx_lo * c;
                        {
                            const int8_t *src = in_b + ((int32_t)y * in_w + x0 + kx_lo * dw) * c;
                            if (dw == 1) {
                                tg_fast_dot1x2_scalar(src, w0, w0 + k, (kx_hi - kx_lo) * c, &a0, &a1);
                                w0 += (kx_hi - kx_lo) * c;
                            } else {
                                for (kx = kx_lo; kx < kx_hi; ++kx, src += dw * c, w0 += c) {
                                    tg_fast_dot1x2_scalar(src, w0, w0 + k, c, &a0, &a1);
                                }
                            }
                        }
                        tg_fast_dot1x2_scalar(pad_row, w0, w0 + k, (k_w - kx_hi) * c, &a0, &a1);
                        w0 += (k_w - kx_hi) * c;
                    }
                    output[ch] = (int8_t)tg_fast_clamp(tg_fast_requant_scalar(a0, q[2], q[3], q[4]), lo, hi);
                    if (ch + 1 < out_c) {
                        output[ch + 1] = (int8_t)tg_fast_clamp(tg_fast_requant_scalar(a1, q[5], q[6], q[7]), lo, hi);
                    }
                }
                output += out_c;
            }
        }
    }
    return TG_OK;
}
