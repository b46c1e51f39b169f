/*
 * tg_pool_fast.h - channel sums over a window of an NHWC int8 tensor, 4 channels at a time, shared
 * by tg_avgpool_fast_s8 and tg_mean_hw_fast_s8 (not part of the public API).
 *
 * Four channels are one 32-bit word of a pixel; SXTAB16 adds its even and odd bytes, sign-extended,
 * to two pairs of 16-bit lanes. A lane holding at most 256 values stays within int16
 * (256 * -128 = -32768, 256 * 127 = 32512), so the lanes go to 32-bit sums every 256 pixels.
 * Without the DSP extension (Cortex-M0/M0+/M3, and the host build), the same sums come from plain
 * 32-bit arithmetic: each byte x XOR 0x80 is x + 128 in [0, 255]; the even and the odd bytes are
 * added to two pairs of 16-bit lanes (at most 256 * 255 < 2^16 per lane), and 128 per pixel is
 * taken off at the end. That path loads aligned words (the M0+ has no unaligned loads) when the
 * channel count and the address allow, bytes otherwise.
 * The last 1-3 channels of a pixel are summed byte by byte (never reading past the pixel).
 */
#ifndef TG_POOL_FAST_H
#define TG_POOL_FAST_H

#include "tg_nn.h"
#include "../tg_internal.h"
#include "../tg_simd.h"

/* pixels whose values a 16-bit lane can hold */
#define TG_POOLF_LANE_PIXELS 256

/* Without DSP: n pixels (ch bytes apart, at most TG_POOLF_LANE_PIXELS in the lanes together) added
 * to the unsigned 16-bit lanes, bytes biased by 128: even lanes bytes 0 and 2, odd lanes 1 and 3. */
TG_INLINE void tg_poolf_lanes_scalar(const int8_t *p, int32_t n, int32_t ch, uint32_t *even, uint32_t *odd)
{
    uint32_t e = *even, o = *odd;
    if ((((uintptr_t)p | (uintptr_t)ch) & 3u) == 0u) {
        const uint32_t *q = (const uint32_t *)(const void *)p;
        const int32_t step = ch / 4;
        for (; n > 0; --n, q += step) {
            const uint32_t v = *q ^ 0x80808080u;
            e += v & 0x00FF00FFu;
            o += (v >> 8) & 0x00FF00FFu;
        }
    } else {
        for (; n > 0; --n, p += ch) {
            e += ((uint32_t)(uint8_t)(p[0] ^ (int8_t)-128)) | ((uint32_t)(uint8_t)(p[2] ^ (int8_t)-128) << 16);
            o += ((uint32_t)(uint8_t)(p[1] ^ (int8_t)-128)) | ((uint32_t)(uint8_t)(p[3] ^ (int8_t)-128) << 16);
        }
    }
    *even = e;
    *odd = o;
}

/* Sums of channels c .. c+3 (4 <= C - c) over at most TG_POOLF_LANE_PIXELS pixels: rows y0..y1-1
 * and columns x0..x1-1 of an image of width w and ch channels (img points at channel c of pixel
 * (0, 0)): sum[0..3]. */
TG_INLINE void tg_poolf_sum4_small(const int8_t *img, int32_t w, int32_t ch, int32_t y0, int32_t y1, int32_t x0,
                                   int32_t x1, int32_t sum[4])
{
    uint32_t even = 0, odd = 0;
    int32_t y, k, pixels = 0;
    if (x0 == 0 && x1 == w) {
        /* whole rows are contiguous: one run */
        x1 = (y1 - y0) * w;
        x0 = y0 * w;
        x1 += x0;
        y0 = 0;
        y1 = 1;
        w = 0;
    }
    for (y = y0; y < y1; ++y) {
        const int8_t *p = img + (y * w + x0) * ch;
        k = x1 - x0;
        if (TG_SIMD_NATIVE) {
            for (; k > 0; --k, p += ch) {
                const uint32_t v = tg_read_s8x4(p);
                even = tg_sxtab16(even, v);
                odd = tg_sxtab16_ror8(odd, v);
            }
        } else {
            pixels += k;
            tg_poolf_lanes_scalar(p, k, ch, &even, &odd);
        }
    }
    if (TG_SIMD_NATIVE) {
        sum[0] = tg__lo16(even);
        sum[1] = tg__lo16(odd);
        sum[2] = tg__hi16(even);
        sum[3] = tg__hi16(odd);
    } else {
        sum[0] = (int32_t)(even & 0xFFFFu) - 128 * pixels;
        sum[1] = (int32_t)(odd & 0xFFFFu) - 128 * pixels;
        sum[2] = (int32_t)(even >> 16) - 128 * pixels;
        sum[3] = (int32_t)(odd >> 16) - 128 * pixels;
    }
}

