/*
 * tg_tanh_s8.c - int8 TANH. The input is rescaled to Q4.27, tanh is evaluated in fixed point
 * and the result stored with scale 1/128 and zero point 0.
 */
#include "tg_nn.h"
#include "../tg_fixedpoint.h"

tg_status tg_tanh_s8(const tg_fixed_act_params *params, int32_t size,
                     const int8_t *input, int8_t *output)
{
    const int32_t radius = params->input_range_radius;
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int32_t x = (int32_t)input[i] + params->input_offset;
        if (x <= -radius) {
            output[i] = INT8_MIN;
        } else if (x >= radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t x_q4 = tg_requantize(x, params->input_multiplier, params->input_left_shift);
            const int32_t y = tg_rdbpot(tg_fp_tanh(x_q4, 4), 24); /* Q0.31 -> 1/128 steps */
            output[i] = (int8_t)tg_clamp(y, INT8_MIN, INT8_MAX);
        }
    }
    return TG_OK;
}
