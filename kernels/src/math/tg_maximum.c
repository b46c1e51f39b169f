/*
 * tg_maximum.c - elementwise maximum with broadcasting, any element type (portable C; the loop is
 * shared with tg_minimum in tg_minmax.h).
 */
#include "tg_nn.h"
#include "tg_minmax.h"

tg_status tg_maximum(int32_t dtype, const tg_broadcast *bcast, const void *input1, const void *input2,
                     void *output)
{
    TG_MINMAX_BODY(>);
}
