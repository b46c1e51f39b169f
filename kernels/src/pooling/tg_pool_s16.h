/*
 * tg_pool_s16.h - the window walk of the int16 pooling kernels (not part of the public API): the
 * int8 walk of tg_pool_internal.h on int16 elements. TG_POOL16_BODY(START, ADD, FINISH): for every
 * output pixel (raster order, channels together) and channel, START, ADD for every window element
 * inside the input (`v`), FINISH (acc -> the value before the activation clamp); `count` is the
 * number of window elements inside the input. A window wholly in the padding returns TG_ERR_ARG
 * (TFLite Micro fails there too).
 */
#ifndef TG_POOL_S16_H
#define TG_POOL_S16_H

#include "tg_nn.h"
#include "../tg_internal.h"

#define TG_POOL16_BODY(START, ADD, FINISH)                                                           \
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;                  \
    int32_t b, oy, ox, c;                                                                           \
                                                                                                    \
    if (input_dims->n != output_dims->n || output_dims->c != ch) {                                  \
        return TG_ERR_ARG;                                                                          \
    }                                                                                               \
    for (b = 0; b < input_dims->n; ++b) {                                                           \
        const int16_t *in_b = input + b * in_h * in_w * ch;                                         \
        for (oy = 0; oy < output_dims->h; ++oy) {                                                   \
            const int32_t y0 = oy * params->stride.h - params->padding.h;                           \
            const int32_t ky0 = TG_MAX(0, -y0), ky1 = TG_MIN(params->filter.h, in_h - y0);          \
            for (ox = 0; ox < output_dims->w; ++ox) {                                               \
                const int32_t x0 = ox * params->stride.w - params->padding.w;                       \
                const int32_t kx0 = TG_MAX(0, -x0), kx1 = TG_MIN(params->filter.w, in_w - x0);      \
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);                                    \
                (void)count;                                                                        \
                if (ky1 <= ky0 || kx1 <= kx0) {                                                     \
                    return TG_ERR_ARG;                                                              \
                }                                                                                   \
                for (c = 0; c < ch; ++c) {                                                          \
                    int32_t ky, kx;                                                                 \
                    START;                                                                          \
                    for (ky = ky0; ky < ky1; ++ky) {                                                \
                        const int16_t *row = in_b + ((y0 + ky) * in_w + x0 + kx0) * ch + c;         \
                        for (kx = 0; kx < kx1 - kx0; ++kx) {                                        \
                            const int32_t v = row[kx * ch];                                         \
                            ADD;                                                                    \
                        }                                                                           \
                    }                                                                               \
                    FINISH;                                                                         \
                    *output++ = (int16_t)tg_clamp(acc, params->activation.min, params->activation.max); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
    return TG_OK

#endif /* TG_POOL_S16_H */
