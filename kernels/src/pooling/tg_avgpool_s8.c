/*
 * tg_avgpool_s8.c - int8 average pooling (portable C). The average is taken over the window
 * elements inside the input (padding is not counted) and rounded half away from zero.
 */
#include "tg_nn.h"
#include "tg_pool_internal.h"

tg_status tg_avgpool_s8(const tg_pool_params *params,
                        const tg_dims *input_dims, const int8_t *input,
                        const tg_dims *output_dims, int8_t *output)
{
    return tg_pool_s8(params, input_dims, input, output_dims, output, 0);
}
