/*
 * tg_relu6_s8.c - int8 RELU6: a clamp of the stored values (no rescaling).
 */
#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_relu6_s8(const tg_range *range, int32_t size, const int8_t *input, int8_t *output)
{
    const int32_t lo = range->min;
    const int32_t hi = range->max;
    int32_t i;

    if (size < 0 || lo > hi) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        output[i] = (int8_t)tg_clamp((int32_t)input[i], lo, hi);
    }
    return TG_OK;
}
