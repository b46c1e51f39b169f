/*
 * tg_svdf_s8.c - one int8 SVDF step with int8 time weights and state (portable C; the step is
 * shared with tg_svdf_s8_s16 in tg_svdf.h).
 */
#include "tg_nn.h"
#include "tg_svdf.h"

tg_status tg_svdf_s8(const tg_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output)
{
    TG_SVDF_BODY(int8_t, INT8_MIN, INT8_MAX);
}
