/*
 * tg_pool_internal.h - the window walk shared by average and max pooling (not part of the public
 * API). Only window elements inside the input count; rows and columns outside are padding.
 */
#ifndef TG_POOL_INTERNAL_H
#define TG_POOL_INTERNAL_H

#include "tg_nn.h"
#include "../tg_internal.h"

/* Average (is_max = 0: rounded half away from zero; a window entirely in the padding is an
 * error) or maximum (is_max = 1) over each window, raster-order output. `is_max` is a constant
 * at every call, so each kernel gets its own loop. */
static inline tg_status tg_pool_s8(const tg_pool_params *params, const tg_dims *input_dims, const int8_t *input,
                                   const tg_dims *output_dims, int8_t *output, int is_max)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    int32_t b, oy, ox, c;

    if (input_dims->n != output_dims->n || output_dims->c != ch) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * ch;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            const int32_t ky0 = TG_MAX(0, -y0);
            const int32_t ky1 = TG_MIN(params->filter.h, in_h - y0);
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int32_t kx0 = TG_MAX(0, -x0);
                const int32_t kx1 = TG_MIN(params->filter.w, in_w - x0);
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);
                if (!is_max && (ky1 <= ky0 || kx1 <= kx0)) {
                    return TG_ERR_ARG; /* a window entirely in the padding */
                }
                for (c = 0; c < ch; ++c) {
                    int32_t acc = is_max ? -128 : 0;
                    int32_t ky, kx;
                    for (ky = ky0; ky < ky1; ++ky) {
                        const int8_t *row = in_b + ((int32_t)(y0 + ky) * in_w + x0 + kx0) * ch + c;
                        for (kx = 0; kx < kx1 - kx0; ++kx) {
                            acc = is_max ? TG_MAX(acc, (int32_t)row[kx * ch]) : acc + row[kx * ch];
                        }
                    }
                    if (!is_max) {
                        /* C division truncates toward zero: this rounds half away from zero */
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    *output++ = (int8_t)tg_clamp(acc, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return TG_OK;
}

#endif /* TG_POOL_INTERNAL_H */
