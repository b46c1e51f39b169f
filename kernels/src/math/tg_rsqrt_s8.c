/*
 * tg_rsqrt_s8.c - int8 RSQRT (portable C), TFLite Micro's integer arithmetic: the fixed-point
 * inverse square root of (q - zero point) scaled by 2^20, then requantized to the output.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "tg_invsqrt.h"

/* headroom bits of the intermediate value (kShift in TFLite Micro) */
#define TG_RSQRT_SHIFT 20

tg_status tg_rsqrt_s8(const tg_rsqrt_params *params, int32_t size, const int8_t *input, int8_t *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int32_t x = (int32_t)input[i] - params->input_zero_point;
        int32_t m, s, v;
        if (x < 0) {
            return TG_ERR_ARG; /* TFLite Micro: "Rsqrt is only defined for positive values" */
        }
        if (x == 0) {
            output[i] = INT8_MAX;
            continue;
        }
        tg_inv_sqrt(x, &m, &s);
        v = tg_requantize(1, m, s + TG_RSQRT_SHIFT);
        v = tg_requantize(v, params->quant.multiplier, params->quant.shift - TG_RSQRT_SHIFT);
        output[i] = (int8_t)tg_clamp(v + params->output_offset, INT8_MIN, INT8_MAX);
    }
    return TG_OK;
}
