/*
 * tg_prelu_f32.c - float32 PRELU with a broadcast alpha (portable C): x >= 0 ? x : x * alpha.
 */
#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

tg_status tg_prelu_f32(const tg_broadcast *bcast, const float *input, const float *alpha, float *output)
{
    tg_bcast_pos pos;
    int32_t n, s1, s2, i;

    if (!tg_bcast_valid(bcast)) {
        return TG_ERR_ARG;
    }
    n = bcast->shape[bcast->rank - 1];
    s1 = bcast->stride1[bcast->rank - 1];
    s2 = bcast->stride2[bcast->rank - 1];
    tg_bcast_start(&pos);
    do {
        const float *a = input + pos.offset1;
        const float *b = alpha + pos.offset2;
        for (i = 0; i < n; ++i) {
            const float x = *a;
            *output++ = x >= 0.0f ? x : x * *b;
            a += s1;
            b += s2;
        }
    } while (tg_bcast_next(bcast, &pos));
    return TG_OK;
}
