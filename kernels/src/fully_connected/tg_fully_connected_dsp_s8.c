/*
 * tg_fully_connected_dsp_s8.c - int8 fully connected layer for cores with the DSP extension: four
 * output features per pass over the input row (SMLAD on SXTB16-unpacked pairs, the loops of
 * tg_fast.h), offsets folded into the bias at compile time, the fast exact requantization of
 * tg_fast.h. Weights in the convolution's pair layout (rows in pairs, groups of four values, the
 * row length padded to a multiple of 8). See tg_nn.h.
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
    const int32_t groups = ((depth + 7) & ~7) / 4;  /* per row, in the weights */
    const int32_t full = depth / 4;                 /* groups read from the input row */
    const int32_t padded = (rows + 1) & ~1;
    const int32_t *const quant = channels + padded;
    const int32_t qstep = params->per_channel ? 3 : 0;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t b, r, k;

    if (params->batches < 0 || depth <= 0 || rows <= 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b, input += depth) {
        const int32_t sx = params->filter_offset != 0 ? params->filter_offset * tg_fast_sum_s8(input, depth) : 0;
        const int32_t *q = quant;
        int8_t tail[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };  /* the row's last values, zero-padded to K8 */
        for (k = 4 * full; k < depth; ++k) {
            tail[k - 4 * full] = input[k];
        }
        for (r = 0; r < rows; r += 4) {
            const uint32_t *w = (const uint32_t *)weights + (int32_t)r * groups;
            const uint32_t *v = w + 2 * groups;
            const int8_t *x = input;
            const int32_t n = TG_MIN(rows - r, 4);
            int32_t a0 = channels[r] + sx, a1 = channels[r + 1] + sx, a2 = 0, a3 = 0;
            if (n > 2) {
                a2 = channels[r + 2] + sx;
                a3 = channels[r + 3] + sx;
                tg_fast_mac1x4(&x, &w, &v, full, &a0, &a1, &a2, &a3);
                if (groups > full) {
                    x = tail;
                    tg_fast_mac1x4(&x, &w, &v, groups - full, &a0, &a1, &a2, &a3);
                }
            } else {
                tg_fast_mac1x2(&x, &w, full, &a0, &a1);
                if (groups > full) {
                    x = tail;
                    tg_fast_mac1x2(&x, &w, groups - full, &a0, &a1);
                }
            }
            tg_fast_store4(output, n, a0, a1, a2, a3, q, q + TG_MIN(1, n - 1) * qstep, q + TG_MIN(2, n - 1) * qstep,
                           q + TG_MIN(3, n - 1) * qstep, lo, hi);
            q += 4 * qstep;
            output += n;
        }
    }
    return TG_OK;
}
