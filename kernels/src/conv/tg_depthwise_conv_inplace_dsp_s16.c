/*
 * tg_depthwise_conv_inplace_dsp_s16.c - tg_depthwise_conv_dsp_s16 with the output written over its
 * input. Output pixel q (raster order, q * C elements into `data`) replaces input pixel q, which
 * can be overwritten once the last output pixel whose window reads it has been computed. Computed
 * pixels wait in a ring of R pixels (R = the largest such delay + 1, over the layer) and go back in
 * order as soon as their slot's input is dead. One image (N = 1), dilation 1, OH <= H, OW <= W.
 */
#include <string.h>
#include "tg_nn.h"
#include "tg_lowbit_dw16.h"

/* The last output pixel (raster index) whose window reads input pixel p, or -1 if none does. */
static int32_t last_reader(const tg_dw_lb_params *params, const tg_dims *input_dims, const tg_dims *output_dims,
                           int32_t p)
{
    const int32_t i = p / input_dims->w, j = p - i * input_dims->w;
    int32_t r = (i + params->padding.h) / params->stride.h, c = (j + params->padding.w) / params->stride.w;
    if (i + params->padding.h < 0 || j + params->padding.w < 0) {
        return -1;
    }
    r = r < output_dims->h - 1 ? r : output_dims->h - 1;
    c = c < output_dims->w - 1 ? c : output_dims->w - 1;
    if (r * params->stride.h - params->padding.h + params->filter.h <= i ||
        c * params->stride.w - params->padding.w + params->filter.w <= j) {
        return -1;  /* between windows (a stride larger than the filter) */
    }
    return r * output_dims->w + c;
}

/* Ring slots: pixels go back in order, pixel q at step max(q, the last readers of input pixels
 * 0..q), so the ring holds the largest difference between that step and q, plus one. */
static int32_t ring_pixels(const tg_dw_lb_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    const int32_t total = output_dims->h * output_dims->w;
    int32_t q, most = 0, flush = -1;
    for (q = 0; q < total; ++q) {
        const int32_t l = last_reader(params, input_dims, output_dims, q);
        flush = l > flush ? l : flush;
        most = flush - q > most ? flush - q : most;
    }
    return most + 1;
}

static int bad_inplace(const tg_dw_lb_params *params, const tg_dims *input_dims, const tg_dims *output_dims)
{
    return tg_dw16_bad(params, input_dims, output_dims) || input_dims->n != 1 || params->dilation.h != 1 ||
           params->dilation.w != 1 || params->padding.h < 0 || params->padding.w < 0 ||
           output_dims->h > input_dims->h || output_dims->w > input_dims->w;
}

int32_t tg_depthwise_conv_inplace_dsp_s16_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                          const tg_dims *output_dims)
{
    if (bad_inplace(params, input_dims, output_dims)) {
        return 0;
    }
    return ring_pixels(params, input_dims, output_dims) * input_dims->c * (int32_t)sizeof(int16_t);
}

tg_status tg_depthwise_conv_inplace_dsp_s16(const tg_context *ctx, const tg_dw_lb_params *params,
                                            const tg_dims *input_dims, int16_t *data,
                                            const int32_t *packed,
                                            const tg_dims *output_dims)
{
    const int32_t c = input_dims->c, total = output_dims->h * output_dims->w;
    const size_t pixel_bytes = (size_t)c * sizeof(int16_t);
    int32_t ring, q, next = 0;
    int16_t *slots;

    if (bad_inplace(params, input_dims, output_dims)) {
        return TG_ERR_ARG;
    }
    ring = ring_pixels(params, input_dims, output_dims);
    if (ctx == NULL || ctx->buf == NULL || ((uintptr_t)ctx->buf & 3u) != 0 || ctx->size < ring * (int32_t)pixel_bytes) {
        return TG_ERR_BUFFER;
    }
    slots = (int16_t *)ctx->buf;
    for (q = 0; q < total; ++q) {
        const int32_t oy = q / output_dims->w, ox = q - oy * output_dims->w;
        tg_dw16_pixel(params, input_dims, data, packed, oy, ox, slots + (q % ring) * c);
        /* back over the input: every computed pixel whose input pixel no later output reads */
        while (next <= q && last_reader(params, input_dims, output_dims, next) <= q) {
            memcpy(data + next * c, slots + (next % ring) * c, pixel_bytes);
            ++next;
        }
    }
    for (; next < total; ++next) {
        memcpy(data + next * c, slots + (next % ring) * c, pixel_bytes);
    }
    return TG_OK;
}
