/*
 * tg_mean_hw_fast_s8.c - int8 MEAN over height and width, 4 channels at a time (see tg_pool_fast.h),
 * requantized as tg_mean_s8 / TFLite Micro.
 */
#include "tg_nn.h"
#include "tg_pool_fast.h"

TG_INLINE int8_t tg_meanf_out(const tg_mean_hw_params *params, int32_t sum, int32_t count)
{
    /* sum of (x + input_offset) with int32 wrap-around, like the reference */
    const int32_t acc = (int32_t)((uint32_t)sum + (uint32_t)count * (uint32_t)params->input_offset);
    const int32_t v = tg_requantize(acc, params->multiplier, params->shift) + params->output_offset;
    return (int8_t)tg_clamp(v, -128, 127);
}

tg_status tg_mean_hw_fast_s8(const tg_mean_hw_params *params, const tg_dims *input_dims, const int8_t *input,
                             int8_t *output)
{
    const int32_t h = input_dims->h, w = input_dims->w, ch = input_dims->c;
    const int32_t full = ch / 4, rem = ch % 4, count = h * w;
    int32_t b, g, j;
    int32_t sum[4];

    if (h <= 0 || w <= 0 || ch <= 0 || input_dims->n < 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + b * count * ch;
        for (g = 0; g < full; ++g, output += 4) {
            if (count <= TG_POOLF_LANE_PIXELS) {
                tg_poolf_sum4_small(in_b + 4 * g, w, ch, 0, h, 0, w, sum);
            } else {
                tg_poolf_sum4(in_b + 4 * g, w, ch, 0, h, 0, w, sum);
            }
            for (j = 0; j < 4; ++j) {
                output[j] = tg_meanf_out(params, sum[j], count);
            }
        }
        if (rem != 0) {
            tg_poolf_sum_tail(in_b + 4 * full, w, ch, 0, h, 0, w, rem, sum);
            for (j = 0; j < rem; ++j) {
                output[j] = tg_meanf_out(params, sum[j], count);
            }
            output += rem;
        }
    }
    return TG_OK;
}

int32_t tg_mean_hw_fast_s8_get_buffer_size(const tg_dims *input_dims)
{
    (void)input_dims;
    return 0;
}
