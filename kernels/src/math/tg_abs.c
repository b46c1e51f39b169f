/*
 * tg_abs.c - absolute value, int8/int16 with optional rescaling, float32 (portable C), as
 * TFLite Micro's ABS.
 */
#include <math.h>

#include "tg_nn.h"
#include "../tg_internal.h"

#define TG_ABS_QUANTIZED(T, T_MIN, T_MAX)                                                          \
    do {                                                                                           \
        const T *in = (const T *)input;                                                            \
        T *out = (T *)output;                                                                      \
        for (i = 0; i < size; ++i) {                                                               \
            const int32_t x = (int32_t)in[i] - params->input_zero_point;                           \
            int32_t v = x < 0 ? -x : x;                                                            \
            if (params->rescale) {                                                                 \
                v = tg_requantize(v, params->quant.multiplier, params->quant.shift);               \
            }                                                                                      \
            out[i] = (T)tg_clamp(v + params->output_offset, (T_MIN), (T_MAX));                     \
        }                                                                                          \
    } while (0)

tg_status tg_abs(const tg_abs_params *params, int32_t size, const void *input, void *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    switch (params->dtype) {
    case TG_DTYPE_INT8:
        TG_ABS_QUANTIZED(int8_t, INT8_MIN, INT8_MAX);
        break;
    case TG_DTYPE_INT16:
        TG_ABS_QUANTIZED(int16_t, INT16_MIN, INT16_MAX);
        break;
    case TG_DTYPE_FLOAT32: {
        const float *in = (const float *)input;
        float *out = (float *)output;
        for (i = 0; i < size; ++i) {
            out[i] = fabsf(in[i]);
        }
        break;
    }
    default:
        return TG_ERR_ARG;
    }
    return TG_OK;
}
