/*
 * tg_fully_connected_s4.c - fully connected layer, int8 activations, packed int4 weights read in
 * place, per-tensor requantization (portable C).
 */
#include "tg_nn.h"
#include "../tg_lowbit.h"

tg_status tg_fully_connected_s4(const tg_fc_params *params, const tg_pc_quant *quant,
                                int32_t batches, int32_t in_features, int32_t out_features,
                                const int8_t *input, const uint8_t *filter, const int32_t *bias,
                                int8_t *output)
{
    int32_t b, o, i;

    if (batches < 0 || in_features < 0 || out_features < 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + b * in_features;
        for (o = 0; o < out_features; ++o) {
            const int32_t row = o * in_features;
            const int32_t q = params->per_channel ? o : 0;
            int32_t acc = 0;
            for (i = 0; i < in_features; ++i) {
                acc += (tg_s4_at(filter, row + i) + params->filter_offset) * ((int32_t)x[i] + params->input_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            acc = tg_requantize(acc, quant->multiplier[q], quant->shift[q]) + params->output_offset;
            *output++ = (int8_t)tg_clamp(acc, params->activation.min, params->activation.max);
        }
    }
    return TG_OK;
}
