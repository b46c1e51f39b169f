/*
 * tg_maxpool_s8.c - int8 max pooling (portable C). Only window elements inside the input count.
 */
#include "tg_nn.h"
#include "tg_pool_internal.h"

tg_status tg_maxpool_s8(const tg_pool_params *params,
                        const tg_dims *input_dims, const int8_t *input,
                        const tg_dims *output_dims, int8_t *output)
{
    TG_POOL_BODY(int32_t acc = -128, acc = TG_MAX(acc, v), (void)0, (void)0);
}
