/*
 * tg_q4_act.h - the loop shared by int8 LOGISTIC and TANH (private to kernels/src/activations):
 * each input (plus its offset) is rescaled to Q4.27; at or beyond +-input_range_radius the output
 * saturates, else the function is evaluated in fixed point (tg_fixedpoint.h).
 */
#ifndef TG_Q4_ACT_H
#define TG_Q4_ACT_H

#include "tg_nn.h"
#include "../tg_fixedpoint.h"

/* LOGISTIC (is_tanh = 0: scale 1/256, zero point -128) or TANH (is_tanh = 1: scale 1/128, zero
 * point 0); `is_tanh` is a constant at every call. */
static inline tg_status tg_q4_act_s8(const tg_fixed_act_params *params, int32_t size, const int8_t *input,
                                     int8_t *output, int is_tanh)
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
            /* Q0.31 -> 1/128 steps (tanh), or 1/256 steps with zero point -128 (logistic) */
            const int32_t y = is_tanh ? tg_rdbpot(tg_fp_tanh(x_q4, 4), 24)
                                      : tg_rdbpot(tg_fp_logistic(x_q4, 4), 23) - 128;
            output[i] = (int8_t)tg_clamp(y, INT8_MIN, INT8_MAX);
        }
    }
    return TG_OK;
}

#endif /* TG_Q4_ACT_H */
