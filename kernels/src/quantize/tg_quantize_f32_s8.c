/*
 * tg_quantize_f32_s8.c - float32 -> int8 affine quantization (QUANTIZE).
 *
 * q = clamp(round(x / scale) + zero_point, -128, 127), with a float32 division and round()
 * halves away from zero, as TensorFlow Lite Micro computes it. No libm call is needed.
 *
 * Out-of-range quotients: TFLM converts round(x / scale) to int32 with a plain C cast, which
 * is undefined beyond the int32 range; the oracle (TFLM built for x86-64) then sees INT32_MIN
 * for |x / scale| >= 2^31, infinities and NaN, and adds the zero point with wrap-around.
 * We reproduce that result explicitly so the generated code is deterministic on every target
 * and bit-identical to the oracle: such inputs give 127 when zero_point < 0, -128 otherwise.
 */
#include "tg_nn.h"
#include "../tg_internal.h"

/* round(r) half away from zero as int32; INT32_MIN when r is NaN or outside the int32 range */
static int32_t tg_round_to_int32(float r)
{
    const float two23 = 8388608.0f;
    int32_t t;
    float frac;

    if (!(r > -two23 && r < two23)) {
        /* NaN, or |r| >= 2^23 where every float is an integer */
        if (r >= -2147483648.0f && r < 2147483648.0f) {
            return (int32_t)r;
        }
        return INT32_MIN;
    }
    t = (int32_t)r;        /* truncation, exact */
    frac = r - (float)t;   /* exact: the fraction bits of r */
    if (frac >= 0.5f) {
        t += 1;
    } else if (frac <= -0.5f) {
        t -= 1;
    }
    return t;
}

tg_status tg_quantize_f32_s8(const tg_affine_f32 *quant, int32_t size, const float *input, int8_t *output)
{
    const float scale = quant->scale;
    const uint32_t zp = (uint32_t)quant->zero_point;
    int32_t i;

    if (size < 0 || !(scale > 0.0f)) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < size; ++i) {
        const int32_t q = (int32_t)((uint32_t)tg_round_to_int32(input[i] / scale) + zp);
        output[i] = (int8_t)tg_clamp(q, INT8_MIN, INT8_MAX);
    }
    return TG_OK;
}
