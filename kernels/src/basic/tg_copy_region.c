/*
 * tg_copy_region.c - strided block copy (patch-based inference: a patch's result into the full
 * stage output, or a sub-region of a patch buffer into a dense one).
 */
#include <string.h>
#include "tg_nn.h"

tg_status tg_copy_region(const tg_copy_params *p, const void *src, void *dst)
{
    const int8_t *s = (const int8_t *)src;
    int8_t *d = (int8_t *)dst;
    int32_t b, r;

    if (p->blocks < 0 || p->rows < 0 || p->row_bytes < 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < p->blocks; ++b) {
        const int8_t *sr = s + b * p->src_block_stride;
        int8_t *dr = d + b * p->dst_block_stride;
        for (r = 0; r < p->rows; ++r) {
            memmove(dr, sr, (size_t)p->row_bytes);
            sr += p->src_row_stride;
            dr += p->dst_row_stride;
        }
    }
    return TG_OK;
}
