/*
 * tg_add_fast_s8.c - int8 ADD / SUB of same-shaped tensors with the requantization reduced to two
 * SMMLAR (see tg_add_fast_params in tg_nn.h; constants from tinygen/fast/elementwise.py).
 *
 * Per element, x_e / x_o the stored values of the exact / other input:
 *   t   = exact_offset + x_e * exact_scale                    (+-(x_e + offset) * 2^19, exact)
 *   u   = other_offset + x_o * 2^21                           ((x_o + offset) * 2^21, |u| < 2^29)
 *   v   = SMMLAR(u, M_o, round + (sign(u) & sign_mask)) >> n  (TFLM's rescaled other input)
 *   raw = t + other_sign * v                                  (|raw| < 2^29)
 *   out = SMMLAR(2 raw, M_out, output_round + sign(raw)) >> n_out, clamped
 * SMMLAR(u, M, c) = c + floor((u * M + 2^31) / 2^32), and SaturatingRoundingDoublingHighMul(a, M)
 * = floor((2 a M + 2^31) / 2^32); adding 2^(n-1) - [a < 0] before the shift is RoundingDivideByPOT
 * (for n >= 1; the sign of a stands in for the sign of the product, which differs only when the
 * product rounds to 0, where both give 0).
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
/* GCC's pre-allocation scheduler hoists loads out of the short loop body and spills the loop
 * invariants; keep it off for this kernel */
#define TG_ADDF_FUNC __attribute__((optimize("no-schedule-insns")))
#else
#define TG_ADDF_FUNC
#endif

/* The loop; sub is a constant at each call: 0 for ADD (both signs +1), 1 for anything else. */
static inline __attribute__((always_inline)) void tg_addf_loop(const tg_add_fast_params *params, int32_t size,
                                                               const int8_t *xe, const int8_t *xo, int8_t *out,
                                                               int sub)
{
    const int32_t e_scale = params->exact_scale, e_off = params->exact_offset;
    const int32_t o_off = params->other_offset, o_mult = params->other_multiplier;
    const int32_t o_round = params->other_round, o_mask = params->other_sign_mask;
    const uint32_t o_shift = (uint32_t)params->other_shift;
    const int32_t o_sign = params->other_sign;
    const int32_t out_mult = params->output_multiplier, out_round = params->output_round;
    const uint32_t out_shift = (uint32_t)params->output_shift;
    int32_t n;
    for (n = size; n > 0; --n) {
        const int32_t u = o_off + (int32_t)((uint32_t)(int32_t)*xo++ << 21);
        const int32_t v = tg_smmlar(u, o_mult, o_round + ((u >> 31) & o_mask)) >> o_shift;
        int32_t raw;
        if (sub) {
            raw = e_off + (int32_t)*xe++ * e_scale + o_sign * v;
        } else {
            raw = e_off + (int32_t)((uint32_t)(int32_t)*xe++ << 19) + v;
        }
        *out++ = (int8_t)tg_ssat8(tg_smmlar((int32_t)((uint32_t)raw << 1), out_mult, out_round + (raw >> 31)) >> out_shift);
    }
}

TG_ADDF_FUNC tg_status tg_add_fast_s8(const tg_add_fast_params *params, int32_t size,
                                      const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t i;

    if (size < 0 || (params->exact_input != 1 && params->exact_input != 2) || lo > hi || lo < -128 || hi > 127 ||
        (uint32_t)params->other_shift > 31u || (uint32_t)params->output_shift > 31u) {
        return TG_ERR_ARG;
    }
    if (params->exact_scale == (1 << 19) && params->other_sign == 1) {
        tg_addf_loop(params, size, params->exact_input == 1 ? input1 : input2,
                     params->exact_input == 1 ? input2 : input1, output, 0);
    } else {
        tg_addf_loop(params, size, params->exact_input == 1 ? input1 : input2,
                     params->exact_input == 1 ? input2 : input1, output, 1);
    }
    if (lo > -128 || hi < 127) {
        /* a narrower activation range: a second pass over the output only (element i was written
         * after input element i was read, so this pass reads nothing of the inputs) */
        for (i = 0; i < size; ++i) {
            output[i] = (int8_t)tg_clamp(output[i], lo, hi);
        }
    }
    return TG_OK;
}

int32_t tg_add_fast_s8_get_buffer_size(int32_t size)
{
    (void)size;
    return 0;
}
