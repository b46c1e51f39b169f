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
    TG_POOL_BODY(int32_t acc = 0, acc += v,
                 /* C division truncates toward zero: this rounds half away from zero */
                 acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count,
                 return TG_ERR_ARG /* a window entirely in the padding */);
}
