/*
 * tg_lowbit_conv.h - window gathering of the DSP convolutions with int4 weights and 16x8
 * (tg_conv_dsp_s4.c, tg_conv_dsp_s16.c; not part of the public API).
 */
#ifndef TG_LOWBIT_CONV_H
#define TG_LOWBIT_CONV_H

#include <string.h>
#include "tg_nn.h"
#include "../tg_lowbit_dsp.h"

/* The geometry of a convolution: output pixel p (raster order over images, rows, columns). */
typedef struct {
    const tg_conv_lb_params *p;
    int32_t in_h, in_w, in_c, in_image;  /* in_image: elements per input image */
    int32_t out_h, out_w, out_c;
    int32_t k;                           /* KH * KW * C_in */
} tg_lb_geom;

static inline void tg_lb_geom_init(tg_lb_geom *g, const tg_conv_lb_params *params, const tg_dims *input_dims,
                                   const tg_dims *output_dims)
{
    g->p = params;
    g->in_h = input_dims->h;
    g->in_w = input_dims->w;
    g->in_c = input_dims->c;
    g->in_image = input_dims->h * input_dims->w * input_dims->c;
    g->out_h = output_dims->h;
    g->out_w = output_dims->w;
    g->out_c = output_dims->c;
    g->k = params->filter.h * params->filter.w * input_dims->c;
}

static inline int tg_lb_geom_bad(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                 const tg_dims *output_dims)
{
    return input_dims->n != output_dims->n || params->filter.h < 1 || params->filter.w < 1 || input_dims->c < 1 ||
           output_dims->c < 1 || params->stride.h < 1 || params->stride.w < 1 || params->dilation.h < 1 ||
           params->dilation.w < 1;
}

/* Image index and top-left tap (y0, x0) of output pixel p. */
static inline int32_t tg_lb_origin(const tg_lb_geom *g, int32_t p, int32_t *y0, int32_t *x0)
{
    const int32_t per_image = g->out_h * g->out_w;
    const int32_t n = p / per_image, r = p - n * per_image, oy = r / g->out_w, ox = r - oy * g->out_w;
    *y0 = oy * g->p->stride.h - g->p->padding.h;
    *x0 = ox * g->p->stride.w - g->p->padding.w;
    return n;
}

/* n bytes from src to dst, a word at a time (unaligned word accesses are allowed on the DSP cores;
 * memcpy of four bytes is one LDR/STR), no library call. */
static inline void tg_lb_copy(uint8_t *dst, const uint8_t *src, int32_t n)
{
    for (; n >= 4; n -= 4, dst += 4, src += 4) {
        uint32_t v;
        memcpy(&v, src, 4);
        memcpy(dst, &v, 4);
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* The window of output pixel p as elements of `size` bytes at dst, in window order (ky, kx, c),
 * padded taps set to pad (one element's bytes). A kernel row wholly inside the input (dilation.w
 * 1) is one copy. The caller zeroes the elements from K on once (they meet zero weights). */
static inline void tg_lb_gather(const tg_lb_geom *g, const void *input, int32_t size, int32_t p, const void *pad,
                                uint8_t *dst)
{
    int32_t y0, x0, ky, kx, c;
    const int32_t n = tg_lb_origin(g, p, &y0, &x0);
    const uint8_t *img = (const uint8_t *)input + (size_t)n * (size_t)g->in_image * (size_t)size;
    const int32_t pix = g->in_c * size, k_w = g->p->filter.w, d_w = g->p->dilation.w;
    const int whole_rows = d_w == 1 && x0 >= 0 && x0 + k_w <= g->in_w;
    uint8_t *out = dst;
    for (ky = 0; ky < g->p->filter.h; ++ky) {
        const int32_t y = y0 + ky * g->p->dilation.h;
        const int row_inside = y >= 0 && y < g->in_h;
        if (row_inside && whole_rows) {
            tg_lb_copy(out, img + ((size_t)y * (size_t)g->in_w + (size_t)x0) * (size_t)pix, k_w * pix);
            out += k_w * pix;
            continue;
        }
        for (kx = 0; kx < k_w; ++kx) {
            const int32_t x = x0 + kx * d_w;
            if (row_inside && x >= 0 && x < g->in_w) {
                tg_lb_copy(out, img + ((size_t)y * (size_t)g->in_w + (size_t)x) * (size_t)pix, pix);
            } else {
                for (c = 0; c < g->in_c; ++c) {
                    memcpy(out + c * size, pad, (size_t)size);
                }
            }
            out += pix;
        }
    }
}

/* Zero the elements [K, total) of a gather area once (volatile stores: not a memset call). */
static inline void tg_lb_zero_tail(const tg_lb_geom *g, void *dst, int32_t size, int32_t total)
{
    volatile uint8_t *d = (volatile uint8_t *)dst;
    int32_t i;
    for (i = g->k * size; i < total * size; ++i) {
        d[i] = 0;
    }
}

#endif /* TG_LOWBIT_CONV_H */
