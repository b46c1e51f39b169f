/*
 * tg_floor_div_f32.c - float32 floor division with broadcasting (portable C), as TFLite Micro's
 * FLOOR_DIV: floor(double(a) / double(b)) rounded to float32, every step exactly rounded.
 */
#include <math.h>

#include "tg_nn.h"
#include "tg_float_nan.h"
#include "../basic/tg_elementwise.h"

tg_status tg_floor_div_f32(const tg_broadcast *bcast, int32_t input2_size, const float *input1, const float *input2,
                           float *output)
{
    const int32_t n = bcast->shape[bcast->rank - 1];
    const int32_t s1 = bcast->stride1[bcast->rank - 1];
    const int32_t s2 = bcast->stride2[bcast->rank - 1];
    tg_bcast_pos pos;
    int32_t i;

    if (!tg_bcast_valid(bcast) || input2_size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < input2_size; ++i) {
        if (input2[i] == 0.0f) {
            return TG_ERR_ARG;  /* TFLite Micro fails the inference before dividing anything */
        }
    }
    tg_bcast_start(&pos);
    do {
        const float *a = input1 + pos.offset1;
        const float *b = input2 + pos.offset2;
        for (i = 0; i < n; ++i) {
            float v = (float)floor((double)*a / (double)*b);
            if (v != v) {
                v = *a != *a ? tg_quiet_nan(*a) : *b != *b ? tg_quiet_nan(*b) : tg_x86_default_nan();
            }
            *output++ = v;
            a += s1;
            b += s2;
        }
    } while (tg_bcast_next(bcast, &pos));
    return TG_OK;
}
