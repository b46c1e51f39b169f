/*
 * tg_sum_rescale.h - the rescaling of ADD_N and CUMSUM (not part of the public API).
 */
#ifndef TG_SUM_RESCALE_H
#define TG_SUM_RESCALE_H

#include "tg_nn.h"
#include "../tg_internal.h"

/* A stored value (or, for offset_only, the offset alone) moved to the common scale. */
static inline int32_t tg_sum_input(int32_t q, const tg_sum_rescale *p)
{
    return tg_requantize((q + p->input_offset) * ((int32_t)1 << p->left_shift), p->input.multiplier, p->input.shift);
}

/* TFLite Micro starts every sum from the rescaled input offset ("x = input_offset // x = 0"). */
static inline int32_t tg_sum_start(const tg_sum_rescale *p)
{
    return tg_requantize(p->input_offset * ((int32_t)1 << p->left_shift), p->input.multiplier, p->input.shift);
}

static inline int8_t tg_sum_output(int32_t sum, const tg_sum_rescale *p)
{
    const int32_t v = tg_requantize(sum, p->output.multiplier, p->output.shift) + p->output_offset;
    return (int8_t)tg_clamp(v, INT8_MIN, INT8_MAX);
}

#endif /* TG_SUM_RESCALE_H */
