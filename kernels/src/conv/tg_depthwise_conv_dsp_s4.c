/*
 * tg_depthwise_conv_dsp_s4.c - DEPTHWISE_CONV_2D (depth multiplier 1) with int8 activations and
 * packed int4 weights for cores with the DSP extension: four channels at a time, two taps per
 * weight word unpacked in registers (tg_lowbit_dsp.h), SMLABB/SMLATT against the input widened by
 * SXTB16. Padded taps read the input zero point from a pixel of padding in the scratch (the input
 * offset is folded into the bias). See tg_nn_precision.h for the layout.
 */
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

int32_t tg_depthwise_conv_dsp_s4_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                 const tg_dims *output_dims)
{
    (void)params;
    (void)output_dims;
    return (input_dims->c + 3) & ~3;
}

tg_status tg_depthwise_conv_dsp_s4(const tg_context *ctx, const tg_dw_lb_params *params,
                                   const tg_dims *input_dims, const int8_t *input,
                                   const int32_t *packed,
                                   const tg_dims *output_dims, int8_t *output)
{
    const int8_t *taps[TG_LB_DW_MAX_TAPS];
    const int32_t in_h = input_dims->h, in_w = input_dims->w, c = input_dims->c;
    const int32_t k_h = params->filter.h, k_w = params->filter.w, t = k_h * k_w, pairs = (t + 1) / 2;
    const int32_t group_words = pairs + 9, zp = params->output_offset;
    int8_t *pad;
    int32_t n, oy, ox, i;

    if (c % 4 != 0 || output_dims->c != c || input_dims->n != output_dims->n || t < 1 || t > TG_LB_DW_MAX_TAPS ||
        params->stride.h < 1 || params->stride.w < 1) {
        return TG_ERR_ARG;
    }
    if (ctx == NULL || ctx->buf == NULL || ctx->size < c) {
        return TG_ERR_BUFFER;
    }
    pad = (int8_t *)ctx->buf;
    for (i = 0; i < c; ++i) {
        pad[i] = (int8_t)params->pad_value;
    }
    taps[t & (TG_LB_DW_MAX_TAPS - 1)] = pad;  /* the zero-weight tap of an odd count */
    for (n = 0; n < input_dims->n; ++n) {
        const int8_t *img = input + n * in_h * in_w * c;
        for (oy = 0; oy < output_dims->h; ++oy) {
            const int32_t y0 = oy * params->stride.h - params->padding.h;
            for (ox = 0; ox < output_dims->w; ++ox) {
                const int32_t x0 = ox * params->stride.w - params->padding.w;
                const int32_t *gp = packed;
                int32_t ky, kx, g;
                for (ky = 0, i = 0; ky < k_h; ++ky) {
                    const int32_t y = y0 + ky * params->dilation.h;
                    for (kx = 0; kx < k_w; ++kx, ++i) {
                        const int32_t x = x0 + kx * params->dilation.w;
                        taps[i] = (y >= 0 && y < in_h && x >= 0 && x < in_w) ? img + (y * in_w + x) * c : pad;
                    }
                }
                for (g = 0; g < c; g += 4, gp += group_words, output += 4) {
                    const int32_t *q = gp + pairs;
                    int32_t a0 = q[0], a1 = q[1], a2 = q[2], a3 = q[3];
                    const int8_t *const *tp = taps;
                    int32_t k;
                    for (k = 0; k < pairs; ++k, tp += 2) {
                        const uint32_t w = (uint32_t)gp[k];
                        const uint32_t e = TG_LB_NIBBLE_MASK & (w << 4), o = TG_LB_NIBBLE_MASK & w;
                        const uint32_t xa = tg_read_s8x4(tp[0] + g), xb = tg_read_s8x4(tp[1] + g);
                        uint32_t wv = tg_sxtb16(e), xv = tg_sxtb16(xa);
                        a0 = tg_smlabb(wv, xv, a0);
                        a2 = tg_smlatt(wv, xv, a2);
                        wv = tg_sxtb16_ror8(e);
                        xv = tg_sxtb16_ror8(xa);
                        a1 = tg_smlabb(wv, xv, a1);
                        a3 = tg_smlatt(wv, xv, a3);
                        wv = tg_sxtb16(o);
                        xv = tg_sxtb16(xb);
                        a0 = tg_smlabb(wv, xv, a0);
                        a2 = tg_smlatt(wv, xv, a2);
                        wv = tg_sxtb16_ror8(o);
                        xv = tg_sxtb16_ror8(xb);
                        a1 = tg_smlabb(wv, xv, a1);
                        a3 = tg_smlatt(wv, xv, a3);
                    }
                    {
                        const uint32_t shifts = (uint32_t)q[8];
                        const int32_t acc[4] = {a0, a1, a2, a3};
                        for (k = 0; k < 4; ++k) {
                            const int32_t s = (int32_t)((shifts >> (8 * k)) & 0xFFu);
                            output[k] = (int8_t)tg_lb_clamp(tg_lb_requant_s8(acc[k], q[4 + k], tg_lb_round(s, zp), s),
                                                            params->activation.min, params->activation.max);
                        }
                    }
                }
            }
        }
    }
    return TG_OK;
}
