/*
 * tg_arg_min.c - index of the smallest value along one axis, int8 or float32 (portable C; the loop
 * is shared with tg_arg_max in tg_arg_min_max.h).
 */
#include "tg_nn.h"
#include "tg_arg_min_max.h"

tg_status tg_arg_min(const tg_arg_params *params, const void *input, int32_t *output)
{
    TG_ARG_BODY(<);
}
