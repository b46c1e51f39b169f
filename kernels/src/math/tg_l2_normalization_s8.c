/*
 * tg_l2_normalization_s8.c - int8 L2 normalization over the last dimension (portable C), TFLite
 * Micro's integer arithmetic: the sum of squares of a row, its fixed-point inverse square root,
 * and each element requantized by it onto the scale 1/128.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "tg_invsqrt.h"

/* output scale 1/128: 7 fractional bits */
#define TG_L2NORM_OUTPUT_BITS 7

tg_status tg_l2_normalization_s8(const tg_l2norm_params *params, const int8_t *input, int8_t *output)
{
    const int32_t depth = params->depth;
    const int32_t zp = params->input_zero_point;
    int32_t r, c;

    if (params->rows < 0 || depth < 0) {
        return TG_ERR_ARG;
    }
    for (r = 0; r < params->rows; ++r) {
        const int8_t *in = input + r * depth;
        int8_t *out = output + r * depth;
        int32_t acc = 0, m, s;
        for (c = 0; c < depth; ++c) {
            const int32_t x = (int32_t)in[c] - zp;
            acc += x * x;
        }
        tg_inv_sqrt(acc, &m, &s);
        for (c = 0; c < depth; ++c) {
            const int32_t v = tg_requantize((int32_t)in[c] - zp, m, s + TG_L2NORM_OUTPUT_BITS);
            out[c] = (int8_t)tg_clamp(v, INT8_MIN, INT8_MAX);
        }
    }
    return TG_OK;
}
