/*
 * tg_add_n_f32.c - elementwise float32 sum of N tensors (portable C): 0.0f plus each input in
 * order, as TFLite Micro adds them.
 */
#include "tg_nn.h"

tg_status tg_add_n_f32(int32_t num_inputs, int32_t size, const float *const *inputs, float *output)
{
    int32_t i, j;

    if (num_inputs < 1 || size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        float acc = 0.0f;
        for (j = 0; j < num_inputs; ++j) {
            acc += inputs[j][i];
        }
        output[i] = acc;
    }
    return TG_OK;
}
