/*
 * tg_cast.c - element type conversion (portable C), as TFLite Micro's CAST (static_cast, no
 * quantization); float32 -> integer saturates as the pinned TFLite Micro does.
 */
#include "tg_nn.h"

/* float32 -> integer as the pinned TFLite Micro converts it: truncation toward zero, saturated
 * to the target type's range (infinities included), NaN -> 0. lo and hi are the target's limits
 * (exact in float32 for int8 and int16; the int32 case compares with 2^31 itself). */
static int32_t tg_cast_f32_sat(float x, int32_t lo, int32_t hi)
{
    if (x != x) {
        return 0;
    }
    if (hi == INT32_MAX) {
        if (x >= 2147483648.0f) {
            return INT32_MAX;
        }
        if (x <= -2147483648.0f) {
            return INT32_MIN;
        }
        return (int32_t)x;
    }
    if (x >= (float)hi) {
        return hi;
    }
    if (x <= (float)lo) {
        return lo;
    }
    return (int32_t)x;
}

#define TG_F32_I8(v) ((int8_t)tg_cast_f32_sat((v), INT8_MIN, INT8_MAX))
#define TG_F32_I16(v) ((int16_t)tg_cast_f32_sat((v), INT16_MIN, INT16_MAX))
#define TG_F32_I32(v) tg_cast_f32_sat((v), INT32_MIN, INT32_MAX)

/* The low bits of an int32, as a narrowing static_cast of an integer keeps them. */
#define TG_LOW8(v) ((int8_t)(uint8_t)((uint32_t)(v) & 0xFFu))
#define TG_LOW16(v) ((int16_t)(uint16_t)((uint32_t)(v) & 0xFFFFu))
#define TG_INT(v) ((int32_t)(v))

/* Converts every element with TO_I8, TO_I16, TO_I32 or READ_FLOAT, as the output type asks; bool
 * outputs are x != 0 (a float32 NaN is true). */
#define TG_CAST_LOOP(TIN, TO_I8, TO_I16, TO_I32, READ_FLOAT)                                      \
    do {                                                                                          \
        const TIN *in = (const TIN *)input;                                                       \
        switch (out_dtype) {                                                                      \
        case TG_DTYPE_INT8:                                                                       \
            for (i = 0; i < size; ++i) {                                                          \
                ((int8_t *)output)[i] = TO_I8(in[i]);                                             \
            }                                                                                     \
            break;                                                                                \
        case TG_DTYPE_INT16:                                                                      \
            for (i = 0; i < size; ++i) {                                                          \
                ((int16_t *)output)[i] = TO_I16(in[i]);                                           \
            }                                                                                     \
            break;                                                                                \
        case TG_DTYPE_INT32:                                                                      \
            for (i = 0; i < size; ++i) {                                                          \
                ((int32_t *)output)[i] = TO_I32(in[i]);                                           \
            }                                                                                     \
            break;                                                                                \
        case TG_DTYPE_FLOAT32:                                                                    \
            for (i = 0; i < size; ++i) {                                                          \
                ((float *)output)[i] = READ_FLOAT(in[i]);                                         \
            }                                                                                     \
            break;                                                                                \
        case TG_DTYPE_BOOL:                                                                       \
            for (i = 0; i < size; ++i) {                                                          \
                ((uint8_t *)output)[i] = (uint8_t)(in[i] != 0);                                   \
            }                                                                                     \
            break;                                                                                \
        default:                                                                                  \
            return TG_ERR_ARG;                                                                    \
        }                                                                                         \
    } while (0)

#define TG_I8(v) TG_LOW8(TG_INT(v))
#define TG_I16(v) TG_LOW16(TG_INT(v))
#define TG_BOOL_INT(v) ((int32_t)((v) != 0))
#define TG_FLOAT(v) ((float)(v))
#define TG_BOOL_FLOAT(v) ((v) != 0 ? 1.0f : 0.0f)
#define TG_SAME_FLOAT(v) (v)

tg_status tg_cast(int32_t in_dtype, int32_t out_dtype, int32_t size, const void *input, void *output)
{
    int32_t i;

    if (size < 0) {
        return TG_ERR_ARG;
    }
    switch (in_dtype) {
    case TG_DTYPE_INT8:
        TG_CAST_LOOP(int8_t, TG_I8, TG_I16, TG_INT, TG_FLOAT);
        break;
    case TG_DTYPE_INT16:
        TG_CAST_LOOP(int16_t, TG_I8, TG_I16, TG_INT, TG_FLOAT);
        break;
    case TG_DTYPE_INT32:
        TG_CAST_LOOP(int32_t, TG_I8, TG_I16, TG_INT, TG_FLOAT);
        break;
    case TG_DTYPE_BOOL:
        TG_CAST_LOOP(uint8_t, TG_BOOL_INT, TG_BOOL_INT, TG_BOOL_INT, TG_BOOL_FLOAT);
        break;
    case TG_DTYPE_FLOAT32:
        TG_CAST_LOOP(float, TG_F32_I8, TG_F32_I16, TG_F32_I32, TG_SAME_FLOAT);
        break;
    default:
        return TG_ERR_ARG;
    }
    return TG_OK;
}
