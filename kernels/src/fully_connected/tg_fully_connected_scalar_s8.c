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

tg_status tg_fully_connected_scalar_s8(const tg_fc_fast_params *params, const int8_t *input,
                                       const int8_t *weights, const int32_t *channels, int8_t *output)
{
    const int32_t depth = params->in_features, rows = params->out_features;
    const int32_t padded = (rows + 1) & ~1;
    const int32_t *const quant = channels + padded;
    const int32_t qstep = params->per_channel ? 3 : 0;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t b, r;

    if (params->batches < 0 || depth <= 0 || rows <= 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b, input += depth) {
        const int32_t sx = params->filter_offset != 0 ? params->filter_offset * tg_fast_sum_s8(input, depth) : 0;
        const int8_t *w = weights;
        const int32_t *q = quant;
        for (r = 0; r < rows; r += 2, w += 2 * depth) {
            int32_t a0 = channels[r] + sx, a1 = channels[r + 1] + sx;
            tg_fast_dot1x2_scalar(input, w, w + depth, depth, &a0, &a1);
            *output++ = (int8_t)tg_fast_clamp(tg_fast_requant_scalar(a0, q[0], q[1], q[2]), lo, hi);
            q += qstep;
            if (r + 1 < rows) {
                *output++ = (int8_t)tg_fast_clamp(tg_fast_requant_scalar(a1, q[0], q[1], q[2]), lo, hi);
                q += qstep;
            }
        }
    }
    return TG_OK;
}
