/*
 * tg_fully_connected_s8.c - int8 fully connected layer (matrix times vector, per batch row),
 * per-tensor or per-channel requantization (portable C).
 */
#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_fully_connected_s8(const tg_fc_params *params, const tg_pc_quant *quant,
                                int32_t batches, int32_t in_features, int32_t out_features,
                                const int8_t *input, const int8_t *filter, const int32_t *bias,
                                int8_t *output)
{
    int32_t b, o, i;

    if (batches < 0 || in_features < 0 || out_features < 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < batches; ++b) {
        const int8_t *x = input + (int32_t)b * in_features;
        for (o = 0; o < out_features; ++o) {
            const int8_t *w = filter + (int32_t)o * in_features;
            const int32_t q = params->per_channel ? o : 0;
            int32_t acc = 0;
            for (i = 0; i < in_features; ++i) {
                acc += ((int32_t)w[i] + params->filter_offset) * ((int32_t)x[i] + params->input_offset);
            }
            if (bias != NULL) {
                acc += bias[o];
            }
            acc = tg_requantize(acc, quant->multiplier[q], quant->shift[q]);
            acc += params->output_offset;
            acc = tg_clamp(acc, params->activation.min, params->activation.max);
            *output++ = (int8_t)acc;
        }
    }
    return TG_OK;
}
