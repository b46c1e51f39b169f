/*
 * tg_fully_connected_dsp_s8.c - int8 fully connected layer for cores with the DSP extension: six
 * output features per pass over the input row (then two for the remaining rows), SMLAD on
 * SXTB16-unpacked pairs (the loops of tg_fast.h), offsets folded into the bias at compile time,
 * the fast exact requantization of tg_fast.h. See tg_nn.h for the weight layout.
 */
#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"
#include "../tg_fast.h"

int32_t tg_fully_connected_dsp_s8_get_buffer_size(const tg_fc_fast_params *params)
{
    (void)params;
    return 0;
}

/* Rows r and r + 1 (n = 1 or 2) of one batch row, the general case: any depth (the last depth % 4
 * values come from tail, zero-padded); w: the pair's weights in the pair layout. */
TG_NOINLINE static void fc_pair(const tg_fc_fast_params *p, const int8_t *input, const int8_t *tail,
                                const uint32_t *w, const int32_t *bias, const int32_t *q, int32_t qstep,
                                int32_t sx, int32_t n, int8_t *y)
{
    const int32_t groups = ((p->in_features + 7) & ~7) / 4, full = p->in_features / 4;
    const int8_t *x = input;
    int32_t a0 = bias[0] + sx, a1 = bias[1] + sx;
    int32_t k;
    for (k = 0; k < 2; ++k) {  /* the row's full groups, then the zero-padded tail (if any) */
        tg_fast_mac1x2(&x, &w, k == 0 ? full : (p->in_features & 3) != 0 ? groups - full : 0, &a0, &a1);
        x = tail;
    }
    tg_fast_store4(y, n, a0, a1, 0, 0, q, q + (n > 1) * qstep, q, q, p->activation.min, p->activation.max);
}

/* Clamp n outputs to an activation range narrower than int8. */
TG_NOINLINE static void clamp_outputs(int8_t *y, int32_t n, int32_t lo, int32_t hi)
{
    for (; n > 0; --n, ++y) {
        *y = (int8_t)tg_fast_clamp(*y, lo, hi);
    }
}

tg_status tg_fully_connected_dsp_s8(const tg_fc_fast_params *params, const int8_t *input,
                                    const int32_t *weights, const int32_t *channels, int8_t *output)
{
    const int32_t depth = params->in_features, rows = params->out_features;
    const int32_t groups = ((depth + 7) & ~7) / 4;  /* per row, in the weights */
    const int32_t padded = (rows + 1) & ~1;
    const int32_t *const quant = channels + padded;
    const int32_t qstep = params->per_channel ? 3 : 0;
    const int32_t head = 6 * params->blocks6;       /* rows in blocks of six */
    int32_t b, r, k;
    int8_t tail[8];

    if (params->batches < 0 || depth <= 0 || rows <= 0 || head < 0 || head > rows ||
        (head > 0 && (depth & 3) != 0)) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < params->batches; ++b, input += depth) {
        const int32_t sx = params->filter_offset != 0 ? params->filter_offset * tg_fast_sum_s8(input, depth) : 0;
        const uint32_t *rest = (const uint32_t *)weights + (int32_t)head * groups;  /* the pair layout */
        const int32_t *q = quant + head * qstep;
        if ((depth & 3) != 0) {
            for (k = 0; k < 8; ++k) {
                tail[k] = 4 * (depth / 4) + k < depth ? input[4 * (depth / 4) + k] : 0;
            }
        }
        if (head > 0) {
            tg_fast_rows6_state st;
            st.wp = (const uint32_t *)weights;
            st.x = input;
            st.groups = depth / 4;
            st.skip = 24 * (groups - depth / 4);
            st.bias = channels;
            st.q = quant;
            st.qstep = 4 * qstep;
            st.y = output;
            st.bias_end = channels + head;
            st.sx = sx;
            tg_fast_rows6(&st);
            if (params->activation.min != -128 || params->activation.max != 127) {
                clamp_outputs(output, head, params->activation.min, params->activation.max);
            }
        }
        output += head;
        for (r = head; r < rows; r += 2, q += 2 * qstep) {
            const int32_t n = rows - r < 2 ? rows - r : 2;
            fc_pair(params, input, tail, rest + (int32_t)(r - head) * groups, channels + r, q, qstep, sx, n, output);
            output += n;
        }
    }
    return TG_OK;
}
