/*
 * tg_elementwise.h - the int8 binary elementwise kernels (ADD, SUB, MUL), shared;
 * not part of the public API.
 *
 * A tg_broadcast describes the loop nest over the output (see tg_nn.h). The kernels walk its
 * outer dimensions with tg_bcast_next(), an odometer that keeps the element offsets of both
 * inputs up to date, and run the innermost dimension as a plain loop.
 */
#ifndef TG_ELEMENTWISE_H
#define TG_ELEMENTWISE_H

#include "tg_nn.h"
#include "../tg_internal.h"

/* Position in the outer dimensions of a tg_broadcast, and the matching input offsets. */
typedef struct {
    int32_t index[TG_BCAST_MAX_DIMS];
    int32_t offset1;
    int32_t offset2;
} tg_bcast_pos;

/* Nonzero when the description is usable: 1..TG_BCAST_MAX_DIMS dimensions, positive extents,
 * non-negative strides. */
static inline int tg_bcast_valid(const tg_broadcast *b)
{
    int32_t d;
    if (b->rank < 1 || b->rank > TG_BCAST_MAX_DIMS) {
        return 0;
    }
    for (d = 0; d < b->rank; ++d) {
        if (b->shape[d] < 1 || b->stride1[d] < 0 || b->stride2[d] < 0) {
            return 0;
        }
    }
    return 1;
}

static inline void tg_bcast_start(tg_bcast_pos *p)
{
    int32_t d;
    for (d = 0; d < TG_BCAST_MAX_DIMS; ++d) {
        p->index[d] = 0;
    }
    p->offset1 = 0;
    p->offset2 = 0;
}

/* Advances to the next innermost row; returns 0 once every row has been visited. */
static inline int tg_bcast_next(const tg_broadcast *b, tg_bcast_pos *p)
{
    int32_t d;
    for (d = b->rank - 2; d >= 0; --d) {
        p->offset1 += b->stride1[d];
        p->offset2 += b->stride2[d];
        if (++p->index[d] < b->shape[d]) {
            return 1;
        }
        p->index[d] = 0;
        p->offset1 -= b->stride1[d] * b->shape[d];
        p->offset2 -= b->stride2[d] * b->shape[d];
    }
    return 0;
}

/* ADD/SUB: an input moved to the common scale, ((q + offset) * 2^left_shift) * multiplier,
 * where the multiplier is below one (shift <= 0). */
static inline int32_t tg_addsub_input(int32_t q, int32_t offset, int32_t left_shift, const tg_quant *m)
{
    return tg_requantize((q + offset) * ((int32_t)1 << left_shift), m->multiplier, m->shift);
}

/* ADD/SUB: the sum or difference of two scaled inputs requantized to the output. */
static inline int8_t tg_addsub_output(int32_t raw, const tg_add_params *p)
{
    const int32_t out = tg_requantize(raw, p->output.multiplier, p->output.shift) + p->output_offset;
    return (int8_t)tg_clamp(out, p->activation.min, p->activation.max);
}

/* ADD (sign = 1) or SUB (sign = -1) of the elements *a and *b: the body of TG_BINARY_LOOP. */
#define TG_ADDSUB_STEP(sign)                                                                             \
    const int32_t x = tg_addsub_input(*a, params->input1_offset, params->left_shift, &params->input1); \
    const int32_t y = tg_addsub_input(*b, params->input2_offset, params->left_shift, &params->input2); \
    *output++ = tg_addsub_output(x + (sign) * y, params)

/* MUL of the elements *a and *b: the body of TG_BINARY_LOOP. */
#define TG_MUL_STEP()                                                                                      \
    const int32_t prod = (*a + params->input1_offset) * (*b + params->input2_offset);                  \
    const int32_t out = tg_requantize(prod, params->output.multiplier, params->output.shift) +           \
                        params->output_offset;                                                          \
    *output++ = (int8_t)tg_clamp(out, params->activation.min, params->activation.max)

/*
 * TG_BINARY_BODY(STEP): the body of a binary kernel taking (params, bcast, input1, input2,
 * output): it walks the broadcast loop nest and runs STEP (TG_ADDSUB_STEP or TG_MUL_STEP) for
 * each output element, with the input elements at a and b. A macro rather than a function with a
 * flag: each kernel keeps the register allocation of a hand-written loop.
 */
#define TG_BINARY_BODY(STEP)                                                         \
    tg_bcast_pos pos;                                                                \
    int32_t n, s1, s2, i;                                                            \
                                                                                     \
    if (!tg_bcast_valid(bcast)) {                                                    \
        return TG_ERR_ARG;                                                           \
    }                                                                                \
    n = bcast->shape[bcast->rank - 1];                                               \
    s1 = bcast->stride1[bcast->rank - 1];                                            \
    s2 = bcast->stride2[bcast->rank - 1];                                            \
    tg_bcast_start(&pos);                                                            \
    do {                                                                             \
        const int8_t *a = input1 + pos.offset1;                                      \
        const int8_t *b = input2 + pos.offset2;                                      \
        for (i = 0; i < n; ++i) {                                                    \
            STEP;                                                                    \
            a += s1;                                                                 \
            b += s2;                                                                 \
        }                                                                            \
    } while (tg_bcast_next(bcast, &pos));                                            \
    return TG_OK

#endif /* TG_ELEMENTWISE_H */
