/*
 * tg_lstm_act.h - TFLite Micro's int16 sigmoid and tanh (table interpolation), as its int8 LSTM
 * applies them (not part of the public API).
 *
 * Both read the input as a coordinate in tg_sigmoid_lut (sigmoid(k / 24) in Q0.16): 9 fractional
 * bits for sigmoid, 8 for tanh (tanh(x) = 2 sigmoid(2x) - 1), interpolate linearly between two
 * entries and saturate past the table's end.
 */
#ifndef TG_LSTM_ACT_H
#define TG_LSTM_ACT_H

#include <stdint.h>
#include "tg_sigmoid_lut.h"

/* sigmoid of a Q3.12 value, Q0.15 result (input scaled by 3: the table spans [-10.7, 10.7]) */
static inline int16_t tg_sigmoid_q12(int16_t x)
{
    const int32_t in = (int32_t)x * 3;
    const uint32_t a = (uint32_t)(in < 0 ? -in : in);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255u) {
        r = (uint32_t)0x7FFF << 10;
    } else {
        const uint32_t ua = tg_sigmoid_lut[uh];
        const uint32_t ub = tg_sigmoid_lut[uh + 1u];
        r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    }
    r = in >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* tanh of (x * multiplier + round) >> shift read with 8 fractional table bits, Q0.15 result */
static inline int16_t tg_tanh_q15(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const int32_t in = ((int32_t)x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(in < 0 ? -in : in);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = (int32_t)0xFFFF << 8;
    } else {
        const uint32_t ua = tg_sigmoid_lut[uh];
        const uint32_t ub = tg_sigmoid_lut[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = in >= 0 ? r - ((int32_t)1 << 23) + ((int32_t)1 << 7) : -r + ((int32_t)1 << 23) + ((int32_t)1 << 7) - 1;
    return (int16_t)(r >> 8);
}

#endif /* TG_LSTM_ACT_H */
