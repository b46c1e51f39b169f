/*
 * tg_depthwise_conv_inplace_fast_scalar_s8.c - fast int8 depthwise convolution (depth
 * multiplier 1) writing its output over its input, with the scalar core on every target (see tg_dw_fast.h).
 */
#include "tg_nn.h"
#include "tg_dw_fast.h"

TG_DWF_FUNC tg_status tg_depthwise_conv_inplace_fast_scalar_s8(const tg_context *ctx, const tg_dw_fast_params *params,
                                                               int8_t *data)
{
    return tg_dwf_run_inplace(ctx, params, data, 1);
}

int32_t tg_depthwise_conv_inplace_fast_scalar_s8_get_buffer_size(const tg_dw_fast_params *params)
{
    return tg_dwf_inplace_scratch(params);
}
