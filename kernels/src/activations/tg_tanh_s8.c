/*
 * tg_tanh_s8.c - int8 TANH. The input is rescaled to Q4.27, tanh is evaluated in fixed point
 * and the result stored with scale 1/128 and zero point 0.
 */
#include "tg_nn.h"
#include "tg_q4_act.h"

tg_status tg_tanh_s8(const tg_fixed_act_params *params, int32_t size,
                     const int8_t *input, int8_t *output)
{
    return tg_q4_act_s8(params, size, input, output, 1);
}
