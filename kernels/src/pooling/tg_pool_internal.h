/*
 * tg_pool_internal.h - the window walk shared by average and max pooling (not part of the public
 * API). Only window elements inside the input count; rows and columns outside are padding.
 */
#ifndef TG_POOL_INTERNAL_H
#define TG_POOL_INTERNAL_H

#include "tg_nn.h"
#include "../tg_internal.h"

/*
 * TG_POOL_BODY(START, ADD, FINISH, EMPTY): the body of a pooling kernel taking (params,
 * input_dims, input, output_dims, output). For every output pixel (raster order, channels
 * together) and channel it runs START (int32_t acc = ...), ADD for every window element inside
 * the input (the element is `v`), then FINISH (acc -> the output value, before the activation
 * clamp); `count` is the number of window elements inside the input, and EMPTY is evaluated for a
 * window entirely in the padding (a statement: return an error, or nothing). A macro rather than a
 * function with a flag: each kernel keeps the register allocation of a hand-written loop.
 */
#define TG_POOL_BODY(START, ADD, FINISH, EMPTY)                                                      \
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;                  \
    const int32_t out_h = output_dims->h, out_w = output_dims->w;                                   \
    int32_t b, oy, ox, c;                                                                           \
                                                                                                    \
    if (input_dims->n != output_dims->n || output_dims->c != ch) {                                  \
        return TG_ERR_ARG;                                                                          \
    }                                                                                               \
    for (b = 0; b < input_dims->n; ++b) {                                                           \
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * ch;                                \
        for (oy = 0; oy < out_h; ++oy) {                                                            \
            const int32_t y0 = oy * params->stride.h - params->padding.h;                           \
            const int32_t ky0 = TG_MAX(0, -y0);                                                     \
            const int32_t ky1 = TG_MIN(params->filter.h, in_h - y0);                                \
            for (ox = 0; ox < out_w; ++ox) {                                                        \
                const int32_t x0 = ox * params->stride.w - params->padding.w;                       \
                const int32_t kx0 = TG_MAX(0, -x0);                                                 \
                const int32_t kx1 = TG_MIN(params->filter.w, in_w - x0);                            \
                const int32_t count = (ky1 - ky0) * (kx1 - kx0);                                    \
                (void)count;                                                                        \
                if (ky1 <= ky0 || kx1 <= kx0) {                                                     \
                    EMPTY;                                                                          \
                }                                                                                   \
                for (c = 0; c < ch; ++c) {                                                          \
                    START;                                                                          \
                    int32_t ky, kx;                                                                 \
                    for (ky = ky0; ky < ky1; ++ky) {                                                \
                        const int8_t *row = in_b + ((int32_t)(y0 + ky) * in_w + x0 + kx0) * ch + c; \
                        for (kx = 0; kx < kx1 - kx0; ++kx) {                                        \
                            const int32_t v = row[kx * ch];                                         \
                            ADD;                                                                    \
                        }                                                                           \
                    }                                                                               \
                    FINISH;                                                                         \
                    *output++ = (int8_t)tg_clamp(acc, params->activation.min, params->activation.max); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }                                                                                               \
    return TG_OK

#endif /* TG_POOL_INTERNAL_H */
