/*
 * tg_arg_min_max.h - the loop shared by tg_arg_max and tg_arg_min (not part of the public API).
 */
#ifndef TG_ARG_MIN_MAX_H
#define TG_ARG_MIN_MAX_H

#include "tg_nn.h"

/* For every (outer, inner) position, the index along the axis of the value that wins `v OP best`
 * first (ties keep the earlier index). */
#define TG_ARG_TYPED(T, OP)                                                          \
    do {                                                                             \
        const T *in = (const T *)input;                                              \
        int32_t o, j, i;                                                             \
        for (o = 0; o < params->outer; ++o) {                                        \
            const T *base = in + o * params->axis_size * params->inner;             \
            for (j = 0; j < params->inner; ++j) {                                    \
                T best = base[j];                                                    \
                int32_t best_i = 0;                                                  \
                for (i = 1; i < params->axis_size; ++i) {                            \
                    const T v = base[i * params->inner + j];                         \
                    if (v OP best) {                                                 \
                        best = v;                                                    \
                        best_i = i;                                                  \
                    }                                                                \
                }                                                                    \
                *output++ = best_i;                                                  \
            }                                                                        \
        }                                                                            \
    } while (0)

#define TG_ARG_BODY(OP)                                                              \
    if (params->outer < 0 || params->inner < 0 || params->axis_size < 1) {           \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    switch (params->dtype) {                                                         \
    case TG_DTYPE_INT8:                                                              \
        TG_ARG_TYPED(int8_t, OP);                                                    \
        break;                                                                       \
    case TG_DTYPE_FLOAT32:                                                           \
        TG_ARG_TYPED(float, OP);                                                     \
        break;                                                                       \
    default:                                                                         \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    return TG_OK

#endif /* TG_ARG_MIN_MAX_H */
