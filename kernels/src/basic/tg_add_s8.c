/*
 * tg_add_s8.c - int8 addition with broadcasting (portable C; the loop is shared with
 * SUB and MUL in tg_elementwise.h).
 */
#include "tg_nn.h"
#include "tg_elementwise.h"

tg_status tg_add_s8(const tg_add_params *params, const tg_broadcast *bcast,
                    const int8_t *input1, const int8_t *input2, int8_t *output)
{
    TG_BINARY_BODY(TG_ADDSUB_STEP(1));
}
