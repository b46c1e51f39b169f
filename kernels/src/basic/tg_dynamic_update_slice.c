/*
 * tg_dynamic_update_slice.c - a copy of the operand with the update written at start indices read
 * at run time, each clamped to [0, operand size - update size] (portable C), as TFLite Micro's
 * DYNAMIC_UPDATE_SLICE. Values are moved unchanged (any element size).
 */
#include <string.h>

#include "tg_nn.h"

tg_status tg_dynamic_update_slice(const tg_dus_params *params, const void *operand, const void *update,
                                  const void *indices, void *output)
{
    const int32_t rank = params->rank;
    const size_t es = (size_t)params->element_size;
    int32_t start[TG_DUS_MAX_DIMS], stride[TG_DUS_MAX_DIMS], idx[TG_DUS_MAX_DIMS];
    int32_t d, operand_size = 1, update_size = 1, rows;
    const uint8_t *src = (const uint8_t *)update;
    uint8_t *out = (uint8_t *)output;

    if (rank < 1 || rank > TG_DUS_MAX_DIMS || params->element_size < 1) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < rank; ++d) {
        if (params->update_dims[d] < 1 || params->update_dims[d] > params->operand_dims[d]) {
            return TG_ERR_ARG;
        }
        operand_size *= params->operand_dims[d];
        update_size *= params->update_dims[d];
    }
    if (update_size == operand_size) {
        memcpy(output, update, (size_t)operand_size * es);
        return TG_OK;
    }
    if (output != operand) {
        memcpy(output, operand, (size_t)operand_size * es);
    }
    for (d = 0; d < rank; ++d) {
        const int64_t raw = params->indices_int64 ? ((const int64_t *)indices)[d]
                                                  : (int64_t)((const int32_t *)indices)[d];
        const int64_t hi = (int64_t)params->operand_dims[d] - params->update_dims[d];
        start[d] = (int32_t)(raw < 0 ? 0 : raw > hi ? hi : raw);
        idx[d] = 0;
    }
    stride[rank - 1] = 1;
    for (d = rank - 2; d >= 0; --d) {
        stride[d] = stride[d + 1] * params->operand_dims[d + 1];
    }
    rows = update_size / params->update_dims[rank - 1];
    while (rows-- > 0) {
        int32_t off = 0;
        for (d = 0; d < rank; ++d) {
            off += (start[d] + idx[d]) * stride[d];
        }
        memcpy(out + (size_t)off * es, src, (size_t)params->update_dims[rank - 1] * es);
        src += (size_t)params->update_dims[rank - 1] * es;
        for (d = rank - 2; d >= 0; --d) {  /* next row of the update (odometer over all but the last) */
            if (++idx[d] < params->update_dims[d]) {
                break;
            }
            idx[d] = 0;
        }
    }
    return TG_OK;
}
