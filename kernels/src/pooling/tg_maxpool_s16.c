/*
 * tg_maxpool_s16.c - int16 max pooling (portable C) over the window elements inside the input.
 */
#include "tg_nn.h"
#include "tg_pool_s16.h"

tg_status tg_maxpool_s16(const tg_pool_params *params,
                         const tg_dims *input_dims, const int16_t *input,
                         const tg_dims *output_dims, int16_t *output)
{
    TG_POOL16_BODY(int32_t acc = -32768, acc = v > acc ? v : acc, (void)0);
}
