/*
 * tg_batch_matmul_s8.c - int8 batched matrix product (portable C).
 *
 * Operands are read in place through their strides (a transposed operand needs no copy); the
 * batch dimensions are a broadcast loop nest (tg_elementwise.h) whose two strides step the lhs
 * and rhs matrices.
 */
#include "tg_nn.h"
#include "../basic/tg_elementwise.h"

/* One output matrix. */
static void tg_matmul_one(const tg_batch_matmul_params *p, const int8_t *lhs, const int8_t *rhs,
                          int8_t *out)
{
    int32_t r, c, d;
    for (r = 0; r < p->rows; ++r) {
        const int8_t *lrow = lhs + r * p->lhs_row_stride;
        for (c = 0; c < p->cols; ++c) {
            const int8_t *rcol = rhs + c * p->rhs_col_stride;
            int32_t acc = 0, v;
            for (d = 0; d < p->depth; ++d) {
                acc += ((int32_t)lrow[d * p->lhs_depth_stride] + p->lhs_offset) *
                       ((int32_t)rcol[d * p->rhs_depth_stride] + p->rhs_offset);
            }
            v = tg_requantize(acc, p->quant.multiplier, p->quant.shift) + p->output_offset;
            *out++ = (int8_t)tg_clamp(v, INT8_MIN, INT8_MAX);
        }
    }
}

tg_status tg_batch_matmul_s8(const tg_batch_matmul_params *params, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output)
{
    const tg_broadcast *b = &params->batch;
    const int32_t size = params->rows * params->cols;
    tg_bcast_pos pos;
    int32_t n, i;

    if (!tg_bcast_valid(b) || params->rows < 0 || params->cols < 0 || params->depth < 0) {
        return TG_ERR_ARG;
    }
    n = b->shape[b->rank - 1];
    tg_bcast_start(&pos);
    do {
        for (i = 0; i < n; ++i) {
            tg_matmul_one(params, lhs + pos.offset1 + i * b->stride1[b->rank - 1],
                          rhs + pos.offset2 + i * b->stride2[b->rank - 1], output);
            output += size;
        }
    } while (tg_bcast_next(b, &pos));
    return TG_OK;
}
