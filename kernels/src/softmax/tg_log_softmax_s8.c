/*
 * tg_log_softmax_s8.c - int8 log-softmax over the last dimension (portable C), as TFLite Micro's
 * LOG_SOFTMAX: gemmlowp-style fixed point, the exponentials summed in Q12.19 and their
 * logarithm taken by the same polynomial (log_x_for_x_greater_than_or_equal_to_1).
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_fixedpoint.h"

#define TG_LSM_INPUT_BITS 5   /* differences in Q5.26 */
#define TG_LSM_SUM_BITS 12    /* sum of exponentials in Q12.19 */
#define TG_LSM_OUTPUT_BITS 4  /* output in Q4 steps of 1/16 */

static int32_t tg_lsm_sat_add(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

static int32_t tg_lsm_sat_sub(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a - (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

/* log(x) for x >= 1 given in Q12 (raw value x_raw > 0); result in Q5. Polynomial on the mantissa
 * reduced to [sqrt(1/2), 1) plus the exponent times log(2), accumulated in Q6. */
static int32_t tg_lsm_log_q12_to_q5(int32_t x_raw)
{
    const int32_t log_2 = 1488522236;
    const int32_t sqrt_sqrt_half = 1805811301;
    const int32_t sqrt_half = 1518500250;
    const int32_t one_quarter = 536870912;
    const int32_t alpha_n = 117049297;
    const int32_t alpha_d = 127690142;
    const int32_t alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    const int32_t accum_bits = TG_LSM_INPUT_BITS + 1;
    const int32_t in_bits = TG_LSM_SUM_BITS;
    const int32_t shifted_quarter = tg_fp_rescale(one_quarter, 0, accum_bits);
    const int32_t z_a = x_raw;
    const int32_t z_a_headroom_plus_1 = tg_fp_clz((uint32_t)z_a);
    const int32_t r_a_tmp = tg_fp_mul_pot(z_a, z_a_headroom_plus_1 - 1);
    const int32_t r_a_raw = tg_fp_mul_pot(tg_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj = tg_lsm_sat_add(tg_fp_mul_pot(in_bits - z_a_headroom_plus_1, 31 - accum_bits),
                                                 shifted_quarter);
    const int32_t z_b = tg_srdhm(z_a, sqrt_half);
    const int32_t z_b_headroom = tg_fp_clz((uint32_t)z_b) - 1;
    const int32_t r_b_raw = tg_fp_mul_pot(z_a, z_b_headroom);
    const int32_t z_b_pow_2_adj = tg_lsm_sat_sub(tg_fp_mul_pot(in_bits - z_b_headroom, 31 - accum_bits),
                                                 shifted_quarter);
    const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
    const int32_t p = tg_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = tg_fp_sub(r, sqrt_sqrt_half);
    int32_t common_sq, num, denom_minus_one, recip_denom, num_scaled, sum;

    q = tg_fp_add(q, q);
    common_sq = tg_srdhm(q, q);
    num = tg_fp_add(tg_srdhm(q, r), tg_srdhm(tg_srdhm(q, common_sq), alpha_n));
    denom_minus_one = tg_fp_add(tg_srdhm(p, tg_fp_add(tg_fp_add(alpha_i, q), tg_srdhm(alpha_d, common_sq))),
                                tg_srdhm(alpha_f, q));
    recip_denom = tg_fp_one_over_one_plus_x(denom_minus_one);
    num_scaled = tg_fp_rescale(num, 0, accum_bits);
    sum = tg_fp_add(tg_srdhm(z_pow_2_adj, log_2), tg_srdhm(num_scaled, recip_denom));
    return tg_fp_rescale(sum, accum_bits, TG_LSM_INPUT_BITS);
}

tg_status tg_log_softmax_s8(const tg_log_softmax_params *params, int32_t rows, int32_t depth,
                            const int8_t *input, int8_t *output)
{
    int32_t r, i;

    if (rows < 0 || depth < 1) {
        return TG_ERR_ARG;
    }
    for (r = 0; r < rows; ++r) {
        const int8_t *in = input + (size_t)r * (size_t)depth;
        int8_t *out = output + (size_t)r * (size_t)depth;
        int32_t max_in_row = INT8_MIN;
        int32_t sum_q12 = 0;
        int32_t log_sum_q5, adjusted_diff_min, reverse;

        for (i = 0; i < depth; ++i) {
            if (in[i] > max_in_row) {
                max_in_row = in[i];
            }
        }
        for (i = 0; i < depth; ++i) {
            const int32_t diff = (int32_t)in[i] - max_in_row;
            if (diff >= params->diff_min) {
                const int32_t diff_q5 = tg_requantize(diff, params->input_multiplier, params->input_left_shift);
                const int32_t e = tg_fp_exp_on_negative_values(diff_q5, TG_LSM_INPUT_BITS);
                sum_q12 = tg_fp_add(sum_q12, tg_fp_rescale(e, 0, TG_LSM_SUM_BITS));
            }
        }
        log_sum_q5 = tg_lsm_log_q12_to_q5(sum_q12);
        reverse = tg_requantize(tg_fp_add(log_sum_q5, INT32_MIN), params->reverse_scaling_divisor,
                                params->reverse_scaling_shift);
        adjusted_diff_min = params->diff_min - 1 > reverse ? params->diff_min - 1 : reverse;
        for (i = 0; i < depth; ++i) {
            const int32_t diff = (int32_t)in[i] - max_in_row;
            if (diff > adjusted_diff_min) {
                const int32_t diff_q5 = tg_requantize(diff, params->input_multiplier, params->input_left_shift);
                const int32_t v = tg_rdbpot(tg_fp_sub(diff_q5, log_sum_q5),
                                            31 - TG_LSM_INPUT_BITS - TG_LSM_OUTPUT_BITS) + INT8_MAX;
                out[i] = (int8_t)tg_clamp(v, INT8_MIN, INT8_MAX);
            } else {
                out[i] = INT8_MIN;
            }
        }
    }
    return TG_OK;
}
