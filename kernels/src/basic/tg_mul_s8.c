/*
 * tg_mul_s8.c - int8 multiplication with broadcasting (portable C).
 */
#include "tg_nn.h"
#include "tg_elementwise.h"

tg_status tg_mul_s8(const tg_mul_params *params, const tg_broadcast *bcast,
                    const int8_t *input1, const int8_t *input2, int8_t *output)
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
        const int8_t *a = input1 + pos.offset1;
        const int8_t *b = input2 + pos.offset2;
        for (i = 0; i < n; ++i) {
            const int32_t prod = (*a + params->input1_offset) * (*b + params->input2_offset);
            const int32_t out = tg_requantize(prod, params->output.multiplier, params->output.shift) +
                                params->output_offset;
            *output++ = (int8_t)tg_clamp(out, params->activation.min, params->activation.max);
            a += s1;
            b += s2;
        }
    } while (tg_bcast_next(bcast, &pos));
    return TG_OK;
}
