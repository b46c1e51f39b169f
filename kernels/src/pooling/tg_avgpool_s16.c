/*
 * tg_avgpool_s16.c - int16 average pooling (portable C): TFLite Micro's AveragePool for int16, the
 * sum over the window elements inside the input in int32, divided by their count rounding half
 * away from zero.
 */
#include "tg_nn.h"
#include "tg_pool_s16.h"

tg_status tg_avgpool_s16(const tg_pool_params *params,
                         const tg_dims *input_dims, const int16_t *input,
                         const tg_dims *output_dims, int16_t *output)
{
    TG_POOL16_BODY(uint32_t sum = 0, sum += (uint32_t)v,
                   int32_t acc = (int32_t)sum;
                   acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count);
}
