/*
 * tg_mul_fast_s8.c - int8 MUL of same-shaped tensors with the requantization as one SMMLAR (see
 * tg_mul_fast_params in tg_nn.h; constants from tinygen/fast/elementwise.py).
 *
 * TFLite Micro: out = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(p * 2^l, M), n) + off
 * with l = max(shift, 0), n = max(-shift, 0). SaturatingRoundingDoublingHighMul(a, M) =
 * floor((2 a M + 2^31) / 2^32) = SMMLAR(2 a, M, 0) (never saturating: M < 2^31), and for n >= 1
 * RoundingDivideByPOT(v, n) = (v + 2^(n-1) - [v < 0]) >> n, where [p < 0] may replace [v < 0]
 * (they differ only when v = 0, which both map to 0). So out = SMMLAR(p << (l + 1), M,
 * round + (sign(p) & sign_mask)) >> n, with round and sign_mask from the compiler.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
__attribute__((optimize("no-schedule-insns")))
#endif
tg_status tg_mul_fast_s8(const tg_mul_fast_params *params, int32_t size,
                         const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const int32_t off1 = params->input1_offset, off2 = params->input2_offset, mult = params->multiplier;
    const int32_t round = params->round, mask = params->sign_mask;
    const uint32_t lsh = (uint32_t)params->left_shift, n = (uint32_t)params->shift;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    int32_t i;

    if (size < 0 || lsh < 1u || lsh > 14u || n > 31u || lo > hi || lo < -128 || hi > 127) {
        return TG_ERR_ARG;
    }
    for (i = size; i > 0; --i) {
        const int32_t prod = (*input1++ + off1) * (*input2++ + off2);
        const int32_t t = (int32_t)((uint32_t)prod << lsh);
        *output++ = (int8_t)tg_ssat8(tg_smmlar(t, mult, round + ((prod >> 31) & mask)) >> n);
    }
    if (lo > -128 || hi < 127) {
        /* a narrower activation range: a second pass over the output only */
        output -= size;
        for (i = 0; i < size; ++i) {
            output[i] = (int8_t)tg_clamp(output[i], lo, hi);
        }
    }
    return TG_OK;
}

int32_t tg_mul_fast_s8_get_buffer_size(int32_t size)
{
    (void)size;
    return 0;
}
