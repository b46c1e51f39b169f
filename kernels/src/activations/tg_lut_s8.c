/*
 * tg_lut_s8.c - int8 -> int8 through a 256-entry table computed by the compiler (portable C):
 * TFLite Micro's int8 ELU.
 */
#include "tg_nn.h"

tg_status tg_lut_s8(const tg_lut_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        output[i] = params->table[(int32_t)input[i] + 128];
    }
    return TG_OK;
}
