/*
 * tg_logical_not.c - elementwise logical NOT of a bool tensor (portable C), as TFLite Micro's
 * LOGICAL_NOT.
 */
#include "tg_nn.h"

tg_status tg_logical_not(int32_t size, const uint8_t *input, uint8_t *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        output[i] = (uint8_t)(input[i] == 0);
    }
    return TG_OK;
}
