/*
 * tg_fully_connected_scalar_s8.c - int8 fully connected layer for cores without the DSP extension
 * (Cortex-M0+): two output features per pass over the input row, 32-bit multiply-accumulate,
 * offsets folded into the bias, the requantization of tg_fast.h without 64-bit arithmetic.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_fast.h"

int32_t tg_fully_connected_scalar_s8_get_buffer_size(const tg_fc_fast_params *params)
{
    (void)params;
    return 0;
}

tg_status tg_fully_connected_scalar_s8(const tg_fc_fast_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->in_features, rows = params->out_features;
    const int32_t *const channels = params->channels, *const quant = channels + ((rows + 3) & ~3);
    const int32_t qstep = params->per_channel ? 2 : 0;
    int32_t b, r;

    if (params->batches < 0 || depth <= 0 || rows <= 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b, input += depth) {
        const int32_t sx = params->filter_offset != 0 ? params->filter_offset * tg_fast_sum_s8(input, depth) : 0;
        const int8_t *w = (const int8_t *)params->weights;
        const int32_t *q = quant;
        int32_t a0 = 0, a1 = 0;
        for (r = 0; r < rows; ++r, q += qstep) {
            if ((r & 1) == 0) {  /* rows r and r + 1 in one pass */
                a0 = channels[r] + sx;
                a1 = channels[r + 1] + sx;
                tg_fast_dot1x2_scalar(input, w, w + depth, depth, &a0, &a1);
                w += 2 * depth;
            }
            *output++ = (int8_t)tg_fast_clamp(tg_fast_requant_scalar((r & 1) ? a1 : a0, q[0], q[1],
                                                                     tg_fast_shift1(q[1])),
                                              params->activation.min, params->activation.max);
        }
    }
    return TG_OK;
}
