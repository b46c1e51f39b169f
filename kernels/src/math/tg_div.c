/*
 * tg_div.c - elementwise division with broadcasting (portable C), as TFLite Micro's DIV: int8
 * through a fixed-point reciprocal of the divisor, int32 truncating, float32 IEEE, each clamped
 * to the fused activation's range.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_fixedpoint.h"
#include "../basic/tg_elementwise.h"
#include "tg_float_nan.h"

/* Number of leading bits equal to the sign bit, minus one (31 for 0 and -1). */
static int32_t tg_div_cls(int32_t x)
{
    const uint32_t u = x < 0 ? ~(uint32_t)x : (uint32_t)x;
    return tg_fp_clz(u) - 1;
}

/* RoundingDivideByPOT as TFLite Micro's x86-64 build evaluates it for exponents 0..63 (beyond 31
 * C++ leaves the shifts undefined there: the mask's 64-bit shift keeps all 32 bits, the
 * arithmetic right shift counts modulo 32). Equal to tg_rdbpot for 0..31. */
static int32_t tg_div_rdbpot(int32_t x, int32_t exponent)
{
    const int32_t mask = exponent >= 32 ? -1 : (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> (exponent & 31)) + (remainder > threshold ? 1 : 0);
}

static int8_t tg_div_s8_value(const tg_div_params *p, int32_t a, int32_t b)
{
    int32_t x = a + p->input1_offset;
    int32_t y = b + p->input2_offset;
    int32_t headroom_plus_one, recip_shift, inv, headroom, unscaled, total_shift, out;
    uint32_t shifted;

    if (y < 0) {
        x = -x;
        y = -y;
    }
    /* GetReciprocal(y, 31): 1 / y as a Q0 value and a power of two (y == 0: TFLite Micro's
     * unchecked path, reproduced) */
    headroom_plus_one = tg_fp_clz((uint32_t)y);
    recip_shift = 31 - headroom_plus_one;
    shifted = headroom_plus_one >= 32 ? 0u : (uint32_t)y << headroom_plus_one;
    inv = tg_fp_one_over_one_plus_x((int32_t)(shifted - ((uint32_t)1 << 31)));
    headroom = tg_div_cls(x);
    unscaled = tg_srdhm((int32_t)((uint32_t)x << headroom), inv);
    total_shift = p->output.shift - recip_shift - headroom;
    out = p->output_offset + tg_div_rdbpot(tg_srdhm(unscaled, p->output.multiplier), -total_shift);
    return (int8_t)tg_clamp(out, p->activation.min, p->activation.max);
}

tg_status tg_div(const tg_div_params *params, const tg_broadcast *bcast, const void *input1, const void *input2,
                 void *output)
{
    const int32_t n = bcast->shape[bcast->rank - 1];
    const int32_t s1 = bcast->stride1[bcast->rank - 1];
    const int32_t s2 = bcast->stride2[bcast->rank - 1];
    tg_bcast_pos pos;
    int32_t i;

    if (!tg_bcast_valid(bcast)) {
        return TG_ERR_ARG;
    }
    tg_bcast_start(&pos);
    switch (params->dtype) {
    case TG_DTYPE_INT8: {
        int8_t *out = (int8_t *)output;
        do {
            const int8_t *a = (const int8_t *)input1 + pos.offset1;
            const int8_t *b = (const int8_t *)input2 + pos.offset2;
            for (i = 0; i < n; ++i) {
                *out++ = tg_div_s8_value(params, *a, *b);
                a += s1;
                b += s2;
            }
        } while (tg_bcast_next(bcast, &pos));
        break;
    }
    case TG_DTYPE_INT32: {
        int32_t *out = (int32_t *)output;
        do {
            const int32_t *a = (const int32_t *)input1 + pos.offset1;
            const int32_t *b = (const int32_t *)input2 + pos.offset2;
            for (i = 0; i < n; ++i) {
                if (*b == 0 || (*b == -1 && *a == INT32_MIN)) {
                    return TG_ERR_ARG;  /* TFLite Micro traps (SIGFPE on x86-64) */
                }
                *out++ = tg_clamp(*a / *b, params->activation.min, params->activation.max);
                a += s1;
                b += s2;
            }
        } while (tg_bcast_next(bcast, &pos));
        break;
    }
    case TG_DTYPE_FLOAT32: {
        float *out = (float *)output;
        do {
            const float *a = (const float *)input1 + pos.offset1;
            const float *b = (const float *)input2 + pos.offset2;
            for (i = 0; i < n; ++i) {
                float v = *a / *b;
                if (v != v) {  /* NaN bits as on x86: a NaN operand quietened, else the default NaN */
                    v = *a != *a ? tg_quiet_nan(*a) : *b != *b ? tg_quiet_nan(*b) : tg_x86_default_nan();
                }
                v = v < params->float_min ? params->float_min : v;  /* std::max(v, min) */
                v = params->float_max < v ? params->float_max : v;  /* std::min(v, max) */
                *out++ = v;
                a += s1;
                b += s2;
            }
        } while (tg_bcast_next(bcast, &pos));
        break;
    }
    default:
        return TG_ERR_ARG;
    }
    return TG_OK;
}
