/*
 * tg_cumsum_s8.c - int8 cumulative sum along one axis (portable C), TFLite Micro's rescaled sums
 * (shared walk in tg_cumsum.h).
 */
#include "tg_nn.h"
#include "tg_cumsum.h"
#include "tg_sum_rescale.h"

#define TG_CUMSUM_S8_ADD(acc, q) ((acc) + tg_sum_input((q), &params->rescale))
#define TG_CUMSUM_S8_OUT(acc) tg_sum_output((acc), &params->rescale)

tg_status tg_cumsum_s8(const tg_cumsum_params *params, const int8_t *input, int8_t *output)
{
    TG_CUMSUM_BODY(int32_t, tg_sum_start(&params->rescale), TG_CUMSUM_S8_ADD, TG_CUMSUM_S8_OUT);
}
