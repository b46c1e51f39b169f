/*
 * tg_depthwise_conv_dsp_s16.c - DEPTHWISE_CONV_2D 16x8 (depth multiplier 1, the int64 path) for
 * cores with the DSP extension: a 32-bit accumulator and the one-instruction requantization the
 * compiler checked (tinygen/fast/lowbit.py); the pixel loop of tg_lowbit_dw16.h. See
 * tg_nn_precision.h for the layout.
 */
#include "tg_nn.h"
#include "tg_lowbit_dw16.h"

int32_t tg_depthwise_conv_dsp_s16_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                  const tg_dims *output_dims)
{
    (void)params;
    (void)input_dims;
    (void)output_dims;
    return 0;
}

tg_status tg_depthwise_conv_dsp_s16(const tg_context *ctx, const tg_dw_lb_params *params,
                                    const tg_dims *input_dims, const int16_t *input,
                                    const int32_t *packed,
                                    const tg_dims *output_dims, int16_t *output)
{
    const int32_t image = input_dims->h * input_dims->w * input_dims->c;
    int32_t n, oy, ox;

    (void)ctx;
    if (tg_dw16_bad(params, input_dims, output_dims)) {
        return TG_ERR_ARG;
    }
    for (n = 0; n < input_dims->n; ++n) {
        for (oy = 0; oy < output_dims->h; ++oy) {
            for (ox = 0; ox < output_dims->w; ++ox, output += output_dims->c) {
                tg_dw16_pixel(params, input_dims, input + n * image, packed, oy, ox, output);
            }
        }
    }
    return TG_OK;
}
