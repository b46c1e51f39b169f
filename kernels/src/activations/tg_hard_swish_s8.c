/*
 * tg_hard_swish_s8.c - int8 HARD_SWISH: x * relu6(x + 3) / 6 in 16-bit fixed point.
 *
 * The input (minus its zero point) is scaled by 2^7 to fill 16 bits. One multiplier brings it
 * to the output scale; a second maps [-3, 3] onto the int16 range, saturating, and the result
 * (shifted to [0, 1]) gates the first.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "tg_act_fixedpoint.h"

tg_status tg_hard_swish_s8(const tg_hard_swish_params *params, int32_t size,
                           const int8_t *input, int8_t *output)
{
    const int32_t rshift = params->reluish_shift;
    int32_t i;

    if (size < 0 || params->output_shift > 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int16_t x = (int16_t)((int32_t)input[i] + params->input_offset);
        const int16_t x_hires = (int16_t)(x * (1 << 7));
        const int16_t x_out = tg_q15_srdhm(x_hires, params->output_multiplier);
        int16_t gate = x_hires;
        int16_t y16;
        int32_t y;
        if (rshift > 0) {
            /* all but the last doubling first: saturation there cannot change the result */
            gate = tg_q15_sat_shl(gate, (int)rshift - 1);
        }
        gate = tg_q15_srdhm(gate, params->reluish_multiplier);
        if (rshift > 0) {
            gate = tg_q15_sat_shl(gate, 1);
        } else if (rshift < 0) {
            gate = tg_q15_rdbpot(gate, (int)-rshift);
        }
        gate = (int16_t)(((int32_t)gate + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */
        y16 = tg_q15_rdbpot(tg_q15_sdhm(gate, x_out), (int)-params->output_shift);
        y = (int32_t)(int16_t)(y16 + params->output_offset);
        output[i] = (int8_t)tg_clamp(y, INT8_MIN, INT8_MAX);
    }
    return TG_OK;
}
