/*
 * tg_concatenation.c - joins tensors along one axis, as byte copies (portable C).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_concatenation(const tg_concat_params *params, const void *const *inputs, void *output)
{
    uint8_t *out = (uint8_t *)output;
    int32_t k, i;

    if (params->outer < 0 || params->num_inputs < 1 || inputs == NULL || params->copy_bytes == NULL) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < params->num_inputs; ++i) {
        if (params->copy_bytes[i] < 0 || (inputs[i] == NULL && params->copy_bytes[i] > 0)) {
            return TG_ERR_ARG;
        }
    }
    for (k = 0; k < params->outer; ++k) {
        for (i = 0; i < params->num_inputs; ++i) {
            const int32_t n = params->copy_bytes[i];
            memcpy(out, (const uint8_t *)inputs[i] + (size_t)k * (size_t)n, (size_t)n);
            out += n;
        }
    }
    return TG_OK;
}
