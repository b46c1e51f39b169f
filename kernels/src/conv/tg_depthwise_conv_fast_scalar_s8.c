/*
 * tg_depthwise_conv_fast_scalar_s8.c - fast int8 depthwise convolution (depth multiplier 1) with
 * the scalar core on every target (see tg_dw_fast.h).
 */
#include "tg_nn.h"
#include "tg_dw_fast.h"

TG_DWF_FUNC tg_status tg_depthwise_conv_fast_scalar_s8(const tg_dw_fast_params *params, const int8_t *input, int8_t *output)
{
    return tg_dwf_run_normal(params, input, output, 1);
}

int32_t tg_depthwise_conv_fast_scalar_s8_get_buffer_size(const tg_dw_fast_params *params)
{
    (void)params;
    return 0;
}
