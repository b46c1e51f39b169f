/*
 * tg_fully_connected_dsp_s8.c - int8 fully connected layer for cores with the DSP extension: four
 * output features per pass over the input row (SMLAD on SXTB16-unpacked pairs), offsets folded
 * into the bias at compile time, the fast exact requantization of tg_fast.h. See tg_nn.h.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

int32_t tg_fully_connected_dsp_s8_get_buffer_size(const tg_fc_fast_params *params)
{
    (void)params;
    return 0;
}

tg_status tg_fully_connected_dsp_s8(const tg_fc_fast_params *params, const int8_t *input,
                                    const int32_t *weights, const int32_t *channels, int8_t *output)
{
    const int32_t depth = params->in_features, rows = params->out_features;
    const int32_t full = depth / 4, rem = depth % 4;
    const int32_t padded = (rows + 3) & ~3;
    const int32_t *const quant = channels + padded;
    const int32_t qstep = params->per_channel ? 3 : 0;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t b, r, k;

    if (params->batches < 0 || depth <= 0 || rows <= 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b, input += depth) {
        const int32_t sx = params->filter_offset != 0 ? params->filter_offset * tg_fast_sum_s8(input, depth) : 0;
        const uint32_t *wp = (const uint32_t *)weights;
        const int32_t *q = quant;
        int8_t tail[4] = { 0, 0, 0, 0 };
        for (k = 0; k < rem; ++k) {
            tail[k] = input[4 * full + k];
        }
        for (r = 0; r < rows; r += 4) {
            int32_t a[4];
            a[0] = channels[r] + sx;
            a[1] = channels[r + 1] + sx;
            a[2] = channels[r + 2] + sx;
            a[3] = channels[r + 3] + sx;
            tg_fast_mac1x4(input, &wp, full, a);
            if (rem != 0) {
                tg_fast_mac1x4(tail, &wp, 1, a);
            }
            for (k = 0; k < 4 && r + k < rows; ++k, q += qstep) {
                const int32_t v = tg_ssat8(tg_fast_requant(a[k], q[0], q[1], q[2]));
                *output++ = (int8_t)tg_fast_clamp(v, lo, hi);
            }
        }
    }
    return TG_OK;
}
