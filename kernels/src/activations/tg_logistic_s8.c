/*
 * tg_logistic_s8.c - int8 LOGISTIC (sigmoid). The input is rescaled to Q4.27, the sigmoid is
 * evaluated in fixed point and the result stored with scale 1/256 and zero point -128.
 */
#include "tg_nn.h"
#include "../tg_fixedpoint.h"

tg_status tg_logistic_s8(const tg_fixed_act_params *params, int32_t size,
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
            const int32_t y_q0 = tg_fp_logistic(x_q4, 4);
            const int32_t y = tg_rdbpot(y_q0, 23) - 128; /* Q0.31 -> 1/256 steps, zero point -128 */
            output[i] = (int8_t)tg_clamp(y, INT8_MIN, INT8_MAX);
        }
    }
    return TG_OK;
}
