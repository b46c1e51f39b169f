/*
 * tg_compare.h - the loop shared by the six comparison kernels (not part of the public API).
 */
#ifndef TG_COMPARE_H
#define TG_COMPARE_H

#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* int8 values on the common comparison scale */
static inline int32_t tg_compare_scaled(int32_t q, int32_t offset, int32_t left_shift, const tg_quant *m)
{
    return tg_requantize((q + offset) * ((int32_t)1 << left_shift), m->multiplier, m->shift);
}

/* Walks the broadcast nest with elements of type T, writing (x OP y) for each output element;
 * SCALE(v, k) maps the element of input k to the value compared. */
#define TG_COMPARE_TYPED(T, OP, SCALE)                                               \
    do {                                                                             \
        const T *in1 = (const T *)input1;                                            \
        const T *in2 = (const T *)input2;                                            \
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
                *output++ = (uint8_t)(SCALE(*a, 1) OP SCALE(*b, 2));                 \
                a += s1;                                                             \
                b += s2;                                                             \
            }                                                                        \
        } while (tg_bcast_next(bcast, &pos));                                        \
    } while (0)

#define TG_COMPARE_AS_IS(v, k) (v)
#define TG_COMPARE_INT8(v, k) \
    tg_compare_scaled((int32_t)(v), params->input##k##_offset, params->left_shift, &params->input##k)

#define TG_COMPARE_BODY(OP)                                                          \
    if (!tg_bcast_valid(bcast)) {                                                    \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    switch (params->dtype) {                                                         \
    case TG_DTYPE_INT8:                                                              \
        TG_COMPARE_TYPED(int8_t, OP, TG_COMPARE_INT8);                               \
        break;                                                                       \
    case TG_DTYPE_INT32:                                                             \
        TG_COMPARE_TYPED(int32_t, OP, TG_COMPARE_AS_IS);                             \
        break;                                                                       \
    case TG_DTYPE_INT64:                                                             \
        TG_COMPARE_TYPED(int64_t, OP, TG_COMPARE_AS_IS);                             \
        break;                                                                       \
    case TG_DTYPE_FLOAT32:                                                           \
        TG_COMPARE_TYPED(float, OP, TG_COMPARE_AS_IS);                               \
        break;                                                                       \
    case TG_DTYPE_BOOL:                                                              \
        TG_COMPARE_TYPED(uint8_t, OP, TG_COMPARE_AS_IS);                             \
        break;                                                                       \
    default:                                                                         \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    return TG_OK

#endif /* TG_COMPARE_H */
