/*
 * tg_unidirectional_sequence_lstm_s8.c - int8 LSTM over every time step (portable C), TFLite
 * Micro's 8x8->16 integer reference bit for bit.
 *
 * TFLite Micro computes each gate for the whole state vector into scratch buffers, then the cell
 * update, then the hidden state. Every step of that is elementwise in the state index j (the
 * gates' matrix products read the input and the *previous* hidden state only), so this kernel
 * computes the four gates, the new cell value and the new hidden value of one j at a time; only
 * the new hidden state needs a buffer, since the gates of later j still read the previous one.
 * Batches are independent and run one after the other whatever the layout (time_major).
 */
#include <string.h>

#include "tg_nn.h"
#include "../tg_internal.h"
#include "tg_lstm_act.h"

/* tanh of the Q3.12 gate sums: tanh(x) = 2 sigmoid(2x) - 1, table coordinate 3x */
#define TG_GATE_TANH_MULTIPLIER 3

static inline int32_t tg_sat16(int32_t x)
{
    return tg_clamp(x, INT16_MIN, INT16_MAX);
}

/* The gate's sum before its activation: clamp16(requant(input FC + bias)) +
 * clamp16(requant(recurrent FC)), saturated to int16 (Q3.12). */
static int16_t tg_lstm_gate_sum(const tg_lstm_gate *g, const tg_lstm_params *p, int32_t j,
                                const int8_t *x, const int8_t *h)
{
    const int8_t *wi = g->input_weights + j * p->input_size;
    const int8_t *wr = g->recurrent_weights + j * p->state_size;
    uint32_t acc = (uint32_t)g->bias[j];
    int32_t k, a, b;
    for (k = 0; k < p->input_size; ++k) {
        acc += (uint32_t)((int32_t)wi[k] + g->input_weights_offset) * (uint32_t)((int32_t)x[k] + p->input_offset);
    }
    a = tg_sat16(tg_requantize((int32_t)acc, g->input_fc.multiplier, g->input_fc.shift));
    acc = 0;
    for (k = 0; k < p->state_size; ++k) {
        acc += (uint32_t)((int32_t)wr[k] + g->recurrent_weights_offset) * (uint32_t)((int32_t)h[k] + p->hidden_offset);
    }
    b = tg_sat16(tg_requantize((int32_t)acc, g->recurrent_fc.multiplier, g->recurrent_fc.shift));
    return (int16_t)tg_sat16(a + b);
}

int32_t tg_unidirectional_sequence_lstm_s8_get_buffer_size(int32_t state_size)
{
    return state_size > 0 ? state_size : 0;
}

tg_status tg_unidirectional_sequence_lstm_s8(const tg_context *ctx, const tg_lstm_params *params,
                                             const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                                             int8_t *output)
{
    const tg_lstm_params *p = params;
    const int32_t S = p->state_size;
    int8_t *new_h;
    int32_t b, t, j;

    if (p->batches < 0 || p->time_steps < 0 || p->input_size < 0 || S < 0) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || ctx->buf == NULL || ctx->size < tg_unidirectional_sequence_lstm_s8_get_buffer_size(S)) {
        return S > 0 ? TG_ERR_BUFFER : TG_OK;
    }
    new_h = (int8_t *)ctx->buf;
    for (b = 0; b < p->batches; ++b) {
        int8_t *h = hidden_state + b * S;
        int16_t *c = cell_state + b * S;
        for (t = 0; t < p->time_steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->time_steps + t;
            const int8_t *x = input + row * p->input_size;
            for (j = 0; j < S; ++j) {
                const int16_t f = tg_sigmoid_q12(tg_lstm_gate_sum(&p->forget_gate, p, j, x, h));
                const int16_t i = tg_sigmoid_q12(tg_lstm_gate_sum(&p->input_gate, p, j, x, h));
                const int16_t g = tg_tanh_q15(tg_lstm_gate_sum(&p->cell_gate, p, j, x, h), TG_GATE_TANH_MULTIPLIER, 0);
                const int16_t o = tg_sigmoid_q12(tg_lstm_gate_sum(&p->output_gate, p, j, x, h));
                const int32_t fc = tg_sat16(tg_requantize((int32_t)f * c[j], p->forget_mul.multiplier,
                                                          p->forget_mul.shift));
                const int32_t ig = tg_sat16(tg_requantize((int32_t)i * g, p->input_mul.multiplier,
                                                          p->input_mul.shift));
                int32_t cell = tg_sat16(fc + ig);
                int32_t v;
                if (p->cell_clip >= 0) {
                    cell = tg_clamp(cell, -p->cell_clip, p->cell_clip);
                }
                c[j] = (int16_t)cell;
                v = tg_requantize((int32_t)tg_tanh_q15((int16_t)cell, p->cell_tanh_multiplier, p->cell_tanh_shift) * o,
                                  p->hidden_mul.multiplier, p->hidden_mul.shift);
                new_h[j] = (int8_t)tg_clamp(v + p->hidden_zero_point, INT8_MIN, INT8_MAX);
            }
            memcpy(h, new_h, (size_t)S);
            memcpy(output + row * S, new_h, (size_t)S);
        }
    }
    return TG_OK;
}
