/*
 * tg_logical_and.c - elementwise logical AND of two bool tensors with broadcasting (portable C),
 * as TFLite Micro's LOGICAL_AND.
 */
#include "tg_nn.h"
#include "tg_logical.h"

tg_status tg_logical_and(const tg_broadcast *bcast, const uint8_t *input1, const uint8_t *input2,
                         uint8_t *output)
{
    TG_LOGICAL_BODY(&&);
}
