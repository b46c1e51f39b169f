/*
 * tg_remap.c - block copies through affine or tabulated input offsets (portable C): slices,
 * strided slices, splits, space/depth rearrangements, mirror padding, nearest-neighbour resizing.
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"

/* Fixed-size copies: a single load/store with GCC/Clang even in freestanding builds. */
#if defined(__GNUC__) || defined(__clang__)
#define TG_COPY_FIXED(dst, src, n) __builtin_memcpy((dst), (src), (n))
#else
#define TG_COPY_FIXED(dst, src, n) memcpy((dst), (src), (n))
#endif

/* One block: blocks never overlap their own source (the compiler's gap guarantees it). */
static inline void copy_block(uint8_t *dst, const uint8_t *src, int32_t n)
{
    switch (n) {
    case 1:
        *dst = *src;
        break;
    case 2:
        TG_COPY_FIXED(dst, src, 2);
        break;
    case 4:
        TG_COPY_FIXED(dst, src, 4);
        break;
    default:
        memcpy(dst, src, (size_t)n);
        break;
    }
}

/* Input byte offset of index i along dimension d. */
static inline int32_t dim_offset(const tg_remap_params *p, int32_t d, int32_t i)
{
    return p->table[d] < 0 ? i * p->step[d] : p->offsets[p->table[d] + i];
}

tg_status tg_remap(const tg_remap_params *params, const void *input, void *output)
{
    const int32_t rank = params->rank;
    const int32_t blk = params->block_bytes;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    int32_t index[TG_REMAP_MAX_DIMS];
    int32_t offset = params->base; /* input byte offset of the current innermost row */
    int32_t d, i, n, last, step;

    if (rank < 1 || rank > TG_REMAP_MAX_DIMS || blk < 1) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < rank; ++d) {
        if (params->shape[d] < 1 || params->table[d] < -1 || (params->table[d] >= 0 && params->offsets == NULL)) {
            return TG_ERR_ARG;
        }
        index[d] = 0;
        offset += dim_offset(params, d, 0);
    }
    last = rank - 1;
    n = params->shape[last];
    step = params->step[last];
    for (;;) {
        /* the innermost dimension */
        const uint8_t *row = in + offset - dim_offset(params, last, 0);
        if (params->table[last] >= 0) {
            const int32_t *tab = params->offsets + params->table[last];
            for (i = 0; i < n; ++i) {
                copy_block(out, row + tab[i], blk);
                out += blk;
            }
        } else if (step == blk) {
            /* contiguous: one copy; memmove, as the output may start below the input */
            memmove(out, row, (size_t)n * (size_t)blk);
            out += n * blk;
        } else if (blk == 1) {
            for (i = 0; i < n; ++i) {
                *out++ = row[i * step];
            }
        } else {
            for (i = 0; i < n; ++i) {
                copy_block(out, row + i * step, blk);
                out += blk;
            }
        }
        /* next row: odometer over the outer dimensions */
        for (d = last - 1; d >= 0; --d) {
            offset -= dim_offset(params, d, index[d]);
            if (++index[d] < params->shape[d]) {
                offset += dim_offset(params, d, index[d]);
                break;
            }
            index[d] = 0;
            offset += dim_offset(params, d, 0);
        }
        if (d < 0) {
            break;
        }
    }
    return TG_OK;
}
