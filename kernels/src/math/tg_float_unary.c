/*
 * tg_float_unary.c - the exactly rounded float32 elementwise functions of TFLite Micro (portable
 * C): NEG, SQUARE, SQRT, FLOOR, CEIL and ROUND (halves to even, as TFLite's RoundToNearest).
 */
#include <math.h>

#include "tg_nn.h"
#include "tg_float_nan.h"

/* TFLite's RoundToNearest: floor, then up when the rest exceeds one half or is one half above an
 * odd integer (NaN and infinities come out as NaN and infinities). */
static float tg_round_half_even(float x)
{
    const float f = floorf(x);
    const float diff = x - f;
    if (diff < 0.5f) {
        return f;
    }
    if (diff == 0.5f && (int32_t)f % 2 == 0) {  /* a rest of 1/2 means |x| < 2^23: f fits */
        return f;
    }
    return f + 1.0f;
}

tg_status tg_float_unary(int32_t function, int32_t size, const float *input, float *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    switch (function) {
    case TG_FUNARY_NEG:
        for (i = 0; i < size; ++i) {
            output[i] = -input[i];
        }
        break;
    case TG_FUNARY_SQUARE:
        for (i = 0; i < size; ++i) {
            output[i] = input[i] * input[i];
        }
        break;
    case TG_FUNARY_SQRT:
        for (i = 0; i < size; ++i) {
            const float x = input[i];
            /* sqrt of a number below zero: x86's default NaN (Arm's has the sign clear) */
            output[i] = x != x ? tg_quiet_nan(x) : x < 0.0f ? tg_x86_default_nan() : sqrtf(x);
        }
        break;
    case TG_FUNARY_FLOOR:
        for (i = 0; i < size; ++i) {
            output[i] = floorf(input[i]);
        }
        break;
    case TG_FUNARY_CEIL:
        for (i = 0; i < size; ++i) {
            output[i] = ceilf(input[i]);
        }
        break;
    case TG_FUNARY_ROUND:
        for (i = 0; i < size; ++i) {
            output[i] = tg_round_half_even(input[i]);
        }
        break;
    default:
        return TG_ERR_ARG;
    }
    return TG_OK;
}
