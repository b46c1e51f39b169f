/*
 * tg_cumsum_f32.c - float32 cumulative sum along one axis (portable C; shared walk in tg_cumsum.h).
 */
#include "tg_nn.h"
#include "tg_cumsum.h"

#define TG_CUMSUM_F32_ADD(acc, x) ((acc) + (x))
#define TG_CUMSUM_F32_OUT(acc) (acc)

tg_status tg_cumsum_f32(const tg_cumsum_params *params, const float *input, float *output)
{
    TG_CUMSUM_BODY(float, 0.0f, TG_CUMSUM_F32_ADD, TG_CUMSUM_F32_OUT);
}
