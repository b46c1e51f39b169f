/*
 * tg_dequantize_s8_f32.c - int8 -> float32 (DEQUANTIZE): x = scale * (q - zero_point).
 *
 * TFLite Micro multiplies in double and rounds to float32; a float32 scale times an integer of
 * at most 9 bits is exact in double, so the single float32 multiplication below rounds the same
 * exact product once and gives identical bits.
 */
#include "tg_nn.h"

tg_status tg_dequantize_s8_f32(const tg_affine_f32 *quant, int32_t size, const int8_t *input, float *output)
{
    const float scale = quant->scale;
    const int32_t zp = quant->zero_point;
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        output[i] = scale * (float)((int32_t)input[i] - zp);
    }
    return TG_OK;
}
