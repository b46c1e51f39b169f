/*
 * tg_avgpool_fast_s8.c - int8 average pooling, 4 channels at a time (see tg_pool_fast.h), with the
 * rounding division by the element count done by a multiplication.
 */
#include "tg_nn.h"
#include "tg_pool_fast.h"

/* round(s / n), halves away from zero, as tg_avgpool_s8: sign(s) * floor((|s| + n / 2) / n).
 * With a = |s| + n / 2 < 2^15 (windows of at most 255 elements: |s| <= 128 n) and
 * k = 15 + ceil(log2 n), floor(a / n) = (a * recip) >> k for recip = ceil(2^k / n): the error
 * recip * n - 2^k < n times a stays below 2^k. recip == 0 means "divide". */
TG_INLINE int32_t tg_avgf_round(int32_t s, int32_t n, int32_t half, uint32_t recip, int32_t k)
{
    const uint32_t a = (uint32_t)(s < 0 ? -s : s) + (uint32_t)half;
    const uint32_t q = recip != 0u ? (a * recip) >> k : a / (uint32_t)n;
    return s < 0 ? -(int32_t)q : (int32_t)q;
}

/* The 4 averages of a group to out[0..3], clamped when clamp is set. */
TG_INLINE void tg_avgf_store4(const int32_t sum[4], int32_t n, int32_t half, uint32_t recip, int32_t k, int clamp,
                              int32_t lo, int32_t hi, int8_t *out)
{
    int32_t v0 = tg_avgf_round(sum[0], n, half, recip, k);
    int32_t v1 = tg_avgf_round(sum[1], n, half, recip, k);
    int32_t v2 = tg_avgf_round(sum[2], n, half, recip, k);
    int32_t v3 = tg_avgf_round(sum[3], n, half, recip, k);
    if (clamp) {
        v0 = tg_clamp(v0, lo, hi);
        v1 = tg_clamp(v1, lo, hi);
        v2 = tg_clamp(v2, lo, hi);
        v3 = tg_clamp(v3, lo, hi);
    }
    out[0] = (int8_t)v0;
    out[1] = (int8_t)v1;
    out[2] = (int8_t)v2;
    out[3] = (int8_t)v3;
}

tg_status tg_avgpool_fast_s8(const tg_pool_params *params,
                             const tg_dims *input_dims, const int8_t *input,
                             const tg_dims *output_dims, int8_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w;
    const int32_t full = ch / 4, rem = ch % 4;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    const int clamp = lo > -128 || hi < 127; /* an average of int8 values is in [-128, 127] anyway */
    int32_t b, oy, ox, g, j;
    int32_t sum[4];

    if (input_dims->n != output_dims->n || output_dims->c != ch || params->filter.h <= 0 || params->filter.w <= 0) {
        return TG_ERR_ARG;
    }
    for (b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + b * in_h * in_w * ch;
        for (oy = 0; oy < out_h; ++oy) {
            const int32_t yw = oy * params->stride.h - params->padding.h;
            const int32_t y0 = TG_MAX(0, yw), y1 = TG_MIN(in_h, yw + params->filter.h);
            for (ox = 0; ox < out_w; ++ox) {
                const int32_t xw = ox * params->stride.w - params->padding.w;
                const int32_t x0 = TG_MAX(0, xw), x1 = TG_MIN(in_w, xw + params->filter.w);
                const int32_t n = (y1 - y0) * (x1 - x0);
                uint32_t recip = 0u;
                int32_t k = 0;
                if (y1 <= y0 || x1 <= x0) {
                    return TG_ERR_ARG; /* a window entirely in the padding */
                }
                if (n <= 255) {
                    /* once per output pixel: k = 15 + ceil(log2 n), recip = ceil(2^k / n) */
                    for (k = 15; ((int32_t)1 << (k - 15)) < n; ++k) {
                    }
                    recip = (((uint32_t)1 << k) + (uint32_t)n - 1u) / (uint32_t)n;
                }
                for (g = 0; g < full; ++g, output += 4) {
                    if (n <= TG_POOLF_LANE_PIXELS) {
                        tg_poolf_sum4_small(in_b + 4 * g, in_w, ch, y0, y1, x0, x1, sum);
                    } else {
                        tg_poolf_sum4(in_b + 4 * g, in_w, ch, y0, y1, x0, x1, sum);
                    }
                    tg_avgf_store4(sum, n, n / 2, recip, k, clamp, lo, hi, output);
                }
                if (rem != 0) {
                    tg_poolf_sum_tail(in_b + 4 * full, in_w, ch, y0, y1, x0, x1, rem, sum);
                    for (j = 0; j < rem; ++j) {
                        output[j] = (int8_t)tg_clamp(tg_avgf_round(sum[j], n, n / 2, recip, k), lo, hi);
                    }
                    output += rem;
                }
            }
        }
    }
    return TG_OK;
}

int32_t tg_avgpool_fast_s8_get_buffer_size(const tg_dims *input_dims, const tg_dims *output_dims)
{
    (void)input_dims;
    (void)output_dims;
    return 0;
}
