/*
 * tg_squared_difference_s8.c - int8 squared difference with broadcasting (portable C; the inputs'
 * rescaling and the broadcast walk are those of ADD/SUB, in tg_elementwise.h).
 */
#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* (x - y)^2 of the rescaled elements *a and *b, requantized to the output. */
#define TG_SQUARED_DIFFERENCE_STEP()                                                                     \
    const int32_t x = tg_addsub_input(*a, params->input1_offset, params->left_shift, &params->input1); \
    const int32_t y = tg_addsub_input(*b, params->input2_offset, params->left_shift, &params->input2); \
    const int32_t d = x - y;                                                                           \
    *output++ = tg_addsub_output(d * d, params)

tg_status tg_squared_difference_s8(const tg_add_params *params, const tg_broadcast *bcast,
                                   const int8_t *input1, const int8_t *input2, int8_t *output)
{
    TG_BINARY_BODY(TG_SQUARED_DIFFERENCE_STEP());
}
