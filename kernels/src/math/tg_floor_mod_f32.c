/*
 * tg_floor_mod_f32.c - float32 floor modulo with broadcasting (portable C), as TFLite Micro's
 * FLOOR_MOD: r = fmodf(a, b), plus b when r is nonzero and its sign differs from b's.
 */
#include <math.h>

#include "tg_nn.h"
#include "tg_float_nan.h"
#include "../basic/tg_elementwise.h"

tg_status tg_floor_mod_f32(const tg_broadcast *bcast, const float *input1, const float *input2, float *output)
{
    const int32_t n = bcast->shape[bcast->rank - 1];
    const int32_t s1 = bcast->stride1[bcast->rank - 1];
    const int32_t s2 = bcast->stride2[bcast->rank - 1];
    tg_bcast_pos pos;
    int32_t i;

    if (!tg_bcast_valid(bcast)) {
        return TG_ERR_ARG;
    }
    tg_bcast_start(&pos);
    do {
        const float *a = input1 + pos.offset1;
        const float *b = input2 + pos.offset2;
        for (i = 0; i < n; ++i) {
            float r = fmodf(*a, *b);
            if (r != r) {  /* NaN bits as on x86 (fmodf(inf, b), fmodf(a, 0): the default NaN) */
                r = *a != *a ? tg_quiet_nan(*a) : *b != *b ? tg_quiet_nan(*b) : tg_x86_default_nan();
            } else if (r != 0.0f && ((*b < 0.0f) != (r < 0.0f))) {
                r = r + *b;
            }
            *output++ = r;
            a += s1;
            b += s2;
        }
    } while (tg_bcast_next(bcast, &pos));
    return TG_OK;
}
