/*
 * tg_requantize_s8.c - int8 -> int8 rescaling with a clamp (QUANTIZE int8 -> int8, RELU).
 */
#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_requantize_s8(const tg_requantize_params *params, int32_t size,
                           const int8_t *input, int8_t *output)
{
    const int32_t in_off = params->input_offset;
    const int32_t out_off = params->output_offset;
    const int32_t mult = params->quant.multiplier;
    const int32_t shift = params->quant.shift;
    const int32_t lo = params->activation.min;
    const int32_t hi = params->activation.max;
    int32_t i;

    if (size < 0 || lo > hi) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int32_t v = tg_requantize((int32_t)input[i] + in_off, mult, shift) + out_off;
        output[i] = (int8_t)tg_clamp(v, lo, hi);
    }
    return TG_OK;
}
