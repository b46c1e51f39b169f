/*
 * tg_logical.h - the broadcast loop shared by tg_logical_and and tg_logical_or (not part of the
 * public API).
 */
#ifndef TG_LOGICAL_H
#define TG_LOGICAL_H

#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* Walks the broadcast loop nest and writes (a != 0) OP (b != 0) as 0 or 1. */
#define TG_LOGICAL_BODY(OP)                                                          \
    const int32_t n = bcast->shape[bcast->rank - 1];                                 \
    const int32_t s1 = bcast->stride1[bcast->rank - 1];                              \
    const int32_t s2 = bcast->stride2[bcast->rank - 1];                              \
    tg_bcast_pos pos;                                                                \
    int32_t i;                                                                       \
    if (!tg_bcast_valid(bcast)) {                                                    \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    tg_bcast_start(&pos);                                                            \
    do {                                                                             \
        const uint8_t *a = input1 + pos.offset1;                                     \
        const uint8_t *b = input2 + pos.offset2;                                     \
        for (i = 0; i < n; ++i) {                                                    \
            *output++ = (uint8_t)((*a != 0) OP (*b != 0));                           \
            a += s1;                                                                 \
            b += s2;                                                                 \
        }                                                                            \
    } while (tg_bcast_next(bcast, &pos));                                            \
    return TG_OK

#endif /* TG_LOGICAL_H */
