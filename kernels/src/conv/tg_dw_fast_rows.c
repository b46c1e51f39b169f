/*
 * tg_dw_fast_rows.c - the row loops of the fast depthwise kernels (internal: declared in
 * tg_dw_fast.h), one copy for tg_depthwise_conv_fast_s8 and tg_depthwise_conv_inplace_fast_s8 and
 * their scalar twins: tg_dwf_rows_simd (SIMD core) and tg_dwf_rows_scalar (scalar core).
 */
#define TG_DWF_ROWS_IMPL
#include "tg_nn.h"
#include "tg_dw_fast.h"

TG_DWF_FUNC tg_status tg_dwf_rows_simd(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows)
{
    return tg_dwf_rows_body(p, in_b, out, rows, 0);
}

TG_DWF_FUNC tg_status tg_dwf_rows_scalar(const tg_dw_fast_params *p, const int8_t *in_b, int8_t *out, int32_t rows)
{
    return tg_dwf_rows_body(p, in_b, out, rows, 1);
}
