/*
 * tg_fully_connected_s16.c - 16x8 fully connected layer, int64 or int32 accumulator, per-tensor or
 * per-channel requantization (portable C).
 */
#include "tg_nn.h"
#include "../tg_lowbit.h"

tg_status tg_fully_connected_s16(const tg_fc_s16_params *params, const tg_pc_quant *quant,
                                 int32_t batches, int32_t in_features, int32_t out_features,
                                 const int16_t *input, const int8_t *filter,
                                 const int32_t *bias32, const int64_t *bias64, int16_t *output)
{
    int32_t b, o, i;

    if (batches < 0 || in_features < 0 || out_features < 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < batches; ++b) {
        const int16_t *x = input + b * in_features;
        for (o = 0; o < out_features; ++o) {
            const int8_t *w = filter + o * in_features;
            const int32_t q = params->per_channel ? o : 0;
            int64_t acc = 0;
            uint32_t acc32 = 0;
            int32_t v;
            for (i = 0; i < in_features; ++i) {
                const int32_t p = (int32_t)w[i] * (int32_t)x[i];
                acc += p;
                acc32 += (uint32_t)p;
            }
            if (params->acc64) {
                acc += bias64 != NULL ? bias64[o] : 0;
            } else {
                acc = (int32_t)(acc32 + (uint32_t)(bias32 != NULL ? bias32[o] : 0));
            }
            v = tg_requantize_s16(acc, params->acc64, quant->multiplier[q], quant->shift[q]);
            *output++ = (int16_t)tg_clamp(v, params->activation.min, params->activation.max);
        }
    }
    return TG_OK;
}
