/*
 * tg_reduce_walk.h - the loop shared by tg_reduce_max and tg_reduce_min (not part of the public
 * API). The compiler describes the input as two loop nests over element strides (as for
 * tg_mean_s8): the kept dimensions in output order and the reduced ones in input order.
 */
#ifndef TG_REDUCE_WALK_H
#define TG_REDUCE_WALK_H

#include "tg_nn.h"
#include "../tg_internal.h"

/* Advance a multi-index over a loop nest (last dimension fastest); returns the element offset
 * change, or sets *done when the nest wraps around. */
static inline int32_t tg_reduce_step(const tg_loop_nest *nest, int32_t *index, int *done)
{
    int32_t d, delta = 0;
    for (d = nest->count - 1; d >= 0; --d) {
        if (++index[d] < nest->size[d]) {
            return delta + nest->stride[d];
        }
        delta -= (nest->size[d] - 1) * nest->stride[d];
        index[d] = 0;
    }
    *done = 1;
    return 0;
}

/* One output element per outer index: the running value starts at INIT and takes the next
 * input only when `v OP acc` (TFLite Micro's comparison, in its order). */
#define TG_REDUCE_TYPED(T, OP, INIT)                                                 \
    do {                                                                             \
        const T *in = (const T *)input;                                              \
        T *out = (T *)output;                                                        \
        int32_t outer_idx[TG_LOOP_NEST_MAX_DIMS] = {0};                              \
        int32_t base = 0;                                                            \
        int outer_done = 0;                                                          \
        while (!outer_done) {                                                        \
            int32_t inner_idx[TG_LOOP_NEST_MAX_DIMS] = {0};                          \
            int32_t pos = base;                                                      \
            int inner_done = 0;                                                      \
            T acc = (INIT);                                                          \
            while (!inner_done) {                                                    \
                const T v = in[pos];                                                 \
                acc = (v OP acc) ? v : acc;                                          \
                pos += tg_reduce_step(&params->inner, inner_idx, &inner_done);       \
            }                                                                        \
            *out++ = acc;                                                            \
            base += tg_reduce_step(&params->outer, outer_idx, &outer_done);          \
        }                                                                            \
    } while (0)

/* The body of tg_reduce_max (OP >) and tg_reduce_min (OP <): checks and type dispatch. */
#define TG_REDUCE_BODY(OP, INIT_S8, INIT_F32)                                        \
    int32_t d;                                                                       \
    if (params->outer.count < 0 || params->outer.count > TG_LOOP_NEST_MAX_DIMS ||    \
        params->inner.count < 0 || params->inner.count > TG_LOOP_NEST_MAX_DIMS) {    \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    for (d = 0; d < params->outer.count; ++d) {                                      \
        if (params->outer.size[d] <= 0) {                                            \
            return TG_OK;                                                            \
        }                                                                            \
    }                                                                                \
    for (d = 0; d < params->inner.count; ++d) {                                      \
        if (params->inner.size[d] <= 0) {                                            \
            return TG_ERR_ARG;                                                       \
        }                                                                            \
    }                                                                                \
    switch (params->dtype) {                                                         \
    case TG_DTYPE_INT8:                                                              \
        TG_REDUCE_TYPED(int8_t, OP, INIT_S8);                                        \
        break;                                                                       \
    case TG_DTYPE_FLOAT32:                                                           \
        TG_REDUCE_TYPED(float, OP, INIT_F32);                                        \
        break;                                                                       \
    default:                                                                         \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    return TG_OK

#endif /* TG_REDUCE_WALK_H */
