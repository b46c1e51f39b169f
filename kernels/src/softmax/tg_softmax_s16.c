/*
 * tg_softmax_s16.c - int16 softmax over the innermost dimension (TFLite Micro's SoftmaxInt16): the
 * differences to the row maximum rescaled to [-65535, 0] ~ [-10, 0], exp() from a 513-entry
 * table with linear interpolation, the sum's reciprocal from a 1 / (1 + x) table, output on scale
 * 1/32768. The tables are constants computed by the compiler (tinygen/ops/softmax.py).
 */
#include "tg_nn.h"
#include "../tg_internal.h"

/* TFLite's LUTLookup: entry (256 + value >> 7) and the next, interpolated on the low 7 bits. */
static int16_t lookup(int16_t value, const int16_t *lut)
{
    const int32_t index = 256 + (value >> 7);
    const int32_t offset = value & 0x7F;
    const int32_t base = lut[index], slope = lut[index + 1] - lut[index];
    return (int16_t)(base + ((slope * offset + 64) >> 7));
}

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        ++n;
    }
    return n;
}

tg_status tg_softmax_s16(const tg_softmax_s16_params *params, int32_t rows, int32_t depth,
                         const int16_t *input, int16_t *output)
{
    int32_t r, c;
    if (rows < 0 || depth < 1) {
        return TG_ERR_ARG;
    }
    for (r = 0; r < rows; ++r, input += depth, output += depth) {
        int32_t max = -32768, sum = 0, headroom, shifted, sym, right, recip;
        for (c = 0; c < depth; ++c) {
            max = input[c] > max ? input[c] : max;
        }
        for (c = 0; c < depth; ++c) {  /* exp of each difference, kept in the output row */
            const int32_t scaled = tg_requantize(input[c] - max, params->input_multiplier, params->input_left_shift);
            output[c] = lookup((int16_t)tg_clamp(scaled + 32767, -32768, 32767), params->exp_lut);
            sum += output[c];
        }
        headroom = count_leading_zeros((uint32_t)sum);
        shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
        sym = tg_clamp(shifted - ((1 << 15) + (1 << 16)), -32768, 32767);
        recip = lookup((int16_t)sym, params->one_over_one_plus_x_lut);
        right = 31 - headroom;
        for (c = 0; c < depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)output[c] * recip + ((int64_t)1 << (right - 1))) >> right);
            output[c] = (int16_t)tg_clamp(v, 0, 32767);
        }
    }
    return TG_OK;
}
