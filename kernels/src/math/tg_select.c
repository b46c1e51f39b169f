/*
 * tg_select.c - out = cond ? x : y elementwise with three-way broadcasting (portable C), any
 * element type of 1, 2, 4 or 8 bytes (copied as stored).
 */
#include <string.h>

#include "tg_nn.h"

#if defined(__GNUC__) || defined(__clang__)
#define TG_COPY_ELEM(dst, src, n) __builtin_memcpy((dst), (src), (n))
#else
#define TG_COPY_ELEM(dst, src, n) memcpy((dst), (src), (n))
#endif

tg_status tg_select(int32_t elem_size, const tg_broadcast3 *bcast, const uint8_t *cond, const void *x,
                    const void *y, void *output)
{
    const uint8_t *xs = (const uint8_t *)x;
    const uint8_t *ys = (const uint8_t *)y;
    uint8_t *out = (uint8_t *)output;
    int32_t index[TG_BCAST_MAX_DIMS] = {0};
    int32_t oc = 0, ox = 0, oy = 0, d, i, n, sc, sx, sy;

    if (bcast->rank < 1 || bcast->rank > TG_BCAST_MAX_DIMS ||
        !(elem_size == 1 || elem_size == 2 || elem_size == 4 || elem_size == 8)) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < bcast->rank; ++d) {
        if (bcast->shape[d] < 1) {
            return TG_ERR_ARG;
        }
    }
    n = bcast->shape[bcast->rank - 1];
    sc = bcast->stride_cond[bcast->rank - 1];
    sx = bcast->stride_x[bcast->rank - 1] * elem_size;
    sy = bcast->stride_y[bcast->rank - 1] * elem_size;
    for (;;) {
        const uint8_t *c = cond + oc;
        const uint8_t *a = xs + ox * elem_size;
        const uint8_t *b = ys + oy * elem_size;
        for (i = 0; i < n; ++i) {
            TG_COPY_ELEM(out, *c ? a : b, (size_t)elem_size);
            out += elem_size;
            c += sc;
            a += sx;
            b += sy;
        }
        /* odometer over the outer dimensions */
        for (d = bcast->rank - 2; d >= 0; --d) {
            oc += bcast->stride_cond[d];
            ox += bcast->stride_x[d];
            oy += bcast->stride_y[d];
            if (++index[d] < bcast->shape[d]) {
                break;
            }
            index[d] = 0;
            oc -= bcast->stride_cond[d] * bcast->shape[d];
            ox -= bcast->stride_x[d] * bcast->shape[d];
            oy -= bcast->stride_y[d] * bcast->shape[d];
        }
        if (d < 0) {
            return TG_OK;
        }
    }
}
