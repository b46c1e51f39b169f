/*
 * tg_svdf.h - the SVDF step shared by tg_svdf_s8 (int8 time weights and state) and tg_svdf_s8_s16
 * (int16), as a macro over the state's element type (not part of the public API).
 */
#ifndef TG_SVDF_H
#define TG_SVDF_H

#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

/* T: element type of the time weights and the state; T_MIN, T_MAX: its range. Products and sums
 * are taken in uint32 so that they wrap around like TFLite Micro's int32 arithmetic. */
#define TG_SVDF_BODY(T, T_MIN, T_MAX)                                                              \
    const tg_svdf_params *p = params;                                                               \
    int32_t b, f, c, u, r, m, units;                                                                \
                                                                                                    \
    if (p->batches < 0 || p->input_size < 0 || p->filters < 1 || p->rank < 1 || p->memory < 1 ||    \
        p->filters % p->rank != 0) {                                                                \
        return TG_ERR_ARG;                                                                          \
    }                                                                                               \
    units = p->filters / p->rank;                                                                   \
    /* shift the whole state left by one element: the oldest entry of each filter drops out */      \
    if (p->batches > 0) {                                                                           \
        memmove(state, state + 1, ((size_t)p->batches * (size_t)p->filters * (size_t)p->memory - 1u) \
                * sizeof(T));                                                                       \
    }                                                                                               \
    /* the newest entry of every filter: the feature weights applied to the input */                \
    for (b = 0; b < p->batches; ++b) {                                                              \
        const int8_t *x = input + b * p->input_size;                                                \
        const int8_t *w = weights_feature;                                                          \
        T *s = state + (size_t)b * (size_t)p->filters * (size_t)p->memory + (size_t)(p->memory - 1); \
        for (f = 0; f < p->filters; ++f) {                                                          \
            uint32_t acc = 0;                                                                       \
            int32_t v;                                                                              \
            for (c = 0; c < p->input_size; ++c) {                                                   \
                acc += (uint32_t)(int32_t)*w++ * (uint32_t)((int32_t)x[c] + p->input_offset);       \
            }                                                                                       \
            v = tg_requantize((int32_t)acc, p->feature.multiplier, p->feature.shift);               \
            v = tg_clamp(v, (T_MIN), (T_MAX));                                                      \
            *s = (T)(p->state_zero_point + v); /* wraps like TFLite Micro's store */                \
            s += p->memory;                                                                         \
        }                                                                                           \
    }                                                                                               \
    /* each unit: bias plus its filters' time weights applied to their memory */                    \
    for (b = 0; b < p->batches; ++b) {                                                              \
        const T *sb = state + (size_t)b * (size_t)p->filters * (size_t)p->memory;                   \
        for (u = 0; u < units; ++u) {                                                               \
            uint32_t acc = (uint32_t)bias[u];                                                       \
            int32_t v;                                                                              \
            for (r = 0; r < p->rank; ++r) {                                                         \
                const int32_t fi = u * p->rank + r;                                                 \
                const T *wt = weights_time + fi * p->memory;                                        \
                const T *s = sb + fi * p->memory;                                                   \
                for (m = 0; m < p->memory; ++m) {                                                   \
                    acc += (uint32_t)(int32_t)wt[m] * (uint32_t)((int32_t)s[m] - p->state_zero_point); \
                }                                                                                   \
            }                                                                                       \
            v = tg_requantize((int32_t)acc, p->time.multiplier, p->time.shift) + p->output_offset;   \
            *output++ = (int8_t)tg_clamp(v, INT8_MIN, INT8_MAX);                                     \
        }                                                                                           \
    }                                                                                               \
    return TG_OK

#endif /* TG_SVDF_H */
