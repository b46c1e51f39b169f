/*
 * tg_fully_connected_dsp_s16.c - FULLY_CONNECTED 16x8 for cores with the DSP extension: two rows per
 * pass over the int16 input row, SMLAD against the weights widened by SXTB16, a 32-bit accumulator
 * and the one-instruction requantization the compiler checked (tinygen/fast/lowbit.py). See
 * tg_nn_precision.h for the layout.
 */
#include <string.h>
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

int32_t tg_fully_connected_dsp_s16_get_buffer_size(const tg_fc_lb_params *params)
{
    (void)params;
    return 0;
}

tg_status tg_fully_connected_dsp_s16(const tg_fc_lb_params *params, const int16_t *input,
                                     const int32_t *weights, const int32_t *cw, int16_t *output)
{
    const int32_t k = params->in_features, out = params->out_features, rows = (out + 1) & ~1;
    const int32_t groups = (k + 3) / 4, full = k / 4;
    int32_t b, j, g;

    if (params->batches < 0 || k < 1 || out < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b) {
        const int16_t *x = input + b * k;
        int16_t tail[4];
        if (full < groups) {
            memset(tail, 0, sizeof tail);
            memcpy(tail, x + 4 * full, (size_t)(k - 4 * full) * sizeof(int16_t));
        }
        for (j = 0; j < rows; j += 2) {
            const int32_t *w = weights + j * groups;
            const int32_t *q = cw + 4 * j;
            int32_t a0 = q[0], a1 = q[1];
            for (g = 0; g <= full && g < groups; ++g, w += 2) {
                const int16_t *xs = g < full ? x + 4 * g : tail;
                const uint32_t x01 = tg_read_s16x2(xs), x23 = tg_read_s16x2(xs + 2);
                const uint32_t w0 = (uint32_t)w[0], w1 = (uint32_t)w[1];
                a0 = tg_smlad(tg_sxtb16(w0), x01, a0);
                a1 = tg_smlad(tg_sxtb16(w1), x01, a1);
                a0 = tg_smlad(tg_sxtb16_ror8(w0), x23, a0);
                a1 = tg_smlad(tg_sxtb16_ror8(w1), x23, a1);
            }
            *output++ = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a0, q[2], q[3], q[4], params->acc64),
                                             params->activation.min, params->activation.max);
            if (j + 1 < out) {
                *output++ = (int16_t)tg_lb_clamp(tg_lb_requant_s16(a1, q[5], q[6], q[7], params->acc64),
                                                 params->activation.min, params->activation.max);
            }
        }
    }
    return TG_OK;
}
