/*
 * tg_reduce_all.c - logical AND of bool values over any set of axes (portable C), as TFLite
 * Micro's REDUCE_ALL: each output starts true and stays true while every reduced input is (the
 * walk of tg_reduce_min over values 0 and 1, in tg_reduce_walk.h).
 */
#include "tg_nn.h"
#include "tg_reduce_walk.h"

tg_status tg_reduce_all(const tg_reduce_params *params, const uint8_t *input, uint8_t *output)
{
    int32_t d;

    if (params->dtype != TG_DTYPE_BOOL || params->outer.count < 0 || params->outer.count > TG_LOOP_NEST_MAX_DIMS ||
        params->inner.count < 0 || params->inner.count > TG_LOOP_NEST_MAX_DIMS) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < params->outer.count; ++d) {
        if (params->outer.size[d] <= 0) {
            return TG_OK;
        }
    }
    for (d = 0; d < params->inner.count; ++d) {
        if (params->inner.size[d] <= 0) {
            return TG_ERR_ARG;
        }
    }
    TG_REDUCE_TYPED(uint8_t, <, 1u);
    return TG_OK;
}
