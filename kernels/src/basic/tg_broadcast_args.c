/*
 * tg_broadcast_args.c - the broadcast shape of two shape vectors (portable C), as TFLite Micro's
 * BROADCAST_ARGS: aligned at the end, a 1 takes the other side's size, a missing dimension is 1;
 * int64 sizes pass through TFLite Micro's int (their low 32 bits, sign-extended).
 */
#include "tg_nn.h"

static int32_t tg_bargs_at(int32_t dtype, const void *data, int32_t len, int32_t backward)
{
    const int32_t i = len - 1 - backward;
    if (i < 0) {
        return 1;
    }
    if (dtype == TG_DTYPE_INT64) {
        return (int32_t)(uint32_t)(uint64_t)((const int64_t *)data)[i];
    }
    return ((const int32_t *)data)[i];
}

tg_status tg_broadcast_args(int32_t dtype, int32_t len1, const void *shape1, int32_t len2, const void *shape2,
                            int32_t out_len, void *output)
{
    int32_t i;

    if ((dtype != TG_DTYPE_INT32 && dtype != TG_DTYPE_INT64) || len1 < 0 || len2 < 0 || out_len < 0) {
        return TG_ERR_ARG;
    }
    for (i = 0; i < out_len; ++i) {
        const int32_t a = tg_bargs_at(dtype, shape1, len1, i);
        const int32_t b = tg_bargs_at(dtype, shape2, len2, i);
        int32_t v;
        if (a == 1) {
            v = b;
        } else if (b == 1 || a == b) {
            v = a;
        } else {
            return TG_ERR_ARG;  /* sizes that do not broadcast: TFLite Micro aborts */
        }
        if (dtype == TG_DTYPE_INT64) {
            ((int64_t *)output)[out_len - 1 - i] = v;
        } else {
            ((int32_t *)output)[out_len - 1 - i] = v;
        }
    }
    return TG_OK;
}
