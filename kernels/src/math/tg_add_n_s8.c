/*
 * tg_add_n_s8.c - elementwise int8 sum of N tensors with one quantization (portable C), as
 * TFLite Micro's ADD_N.
 */
#include "tg_nn.h"
#include "tg_sum_rescale.h"

tg_status tg_add_n_s8(const tg_sum_rescale *params, int32_t num_inputs, int32_t size,
                      const int8_t *const *inputs, int8_t *output)
{
    const int32_t start = tg_sum_start(params);
    int32_t i, j;

    if (num_inputs < 1 || size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        int32_t acc = start;
        for (j = 0; j < num_inputs; ++j) {
            acc += tg_sum_input(inputs[j][i], params);
        }
        output[i] = tg_sum_output(acc, params);
    }
    return TG_OK;
}
