/*
 * tg_transpose.c - permutes the dimensions of a tensor of 1-, 2- or 4-byte elements (portable C).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

/* Fixed-size element copies: a single load/store with GCC/Clang even in freestanding builds. */
#if defined(__GNUC__) || defined(__clang__)
#define TG_COPY_ELEM(dst, src, n) __builtin_memcpy((dst), (src), (n))
#else
#define TG_COPY_ELEM(dst, src, n) memcpy((dst), (src), (n))
#endif

/* Copies n elements read every `stride` elements of src into consecutive elements of dst. */
static void gather(int32_t elem_size, const uint8_t *src, int32_t stride, uint8_t *dst, int32_t n)
{
    int32_t i;
    if (stride == 1) {
        memcpy(dst, src, (size_t)n * (size_t)elem_size);
        return;
    }
    switch (elem_size) {
    case 1:
        for (i = 0; i < n; ++i) {
            dst[i] = src[(int32_t)i * stride];
        }
        break;
    case 2:
        for (i = 0; i < n; ++i) {
            TG_COPY_ELEM(dst + 2 * i, src + 2 * i * stride, 2);
        }
        break;
    default:
        for (i = 0; i < n; ++i) {
            TG_COPY_ELEM(dst + 4 * i, src + 4 * i * stride, 4);
        }
        break;
    }
}

tg_status tg_transpose(const tg_transpose_params *params, const void *input, void *output)
{
    const int32_t rank = params->rank;
    const int32_t es = params->elem_size;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t index[TG_TRANSPOSE_MAX_DIMS];
    int32_t offset = 0; /* input element offset of the current row */
    int32_t d, n;

    if (rank < 1 || rank > TG_TRANSPOSE_MAX_DIMS || (es != 1 && es != 2 && es != 4)) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < rank; ++d) {
        if (params->shape[d] < 1 || params->in_stride[d] < 0) {
            return TG_ERR_ARG;
        }
        index[d] = 0;
    }
    n = params->shape[rank - 1];
    for (;;) {
        gather(es, in + (size_t)offset * (size_t)es, params->in_stride[rank - 1], out, n);
        out += (size_t)n * (size_t)es;
        /* next row: odometer over the outer output dimensions */
        for (d = rank - 2; d >= 0; --d) {
            offset += params->in_stride[d];
            if (++index[d] < params->shape[d]) {
                break;
            }
            index[d] = 0;
            offset -= params->in_stride[d] * params->shape[d];
        }
        if (d < 0) {
            break;
        }
    }
    return TG_OK;
}
