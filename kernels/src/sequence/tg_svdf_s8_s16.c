/*
 * tg_svdf_s8_s16.c - one int8 SVDF step with int16 time weights and state (portable C; the step
 * is shared with tg_svdf_s8 in tg_svdf.h).
 */
#include "tg_nn.h"
#include "tg_svdf.h"

tg_status tg_svdf_s8_s16(const tg_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output)
{
    TG_SVDF_BODY(int16_t, INT16_MIN, INT16_MAX);
}
