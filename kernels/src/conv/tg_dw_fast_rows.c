/*
 * tg_dw_fast_rows.c - the row loops of the fast depthwise kernels (internal: declared in
 * tg_dw_fast.h), one copy for tg_depthwise_conv_fast_s8 and tg_depthwise_conv_inplace_fast_s8 and
 * their scalar twins: tg_dwf_rows_simd (SIMD core) and tg_dwf_rows_scalar (scalar core).
 */
#define TG_DWF_ROWS_IMPL
#include "tg_nn.h"
#include "tg_dw_fast.h"

TG_DWF_FUNC void tg_dwf_rows_simd(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                                  const int8_t *in_b, const int32_t *packed, int32_t oy0, int32_t oy1, int32_t grp0,
                                  int32_t grp1, int8_t *out, int32_t row_step, int32_t pix_step)
{
    tg_dwf_rows_body(p, in_d, out_d, in_b, packed, oy0, oy1, grp0, grp1, out, row_step, pix_step, 0);
}

TG_DWF_FUNC void tg_dwf_rows_scalar(const tg_dw_fast_params *p, const tg_dims *in_d, const tg_dims *out_d,
                                    const int8_t *in_b, const int32_t *packed, int32_t oy0, int32_t oy1,
                                    int32_t grp0, int32_t grp1, int8_t *out, int32_t row_step, int32_t pix_step)
{
    tg_dwf_rows_body(p, in_d, out_d, in_b, packed, oy0, oy1, grp0, grp1, out, row_step, pix_step, 1);
}
