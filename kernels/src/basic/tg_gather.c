/*
 * tg_gather.c - GATHER: slices of the input picked by int32 positions (portable C).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_gather(const tg_gather_params *params, const void *input, const int32_t *positions,
                    void *output)
{
    const int32_t inner = params->inner_bytes;
    const int32_t axis = params->axis_size;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t b, o, k;

    if (params->batches < 1 || params->outer < 1 || params->coords < 0 || axis < 1 || inner < 1 ||
        positions == NULL) {
        return TG_ERR_ARG;
    }
    for (k = 0; k < params->batches * params->coords; ++k) {
        if (positions[k] < 0 || positions[k] >= axis) {
            return TG_ERR_ARG;
        }
    }
    for (b = 0; b < params->batches; ++b) {
        const int32_t *pos = positions + b * params->coords;
        for (o = 0; o < params->outer; ++o) {
            const uint8_t *slab = in + (size_t)(b * params->outer + o) * (size_t)axis * (size_t)inner;
            for (k = 0; k < params->coords; ++k) {
                memcpy(out, slab + (size_t)pos[k] * (size_t)inner, (size_t)inner);
                out += inner;
            }
        }
    }
    return TG_OK;
}
