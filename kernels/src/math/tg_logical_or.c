/*
 * tg_logical_or.c - elementwise logical OR of two bool tensors with broadcasting (portable C),
 * as TFLite Micro's LOGICAL_OR.
 */
#include "tg_nn.h"
#include "tg_logical.h"

tg_status tg_logical_or(const tg_broadcast *bcast, const uint8_t *input1, const uint8_t *input2,
                        uint8_t *output)
{
    TG_LOGICAL_BODY(||);
}
