/*
 * tg_minmax.h - the loop shared by tg_maximum and tg_minimum (not part of the public API).
 */
#ifndef TG_MINMAX_H
#define TG_MINMAX_H

#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* Walks the broadcast loop nest with elements of type T and writes x OP y ? x : y. */
#define TG_MINMAX_TYPED(T, OP)                                                       \
    do {                                                                             \
        const T *in1 = (const T *)input1;                                            \
        const T *in2 = (const T *)input2;                                            \
        T *out = (T *)output;                                                        \
        const int32_t n = bcast->shape[bcast->rank - 1];                             \
        const int32_t s1 = bcast->stride1[bcast->rank - 1];                          \
        const int32_t s2 = bcast->stride2[bcast->rank - 1];                          \
        tg_bcast_pos pos;                                                            \
        int32_t i;                                                                   \
        tg_bcast_start(&pos);                                                        \
        do {                                                                         \
            const T *a = in1 + pos.offset1;                                          \
            const T *b = in2 + pos.offset2;                                          \
            for (i = 0; i < n; ++i) {                                                \
                const T x = *a;                                                      \
                const T y = *b;                                                      \
                *out++ = (x OP y) ? x : y;                                           \
                a += s1;                                                             \
                b += s2;                                                             \
            }                                                                        \
        } while (tg_bcast_next(bcast, &pos));                                        \
    } while (0)

/* The body of tg_maximum (OP >) or tg_minimum (OP <): dispatch on the element type. */
#define TG_MINMAX_BODY(OP)                                                           \
    if (!tg_bcast_valid(bcast)) {                                                    \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    switch (dtype) {                                                                 \
    case TG_DTYPE_INT8:                                                              \
        TG_MINMAX_TYPED(int8_t, OP);                                                 \
        break;                                                                       \
    case TG_DTYPE_INT16:                                                             \
        TG_MINMAX_TYPED(int16_t, OP);                                                \
        break;                                                                       \
    case TG_DTYPE_INT32:                                                             \
        TG_MINMAX_TYPED(int32_t, OP);                                                \
        break;                                                                       \
    case TG_DTYPE_INT64:                                                             \
        TG_MINMAX_TYPED(int64_t, OP);                                                \
        break;                                                                       \
    case TG_DTYPE_FLOAT32:                                                           \
        TG_MINMAX_TYPED(float, OP);                                                  \
        break;                                                                       \
    default:                                                                         \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    return TG_OK

#endif /* TG_MINMAX_H */
