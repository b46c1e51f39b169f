/*
 * tg_cumsum.h - the walk shared by tg_cumsum_s8 and tg_cumsum_f32 (not part of the public API):
 * for every (outer, inner) line, its `depth` elements in order (from the end when reverse),
 * with START, ADD(acc, element) and OUT(acc) supplied by the kernel.
 */
#ifndef TG_CUMSUM_H
#define TG_CUMSUM_H

#include "tg_nn.h"

#define TG_CUMSUM_BODY(ACC_T, START, ADD, OUT)                                              \
    int32_t o, j, k;                                                                        \
    if (params->outer < 0 || params->depth < 0 || params->inner < 0) {                      \
        return TG_ERR_ARG;                                                                  \
    }                                                                                       \
    for (o = 0; o < params->outer; ++o) {                                                   \
        for (j = 0; j < params->inner; ++j) {                                               \
            ACC_T acc = (START);                                                            \
            for (k = 0; k < params->depth; ++k) {                                           \
                const int32_t d = params->reverse ? params->depth - 1 - k : k;               \
                const int32_t idx = (o * params->depth + d) * params->inner + j;             \
                if (params->exclusive) {                                                    \
                    output[idx] = OUT(acc);                                                 \
                    acc = ADD(acc, input[idx]);                                             \
                } else {                                                                    \
                    acc = ADD(acc, input[idx]);                                             \
                    output[idx] = OUT(acc);                                                 \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    return TG_OK

#endif /* TG_CUMSUM_H */
