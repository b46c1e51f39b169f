/*
 * tg_leaky_relu_s8.c - int8 LEAKY_RELU: one rescaling for inputs at or above the zero point,
 * another (alpha times it) below.
 */
#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_leaky_relu_s8(const tg_leaky_relu_params *params, int32_t size,
                           const int8_t *input, int8_t *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int32_t x = (int32_t)input[i] + params->input_offset;
        int32_t y;
        if (x >= 0) {
            y = tg_requantize(x, params->identity.multiplier, params->identity.shift);
        } else {
            y = tg_requantize(x, params->alpha.multiplier, params->alpha.shift);
            if (params->alpha_negative) {
                y = (int32_t)(0u - (uint32_t)y);
            }
        }
        output[i] = (int8_t)tg_clamp(y + params->output_offset, INT8_MIN, INT8_MAX);
    }
    return TG_OK;
}
