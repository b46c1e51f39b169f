/*
 * tg_fully_connected_dsp_s4.c - FULLY_CONNECTED with int8 activations and packed int4 weights for
 * cores with the DSP extension: two rows per pass over the input row, the weights unpacked in
 * registers (tg_lowbit_dsp.h), SMLAD. See tg_nn_precision.h for the layout.
 */
#include <string.h>
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

int32_t tg_fully_connected_dsp_s4_get_buffer_size(const tg_fc_lb_params *params)
{
    (void)params;
    return 0;
}

/* acc0/acc1 += the group of eight inputs at x (widened here) times the two rows' words w[0], w[1]. */
static inline void group(const int8_t *x, const uint32_t *w, int32_t *acc0, int32_t *acc1)
{
    uint32_t xv[4];
    const uint32_t e0 = TG_LB_NIBBLE_MASK & (w[0] << 4), o0 = TG_LB_NIBBLE_MASK & w[0];
    const uint32_t e1 = TG_LB_NIBBLE_MASK & (w[1] << 4), o1 = TG_LB_NIBBLE_MASK & w[1];
    int32_t a0 = *acc0, a1 = *acc1;
    tg_lb_widen8(x, xv, 1);
    a0 = tg_smlad(tg_sxtb16(e0), xv[0], a0);
    a1 = tg_smlad(tg_sxtb16(e1), xv[0], a1);
    a0 = tg_smlad(tg_sxtb16_ror8(e0), xv[1], a0);
    a1 = tg_smlad(tg_sxtb16_ror8(e1), xv[1], a1);
    a0 = tg_smlad(tg_sxtb16(o0), xv[2], a0);
    a1 = tg_smlad(tg_sxtb16(o1), xv[2], a1);
    a0 = tg_smlad(tg_sxtb16_ror8(o0), xv[3], a0);
    a1 = tg_smlad(tg_sxtb16_ror8(o1), xv[3], a1);
    *acc0 = a0;
    *acc1 = a1;
}

tg_status tg_fully_connected_dsp_s4(const tg_fc_lb_params *params, const int8_t *input,
                                    const int32_t *weights, const int32_t *cw, int8_t *output)
{
    const int32_t k = params->in_features, out = params->out_features, rows = (out + 1) & ~1;
    const int32_t groups = (k + 7) / 8, full = k / 8;
    const int32_t mult = cw[rows], round = cw[rows + 1];
    const uint32_t spec = (uint32_t)cw[rows + 2];
    int32_t b, j, g;

    if (params->batches < 0 || k < 1 || out < 1) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b) {
        const int8_t *x = input + b * k;
        int8_t tail[8];
        if (full < groups) {  /* the last, partial group of inputs (its weights are zero beyond k) */
            memset(tail, 0, sizeof tail);
            memcpy(tail, x + 8 * full, (size_t)(k - 8 * full));
        }
        for (j = 0; j < rows; j += 2, output += 2) {
            const uint32_t *w = (const uint32_t *)weights + j * groups;
            int32_t a0 = cw[j], a1 = cw[j + 1];
            for (g = 0; g < full; ++g, w += 2) {
                group(x + 8 * g, w, &a0, &a1);
            }
            if (full < groups) {
                group(tail, w, &a0, &a1);
            }
            output[0] = (int8_t)tg_lb_clamp(tg_lb_requant_s8(a0, mult, round, spec), params->activation.min,
                                            params->activation.max);
            if (j + 1 < out) {
                output[1] = (int8_t)tg_lb_clamp(tg_lb_requant_s8(a1, mult, round, spec), params->activation.min,
                                                params->activation.max);
            }
        }
        output -= rows - out;  /* an odd count wrote one output less */
    }
    return TG_OK;
}
