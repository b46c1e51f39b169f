/*
 * tg_softmax_s8.c - int8 softmax over the innermost dimension, output scale 1/256 and zero
 * point -128, in 32-bit fixed point exactly as TFLite Micro's reference kernel (portable C).
 *
 * Per row: the differences to the row maximum are scaled by beta * input_scale into Q5.26 and
 * exponentiated (Q0); the exponentials of differences >= diff_min are summed in Q12.19; the
 * reciprocal of the sum is taken in Q0 with a power-of-two exponent; each output is
 * exp * reciprocal, rounded to 1/256 steps.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_fixedpoint.h"

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUM_INTEGER_BITS 12

/* exp(beta * input_scale * diff) in Q0 for diff <= 0. */
static inline int32_t exp_of_diff(const tg_softmax_params *p, int32_t diff)
{
    const int32_t scaled = tg_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
    return tg_fp_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
}

tg_status tg_softmax_s8(const tg_softmax_params *params, int32_t rows, int32_t depth,
                        const int8_t *input, int8_t *output)
{
    int32_t r, c;

    if (rows < 0 || depth < 1 || params->input_left_shift < 0 || params->input_left_shift > 31) {
        return TG_ERR_ARG;
    }
    for (r = 0; r < rows; ++r) {
        const int8_t *in = input + (int32_t)r * depth;
        int8_t *out = output + (int32_t)r * depth;
        int32_t max = in[0];
        int32_t sum = 0;
        int32_t bits_over_unit, exponent, reciprocal;

        for (c = 1; c < depth; ++c) {
            max = TG_MAX(max, (int32_t)in[c]);
        }
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max;
            if (diff >= params->diff_min) {
                sum = tg_fp_add(sum, tg_fp_rescale(exp_of_diff(params, diff), 0, ACCUM_INTEGER_BITS));
            }
        }
        /* sum >= exp(0) > 0: the maximum itself always contributes */
        reciprocal = tg_fp_reciprocal(sum, ACCUM_INTEGER_BITS, &bits_over_unit);
        exponent = bits_over_unit + 31 - 8;
        for (c = 0; c < depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max;
            int32_t q = 0;
            if (diff >= params->diff_min && exponent <= 31) {
                q = tg_rdbpot(tg_srdhm(reciprocal, exp_of_diff(params, diff)), exponent);
            }
            /* exponent > 31 means a sum of exponentials >= 512: TFLite Micro stops there
             * (TFLITE_CHECK), while every probability is below 1/512 and rounds to q = 0. */
            out[c] = (int8_t)tg_clamp(q - 128, -128, 127);
        }
    }
    return TG_OK;
}
