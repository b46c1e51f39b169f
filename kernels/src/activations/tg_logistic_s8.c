/*
 * tg_logistic_s8.c - int8 LOGISTIC (sigmoid). The input is rescaled to Q4.27, the sigmoid is
 * evaluated in fixed point and the result stored with scale 1/256 and zero point -128.
 */
#include "tg_nn.h"
#include "tg_q4_act.h"

tg_status tg_logistic_s8(const tg_fixed_act_params *params, int32_t size,
                         const int8_t *input, int8_t *output)
{
    return tg_q4_act_s8(params, size, input, output, 0);
}
