/*
 * tg_greater_equal.c - elementwise a >= b with broadcasting, bool output (portable C).
 * The loop is shared with the other comparisons in tg_compare.h.
 */
#include "tg_nn.h"
#include "tg_compare.h"

tg_status tg_greater_equal(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                           const void *input2, uint8_t *output)
{
    TG_COMPARE_BODY(>=);
}
