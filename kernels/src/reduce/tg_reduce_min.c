/*
 * tg_reduce_min.c - minimum over any set of axes, int8 or float32 (portable C; the walk is shared
 * with tg_reduce_max in tg_reduce_walk.h).
 */
#include <float.h>

#include "tg_nn.h"
#include "tg_reduce_walk.h"

tg_status tg_reduce_min(const tg_reduce_params *params, const void *input, void *output)
{
    TG_REDUCE_BODY(<, INT8_MAX, FLT_MAX);
}