/* The same over any number of pixels (the 16-bit lanes go to 32-bit sums every 256 pixels). */
TG_INLINE void tg_poolf_sum4(const int8_t *img, int32_t w, int32_t ch, int32_t y0, int32_t y1, int32_t x0, int32_t x1,
                             int32_t sum[4])
{
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    uint32_t even = 0, odd = 0;
    int32_t room = TG_POOLF_LANE_PIXELS; /* pixels the 16-bit lanes can still take */
    int32_t y, x, k;
    for (y = y0; y < y1; ++y) {
        const int8_t *p = img + (y * w + x0) * ch;
        for (x = x0; x < x1;) {
            k = TG_MIN(x1 - x, room);
            room -= k;
            x += k;
            if (TG_SIMD_NATIVE) {
                for (; k > 0; --k, p += ch) {
                    const uint32_t v = tg_read_s8x4(p);
                    even = tg_sxtab16(even, v);
                    odd = tg_sxtab16_ror8(odd, v);
                }
            } else {
                tg_poolf_lanes_scalar(p, k, ch, &even, &odd);
                p += k * ch;
            }
            if (room == 0) {
                if (TG_SIMD_NATIVE) {
                    s0 += tg__lo16(even);
                    s2 += tg__hi16(even);
                    s1 += tg__lo16(odd);
                    s3 += tg__hi16(odd);
                } else {
                    s0 += (int32_t)(even & 0xFFFFu) - 128 * TG_POOLF_LANE_PIXELS;
                    s2 += (int32_t)(even >> 16) - 128 * TG_POOLF_LANE_PIXELS;
                    s1 += (int32_t)(odd & 0xFFFFu) - 128 * TG_POOLF_LANE_PIXELS;
                    s3 += (int32_t)(odd >> 16) - 128 * TG_POOLF_LANE_PIXELS;
                }
                even = odd = 0;
                room = TG_POOLF_LANE_PIXELS;
            }
        }
    }
    if (TG_SIMD_NATIVE) {
        sum[0] = s0 + tg__lo16(even);
        sum[1] = s1 + tg__lo16(odd);
        sum[2] = s2 + tg__hi16(even);
        sum[3] = s3 + tg__hi16(odd);
    } else {
        const int32_t left = 128 * (TG_POOLF_LANE_PIXELS - room);
        sum[0] = s0 + (int32_t)(even & 0xFFFFu) - left;
        sum[1] = s1 + (int32_t)(odd & 0xFFFFu) - left;
        sum[2] = s2 + (int32_t)(even >> 16) - left;
        sum[3] = s3 + (int32_t)(odd >> 16) - left;
    }
}

/* The same for n (1..3) channels, byte by byte. */
TG_INLINE void tg_poolf_sum_tail(const int8_t *img, int32_t w, int32_t ch, int32_t y0, int32_t y1, int32_t x0,
                                 int32_t x1, int32_t n, int32_t sum[4])
{
    int32_t y, x, j;
    for (j = 0; j < n; ++j) {
        int32_t s = 0;
        for (y = y0; y < y1; ++y) {
            const int8_t *p = img + (y * w + x0) * ch + j;
            for (x = x0; x < x1; ++x, p += ch) {
                s += *p;
            }
        }
        sum[j] = s;
    }
}

#endif /* TG_POOL_FAST_H */
