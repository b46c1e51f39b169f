/*
 * tg_l2pool_f32.c - float32 L2 pooling (portable C), as TFLite Micro's L2_POOL_2D: the square root
 * of the mean of the squares over the window elements inside the input, summed in TFLite Micro's
 * order (rows, then columns) so that every float32 rounding is the same. The kernels are built as
 * ISO C (-std=c99), where GCC does not contract the multiply-add into a fused one.
 */
#include <math.h>

#include "tg_nn.h"

tg_status tg_l2pool_f32(const tg_l2pool_params *params, const tg_dims *input_dims, const float *input,
                        const tg_dims *output_dims, float *output)
{
    const int32_t ih = input_dims->h, iw = input_dims->w, c = input_dims->c;
    int32_t b, oy, ox, ch;

    if (input_dims->n != output_dims->n || c != output_dims->c || params->stride.h < 1 || params->stride.w < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < output_dims->n; ++b) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = params->filter.h < ih - y0 ? params->filter.h : ih - y0;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = params->filter.w < iw - x0 ? params->filter.w : iw - x0;
                for (ch = 0; ch < c; ++ch) {
                    float sum = 0.0f;
                    int32_t count = 0, fy, fx;
                    float v;
                    for (fy = fy0; fy < fy1; ++fy) {
                        const float *row = input + (((size_t)b * (size_t)ih + (size_t)(y0 + fy)) * (size_t)iw) * (size_t)c;
                        for (fx = fx0; fx < fx1; ++fx) {
                            const float x = row[(size_t)(x0 + fx) * (size_t)c + (size_t)ch];
                            sum += x * x;
                            ++count;
                        }
                    }
                    if (count == 0) {
                        return TG_ERR_ARG;
                    }
                    v = sqrtf(sum / (float)count);
                    v = v < params->activation_min ? params->activation_min : v;
                    v = params->activation_max < v ? params->activation_max : v;
                    *output++ = v;
                }
            }
        }
    }
    return TG_OK;
}
