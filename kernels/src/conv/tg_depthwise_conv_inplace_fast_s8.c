/*
 * tg_depthwise_conv_inplace_fast_s8.c - fast int8 depthwise convolution (depth multiplier 1)
 * writing its output over its input: the SIMD core on cores with the DSP extension and on the host,
 * the scalar core on Arm cores without it (see tg_dw_fast.h).
 */
#include "tg_nn.h"
#include "tg_dw_fast.h"

TG_DWF_FUNC tg_status tg_depthwise_conv_inplace_fast_s8(const tg_context *ctx, const tg_dw_fast_params *params,
                                                        int8_t *data)
{
    return tg_dwf_run_inplace(ctx, params, data, TG_DWF_AUTO_SCALAR);
}

int32_t tg_depthwise_conv_inplace_fast_s8_get_buffer_size(const tg_dw_fast_params *params)
{
    return tg_dwf_inplace_scratch(params);
}
