/*
 * tg_depthwise_conv_inplace_s8.c - int8 depthwise 2-D convolution (depth multiplier 1) whose
 * output overwrites its input (portable C).
 *
 * Channel by channel: output channel c only reads input channel c, so its results can go to the
 * slots of channel c once the input values they replace are no longer needed.
 *   - General case: the whole output channel is computed into the scratch buffer (OH * OW bytes),
 *     then copied over channel c. Each write lands on a channel-c slot of the current or an earlier
 *     batch, whose input has already been consumed.
 *   - Same height and width, vertical stride 1 (the usual 3x3 SAME depthwise layer): output row r
 *     is computed into a ring of (padding.h + 1) rows; input row i is last read by output row
 *     i + padding.h, so after computing row r, row r - padding.h goes back over input row
 *     r - padding.h. Scratch: (padding.h + 1) * OW bytes.
 */
#include "tg_nn.h"
#include "tg_dw_internal.h"

tg_status tg_depthwise_conv_inplace_s8(const tg_context *ctx, const tg_dw_conv_params *params,
                                       const tg_pc_quant *quant,
                                       const tg_dims *input_dims, int8_t *data,
                                       const tg_dims *filter_dims, const int8_t *filter,
                                       const int32_t *bias,
                                       const tg_dims *output_dims)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t k_h = filter_dims->h, k_w = filter_dims->w;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t out_pixels = out_h * out_w;
    /* row-rolling scheme: same height and width, vertical stride 1 (see the file comment) */
    const int rolling = out_h == in_h && out_w == in_w && params->stride.h == 1 && params->padding.h >= 0;
    int8_t *tmp;
    int32_t b, c, oy, ox, p;

    if (params->ch_mult != 1 || output_dims->c != ch || filter_dims->c != ch || filter_dims->n != 1 ||
        input_dims->n != output_dims->n || out_h > in_h || out_w > in_w) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || (out_pixels > 0 && (ctx->buf == NULL ||
                        ctx->size < tg_depthwise_conv_inplace_s8_get_buffer_size(params, input_dims, output_dims)))) {
        return TG_ERR_BUFFER;
    }
    tmp = (int8_t *)ctx->buf;
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = data + (int32_t)b * in_h * in_w * ch;
        int8_t *out_b = data + (int32_t)b * out_pixels * ch;
        for (c = 0; c < ch; ++c) {
            int32_t row_ring = out_h; /* rows of output kept in the scratch buffer */
            if (rolling) {
                row_ring = TG_MIN(params->padding.h + 1, out_h);
            }
            for (oy = 0; oy < out_h; ++oy) {
                const int32_t y0 = oy * params->stride.h - params->padding.h;
                int8_t *dst = tmp + (oy % row_ring) * out_w;
                for (ox = 0; ox < out_w; ++ox) {
                    const int32_t x0 = ox * params->stride.w - params->padding.w;
                    *dst++ = tg_dw_value(params, quant, in_b, in_h, in_w, ch, c, filter, k_h, k_w, ch, c, bias, y0, x0);
                }
                if (rolling && oy - params->padding.h >= 0) {
                    /* input row oy - padding.h has been read for the last time */
                    const int32_t r = oy - params->padding.h;
                    const int8_t *src = tmp + (r % row_ring) * out_w;
                    for (ox = 0; ox < out_w; ++ox) {
                        out_b[((int32_t)r * out_w + ox) * ch + c] = src[ox];
                    }
                }
            }
            if (rolling) {
                int32_t r;
                for (r = TG_MAX(0, out_h - params->padding.h); r < out_h; ++r) {
                    const int8_t *src = tmp + (r % row_ring) * out_w;
                    for (ox = 0; ox < out_w; ++ox) {
                        out_b[((int32_t)r * out_w + ox) * ch + c] = src[ox];
                    }
                }
            } else {
                for (p = 0; p < out_pixels; ++p) {
                    out_b[p * ch + c] = tmp[p];
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_depthwise_conv_inplace_s8_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                                     const tg_dims *output_dims)
{
    if (output_dims->h == input_dims->h && output_dims->w == input_dims->w && params->stride.h == 1 &&
        params->padding.h >= 0) {
        return TG_MIN(params->padding.h + 1, output_dims->h) * output_dims->w;
    }
    return output_dims->h * output_dims->w;
}
