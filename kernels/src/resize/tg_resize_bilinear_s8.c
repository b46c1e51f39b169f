/*
 * tg_resize_bilinear_s8.c - int8 bilinear resizing in 1/1024 fixed point (portable C), as
 * TFLite Micro's ResizeBilinearInteger computes it (double rounding build: halves away from zero).
 */
#include "tg_nn.h"
#include "../tg_internal.h"

tg_status tg_resize_bilinear_s8(const tg_resize_bilinear_params *params,
                                const tg_dims *input_dims, const int8_t *input,
                                const tg_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    int32_t b, y, x, c;

    if (input_dims->n != output_dims->n || output_dims->c != ch || params->y_table == NULL ||
        params->x_table == NULL) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (int32_t)b * in_h * in_w * ch;
        for (y = 0; y < out_h; ++y) {
            const int32_t *ty = params->y_table + 3 * y;
            const int8_t *row0 = in_b + ty[0] * in_w * ch;
            const int8_t *row1 = in_b + ty[1] * in_w * ch;
            const int32_t wy1 = ty[2];
            const int32_t wy0 = 1024 - wy1;
            for (x = 0; x < out_w; ++x) {
                const int32_t *tx = params->x_table + 3 * x;
                const int32_t wx1 = tx[2];
                const int32_t wx0 = 1024 - wx1;
                /* the four weights: |w| <= 1536 * 1536 and they sum to 2^20, so the sums fit int32 */
                const int32_t w00 = wy0 * wx0, w10 = wy1 * wx0, w01 = wy0 * wx1, w11 = wy1 * wx1;
                const int8_t *p00 = row0 + tx[0] * ch, *p01 = row0 + tx[1] * ch;
                const int8_t *p10 = row1 + tx[0] * ch, *p11 = row1 + tx[1] * ch;
                for (c = 0; c < ch; ++c) {
                    const int32_t v = p00[c] * w00 + p10[c] * w10 + p01[c] * w01 + p11[c] * w11;
                    const int32_t round = v > 0 ? (1 << 19) : -(1 << 19);
                    *output++ = (int8_t)((v + round) / (1 << 20));
                }
            }
        }
    }
    return TG_OK;
}
