/*
 * tg_transpose_conv_s8.c - int8 transposed convolution with per-channel requantization
 * (portable C), computed output pixel by output pixel: no scratch buffer.
 */
#include "tg_nn.h"
#include "../tg_internal.h"

/* First and one-past-last input index i with 0 <= i < size whose tap t = o + pad - i * stride
 * lies in [0, k). */
static void input_range(int32_t o, int32_t pad, int32_t stride, int32_t k, int32_t size,
                        int32_t *first, int32_t *end)
{
    const int32_t t = o + pad;              /* tap of input index 0 */
    const int32_t lo = t - k + 1;           /* i * stride >= lo */
    int32_t a = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    int32_t b = t < 0 ? -1 : t / stride;    /* i * stride <= t */
    if (b > size - 1) {
        b = size - 1;
    }
    *first = a;
    *end = b + 1 > a ? b + 1 : a;
}

tg_status tg_transpose_conv_s8(const tg_transpose_conv_params *params, const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t sh = params->stride.h, sw = params->stride.w;
    int32_t b, oy, ox, oc;

    if (filter_dims->c != in_c || filter_dims->n != out_c || input_dims->n != output_dims->n || sh < 1 || sw < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * in_c;
        for (oy = 0; oy < out_h; ++oy) {
            int32_t iy0, iy1;
            input_range(oy, params->padding.h, sh, k_h, in_h, &iy0, &iy1);
            for (ox = 0; ox < out_w; ++ox) {
                int32_t ix0, ix1;
                input_range(ox, params->padding.w, sw, k_w, in_w, &ix0, &ix1);
                for (oc = 0; oc < out_c; ++oc) {
                    const int8_t *f = filter + (int32_t)oc * k_h * k_w * in_c;
                    /* unsigned: the int32 sum wraps around as TFLite Micro's does */
                    uint32_t acc = 0;
                    int32_t iy, ix, ic, result;
                    for (iy = iy0; iy < iy1; ++iy) {
                        const int32_t ky = oy + params->padding.h - iy * sh;
                        for (ix = ix0; ix < ix1; ++ix) {
                            const int32_t kx = ox + params->padding.w - ix * sw;
                            const int8_t *src = in_b + ((int32_t)iy * in_w + ix) * in_c;
                            const int8_t *w = f + ((int32_t)ky * k_w + kx) * in_c;
                            for (ic = 0; ic < in_c; ++ic) {
                                acc += (uint32_t)(((int32_t)src[ic] + params->input_offset) * (int32_t)w[ic]);
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += (uint32_t)bias[oc];
                    }
                    result = tg_requantize((int32_t)acc, quant->multiplier[oc], quant->shift[oc]);
                    result += params->output_offset;
                    result = tg_clamp(result, params->activation.min, params->activation.max);
                    *output++ = (int8_t)result;
                }
            }
        }
    }
    return TG_OK;
}
