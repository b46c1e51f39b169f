/*
 * tg_gather_nd.c - GATHER_ND: slices of the input picked by int32 index tuples (portable C).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_gather_nd(const tg_gather_nd_params *params, const void *input, const int32_t *indices,
                       void *output)
{
    const int32_t depth = params->depth;
    const size_t es = (size_t)params->elem_size;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t i, j;

    if (depth < 0 || depth > TG_GATHER_ND_MAX_DEPTH || params->slices < 0 || params->slice_size < 0 ||
        es < 1 || (depth > 0 && indices == NULL)) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < params->slices; ++i) {
        /* the flat position as TFLite Micro computes it (int arithmetic, wrapping), checked the
         * same way: only against the input's total size */
        uint32_t pos = 0;
        int32_t from;
        for (j = 0; j < depth; ++j) {
            pos += (uint32_t)indices[i * depth + j] * (uint32_t)params->stride[j];
        }
        from = (int32_t)pos;
        if (from < 0 || from > params->flat_size - params->slice_size) {
            return TG_ERR_ARG;
        }
        memcpy(out, in + (size_t)from * es, (size_t)params->slice_size * es);
        out += (size_t)params->slice_size * es;
    }
    return TG_OK;
}
