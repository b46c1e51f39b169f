/*
 * tg_prelu_s8.c - int8 PRELU with a broadcast alpha (portable C; the broadcast walk is shared with
 * the binary kernels in tg_elementwise.h).
 */
#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* One element: *a is the input, *b the alpha. */
#define TG_PRELU_STEP()                                                                              \
    const int32_t x = (int32_t)*a + params->input_offset;                                           \
    int32_t y;                                                                                       \
    if (x >= 0) {                                                                                    \
        y = tg_requantize(x, params->identity.multiplier, params->identity.shift);                  \
    } else {                                                                                         \
        y = tg_requantize(x * ((int32_t)*b + params->alpha_offset), params->alpha.multiplier,       \
                          params->alpha.shift);                                                      \
    }                                                                                                \
    *output++ = (int8_t)tg_clamp(y + params->output_offset, INT8_MIN, INT8_MAX)

tg_status tg_prelu_s8(const tg_prelu_params *params, const tg_broadcast *bcast, const int8_t *input,
                      const int8_t *alpha, int8_t *output)
{
    const int8_t *const input1 = input;
    const int8_t *const input2 = alpha;
    TG_BINARY_BODY(TG_PRELU_STEP());
}
