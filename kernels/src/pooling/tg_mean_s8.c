/*
 * tg_mean_s8.c - int8 mean over any set of axes (portable C).
 *
 * The compiler describes the input as two loop nests over element strides: the kept dimensions
 * (iterated in output order) and the reduced ones. Each output element is the requantized sum of
 * (x + input_offset) over its reduced elements; the division by the element count is folded into
 * the multiplier at compile time.
 */
#include "tg_nn.h"
#include "../tg_internal.h"

/* Advance a multi-index over a loop nest (last dimension fastest); returns the element offset
 * change, or sets *done when the nest wraps around. */
static int32_t tg_nest_step(const tg_loop_nest *nest, int32_t *index, int *done)
{
    int32_t d, delta = 0;
    for (d = nest->count - 1; d >= 0; --d) {
        if (++index[d] < nest->size[d]) {
            return delta + nest->stride[d];
        }
        delta -= (nest->size[d] - 1) * nest->stride[d];
        index[d] = 0;
    }
    *done = 1;
    return 0;
}

tg_status tg_mean_s8(const tg_mean_params *params, const int8_t *input, int8_t *output)
{
    int32_t outer_idx[TG_LOOP_NEST_MAX_DIMS] = {0};
    int32_t base = 0;
    int outer_done = 0;
    int32_t d;

    if (params->outer.count < 0 || params->outer.count > TG_LOOP_NEST_MAX_DIMS ||
        params->inner.count < 0 || params->inner.count > TG_LOOP_NEST_MAX_DIMS) {
        return TG_ERR_ARG;
    }
    for (d = 0; d < params->outer.count; ++d) {
        if (params->outer.size[d] <= 0) {
            return TG_OK;
        }
    }
    for (d = 0; d < params->inner.count; ++d) {
        if (params->inner.size[d] <= 0) {
            return TG_ERR_ARG;
        }
    }
    while (!outer_done) {
        int32_t inner_idx[TG_LOOP_NEST_MAX_DIMS] = {0};
        int32_t pos = base;
        int inner_done = 0;
        uint32_t acc = 0; /* wraps like the reference's int32 sum */
        int32_t v;
        while (!inner_done) {
            acc += (uint32_t)((int32_t)input[pos] + params->input_offset);
            pos += tg_nest_step(&params->inner, inner_idx, &inner_done);
        }
        v = tg_requantize((int32_t)acc, params->multiplier, params->shift);
        v += params->output_offset;
        *output++ = (int8_t)tg_clamp(v, -128, 127);
        base += tg_nest_step(&params->outer, outer_idx, &outer_done);
    }
    return TG_OK;
}
