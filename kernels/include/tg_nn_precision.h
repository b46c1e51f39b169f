/*
 * tg_nn_precision.h - int16 activations with int8 weights ("16x8") and packed int4 weights:
 * the kernels of mixed-precision models (included by tg_nn.h; same conventions).
 *
 * int4 weights (TFLite TensorType.INT4) are stored two per byte. The portable kernels read them in
 * TensorFlow Lite Micro's packing order, unchanged from the model file: element i of the flattened
 * filter is the low nibble of byte i / 2 when i is even, the high nibble when i is odd, each a
 * signed 4-bit value in [-8, 7]. TFLite Micro unpacks the whole filter into its arena before each
 * call; these kernels read the nibbles where they are, so the weights stay packed in flash and
 * need no RAM. The DSP kernels take the same nibbles reordered at compile time for their inner
 * loops (tinygen/fast/lowbit.py), still two per byte.
 *
 * 16x8: int16 activations are symmetric (zero point 0: TFLite Micro ignores the zero points of
 * its 16x8 convolutions and requires 0 elsewhere), weights int8. CONV_2D and FULLY_CONNECTED
 * accumulate in int64 with an int64 bias (the converter's default), or in int32 with an int32
 * bias (the converter's quantized_bias_type INT32 option); DEPTHWISE_CONV_2D has only the int64
 * form. The int64 form requantizes with TFLite's 64-bit MultiplyByQuantizedMultiplier: the Q31
 * multiplier rounded to 16 bits (reduced = (m + 2^15) >> 16, or 0x7FFF from m >= 0x7FFF0000), then
 * (acc * reduced + 2^(14 - shift)) >> (15 - shift), truncated to int32; the int32 form uses the
 * double rounding of the int8 kernels. Results are bit-identical to TensorFlow Lite Micro.
 */
#ifndef TG_NN_PRECISION_H
#define TG_NN_PRECISION_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* int4 weights, portable (kernels/src/conv, kernels/src/fully_connected)                      */
/* ------------------------------------------------------------------------------------------ */

/*
 * tg_conv_s4 - tg_conv_s8 with packed int4 filter values (same parameters, layout, groups and
 *   write order); filter: ceil(C_out * KH * KW * C_in / groups / 2) bytes in TFLite's packing.
 */
tg_status tg_conv_s4(const tg_context *ctx, const tg_conv_params *params, const tg_pc_quant *quant,
                     const tg_dims *input_dims, const int8_t *input,
                     const tg_dims *filter_dims, const uint8_t *filter,
                     const int32_t *bias,
                     const tg_dims *output_dims, int8_t *output);
int32_t tg_conv_s4_get_buffer_size(const tg_dims *input_dims, const tg_dims *filter_dims);

/* tg_depthwise_conv_s4 - tg_depthwise_conv_s8 with a packed int4 filter [1, KH, KW, C * ch_mult]. */
tg_status tg_depthwise_conv_s4(const tg_context *ctx, const tg_dw_conv_params *params,
                               const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const uint8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output);
int32_t tg_depthwise_conv_s4_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                             const tg_dims *output_dims);

/*
 * tg_fully_connected_s4 - tg_fully_connected_s8 with a packed int4 filter [out_features,
 *   in_features] (TFLite Micro takes int4 fully connected weights per tensor only: entry 0 of quant).
 */
tg_status tg_fully_connected_s4(const tg_fc_params *params, const tg_pc_quant *quant,
                                int32_t batches, int32_t in_features, int32_t out_features,
                                const int8_t *input, const uint8_t *filter, const int32_t *bias,
                                int8_t *output);

/* ------------------------------------------------------------------------------------------ */
/* 16x8, portable                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* 16x8 convolution parameters (CONV_2D); no offsets (int16 zero points are 0). */
typedef struct {
    tg_hw stride;
    tg_hw padding;        /* as in tg_conv_params */
    tg_hw dilation;
    tg_range activation;  /* within [-32768, 32767] */
    int32_t acc64;        /* nonzero: int64 accumulator and bias; zero: int32 (bias32) */
} tg_conv_s16_params;

/*
 * tg_conv_s16 - 16x8 2-D convolution, per-channel requantization; layout, groups and write order
 *   as tg_conv_s8. bias64 (acc64) or bias32 (!acc64): C_out values, or NULL for no bias.
 */
tg_status tg_conv_s16(const tg_context *ctx, const tg_conv_s16_params *params, const tg_pc_quant *quant,
                      const tg_dims *input_dims, const int16_t *input,
                      const tg_dims *filter_dims, const int8_t *filter,
                      const int32_t *bias32, const int64_t *bias64,
                      const tg_dims *output_dims, int16_t *output);
int32_t tg_conv_s16_get_buffer_size(const tg_dims *input_dims, const tg_dims *filter_dims);

/* 16x8 depthwise convolution parameters (DEPTHWISE_CONV_2D: int64 accumulator and bias). */
typedef struct {
    int32_t ch_mult;
    tg_hw stride;
    tg_hw padding;
    tg_hw dilation;
    tg_range activation;
} tg_dw_conv_s16_params;

/* tg_depthwise_conv_s16 - 16x8 depthwise convolution (layout and write order as tg_depthwise_conv_s8). */
tg_status tg_depthwise_conv_s16(const tg_context *ctx, const tg_dw_conv_s16_params *params,
                                const tg_pc_quant *quant,
                                const tg_dims *input_dims, const int16_t *input,
                                const tg_dims *filter_dims, const int8_t *filter,
                                const int64_t *bias,
                                const tg_dims *output_dims, int16_t *output);
int32_t tg_depthwise_conv_s16_get_buffer_size(const tg_dw_conv_s16_params *params, const tg_dims *input_dims,
                                              const tg_dims *output_dims);

/* 16x8 fully connected parameters. */
typedef struct {
    int32_t per_channel;  /* nonzero: one multiplier/shift per output; zero: entry 0 for all */
    int32_t acc64;        /* nonzero: int64 accumulator and bias; zero: int32 (bias32) */
    tg_range activation;
} tg_fc_s16_params;

/* tg_fully_connected_s16 - 16x8 fully connected layer (layout and write order as tg_fully_connected_s8). */
tg_status tg_fully_connected_s16(const tg_fc_s16_params *params, const tg_pc_quant *quant,
                                 int32_t batches, int32_t in_features, int32_t out_features,
                                 const int16_t *input, const int8_t *filter,
                                 const int32_t *bias32, const int64_t *bias64, int16_t *output);

/* ------------------------------------------------------------------------------------------ */
/* int16 pooling and softmax (kernels/src/pooling, kernels/src/softmax)                        */
/* ------------------------------------------------------------------------------------------ */

/* tg_avgpool_s16 / tg_maxpool_s16 - tg_avgpool_s8 / tg_maxpool_s8 on int16 elements (TFLite Micro's
 *   int16 pooling: an int32 sum divided by the count of window elements inside the input, rounding
 *   half away from zero; a window wholly in the padding gives TG_ERR_ARG). Raster-order output. */
tg_status tg_avgpool_s16(const tg_pool_params *params,
                         const tg_dims *input_dims, const int16_t *input,
                         const tg_dims *output_dims, int16_t *output);
tg_status tg_maxpool_s16(const tg_pool_params *params,
                         const tg_dims *input_dims, const int16_t *input,
                         const tg_dims *output_dims, int16_t *output);

/* The number of entries of an int16 lookup table (TFLite's LUTSize<int16_t>()). */
#define TG_LUT16_SIZE 513

/* int16 softmax parameters: the rescaling of a difference to the row maximum (TFLite's
 * MultiplyByQuantizedMultiplier with a signed shift) and the two constant tables. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    const int16_t *exp_lut;                 /* TG_LUT16_SIZE entries: exp on [-10, 0] */
    const int16_t *one_over_one_plus_x_lut; /* TG_LUT16_SIZE entries: 1 / (1 + x) on [0, 1] */
} tg_softmax_s16_params;

/* tg_softmax_s16 - int16 softmax over rows x depth values (zero points 0, output scale 1/32768),
 *   bit-exact with TFLite Micro's SoftmaxInt16. The output may be the input buffer. */
tg_status tg_softmax_s16(const tg_softmax_s16_params *params, int32_t rows, int32_t depth,
                         const int16_t *input, int16_t *output);

/* ------------------------------------------------------------------------------------------ */
/* DSP variants (Cortex-M4/M7/M33; plain-C instruction models elsewhere, see tg_simd.h)        */
/* ------------------------------------------------------------------------------------------ */
/*
 * The compiler (tinygen/fast/lowbit.py) reorders the weights for SMLAD, folds the int8 input
 * offset into the bias and checks, per output channel, that the 32-bit accumulation and the
 * one-instruction requantization below are exact for every input; where they are not, the
 * operator keeps the portable kernel. Channel words ("cw") per output channel:
 *   int8 output (s4 kernels): bias (input offset folded in), mult (Q31), round, spec = n | a << 5;
 *     out = SMMLAR(acc16 >> a, mult, round - [acc < 0 and n > 0]) >> n, clamped, where acc16 is
 *     16 acc, a = 3 - L for TFLite's left shift L (0 for right shifts), n the right shift and
 *     round = 2^(n-1) + output_offset 2^n (output_offset when n = 0) (tinygen/fast/conv.py
 *     explains why this equals TFLite Micro's double rounding).
 *   int16 output (s16 kernels): bias, mult, round, n;
 *     int64 path (acc64): out = SMMLA(acc, mult, round) >> n with mult = reduced << 16,
 *       round = 2^(n-1), n = 15 - shift - 16 (>= 1): TFLite's 64-bit rounding, exactly;
 *     int32 path: out = SMMLAR(2 acc, mult, round - [acc < 0]) >> n with round = 2^(n-1).
 * int4 weights are unpacked in registers: a word of eight nibbles gives four int16 pairs with two
 * ANDs and four SXTB16, each value times 16 (the nibble in the high half of a byte), so the
 * accumulator holds 16 acc, divided back exactly before the requantization.
 */

/* Parameters of the DSP convolutions (CONV_2D, one group). */
typedef struct {
    tg_hw filter;           /* KH, KW */
    tg_hw stride;
    tg_hw padding;          /* any integer; past the input's end is padding too */
    tg_hw dilation;
    int32_t pad_value;      /* stored value of a padded input element: the input zero point (0 for int16) */
    int32_t output_offset;  /* output zero point (0 for int16) */
    int32_t acc64;          /* s16: the int64 requantization path (see above) */
    tg_range activation;
} tg_conv_lb_params;

/*
 * tg_conv_dsp_s4 - CONV_2D, int8 activations, int4 weights, for cores with the DSP extension.
 *   K = KH * KW * C_in window values (window order ky, kx, c) padded with zero weights to K8 (a
 *   multiple of 8). weights (32-bit words): each output channel's K8 / 8 words in turn, the word
 *   of a group of eight values v0..v7 holding in byte k v_k (low nibble) and v_(k+4) (high nibble).
 *   cw: per output channel four words [bias, mult, round, spec], the bias times 16 (the scale of
 *   the unpacked weights), spec = n | a << 5 | [n >= 1] << 7.
 *   Scratch selects the mode: >= tg_conv_dsp_s4_get_buffer_size(): four output pixels per pass over
 *   the weights (their windows widened once); >= _get_mid_buffer_size(): two; >=
 *   _get_min_buffer_size() (0 for a 1x1 convolution with C_in % 8 == 0): one, widened as it is
 *   read. Every window of a step is copied before the step's first output is written: the tg_nn.h
 *   raster write order holds.
 */
tg_status tg_conv_dsp_s4(const tg_context *ctx, const tg_conv_lb_params *params,
                         const tg_dims *input_dims, const int8_t *input,
                         const int32_t *weights, const int32_t *cw,
                         const tg_dims *output_dims, int8_t *output);
int32_t tg_conv_dsp_s4_get_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                       const tg_dims *output_dims);
int32_t tg_conv_dsp_s4_get_mid_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                           const tg_dims *output_dims);
int32_t tg_conv_dsp_s4_get_min_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                           const tg_dims *output_dims);

/*
 * tg_conv_dsp_s16 - CONV_2D 16x8 for cores with the DSP extension. K padded with zero weights to
 *   K4 (a multiple of 4). weights (int32 words): output channels in pairs (a zero channel added to
 *   an odd count), per pair and per group of four values v0..v3 the word of channel 2j then that
 *   of channel 2j + 1, bytes [v0, v2, v1, v3] (SXTB16 gives (v0, v1), SXTB16 ROR 8 (v2, v3)).
 *   cw: per channel pair eight words [bias0, bias1, mult0, round0, n0, mult1, round1, n1].
 *   Scratch modes and write order as tg_conv_dsp_s4 (windows copied as int16).
 */
tg_status tg_conv_dsp_s16(const tg_context *ctx, const tg_conv_lb_params *params,
                          const tg_dims *input_dims, const int16_t *input,
                          const int32_t *weights, const int32_t *cw,
                          const tg_dims *output_dims, int16_t *output);
int32_t tg_conv_dsp_s16_get_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                        const tg_dims *output_dims);
int32_t tg_conv_dsp_s16_get_min_buffer_size(const tg_conv_lb_params *params, const tg_dims *input_dims,
                                            const tg_dims *output_dims);

/* The most filter taps (KH * KW) of the DSP depthwise convolutions. */
#define TG_LB_DW_MAX_TAPS 32

/* Parameters of the DSP depthwise convolutions (depth multiplier 1, C % 4 == 0). */
typedef struct {
    tg_hw filter;
    tg_hw stride;
    tg_hw padding;
    tg_hw dilation;
    int32_t pad_value;      /* s4: the input zero point (padded taps read it); s16: unused (0) */
    int32_t output_offset;  /* s4: output zero point; s16: 0 */
    tg_range activation;
} tg_dw_lb_params;

/*
 * tg_depthwise_conv_dsp_s4 - DEPTHWISE_CONV_2D, depth multiplier 1, int4 weights, C % 4 == 0, at
 *   most TG_LB_DW_MAX_TAPS taps. Channels in groups of four. packed (int32 words): C / 4 words of
 *   the input zero point (the pad row padded taps read), then per group:
 *   T2 / 2 weight words (T = KH * KW taps, T2 = T rounded up to even; the word of taps t, t + 1
 *   holds in byte k channel k's value at tap t (low nibble) and at tap t + 1 (high nibble)), then
 *   4 folded biases (times 16), per channel (mult, round), and one word of the four channels'
 *   specs, byte k = a | n << 2, bit 7 set where a = 3 and n >= 1 (a right shift). No scratch. Output pixels in raster order, each group of four channels
 *   written after its window was read.
 */
tg_status tg_depthwise_conv_dsp_s4(const tg_context *ctx, const tg_dw_lb_params *params,
                                   const tg_dims *input_dims, const int8_t *input,
                                   const int32_t *packed,
                                   const tg_dims *output_dims, int8_t *output);
int32_t tg_depthwise_conv_dsp_s4_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                 const tg_dims *output_dims);

/*
 * tg_depthwise_conv_dsp_s16 - DEPTHWISE_CONV_2D 16x8, depth multiplier 1 (the int64 path), C % 4 == 0,
 *   at most TG_LB_DW_MAX_TAPS taps. Channels in groups of four; packed per group: T weight words (tap t: bytes [w_c0, w_c2, w_c1, w_c3])
 *   then per channel four words [bias, mult, round, n]. Padded taps are skipped (they add 0). No
 *   scratch. Write order as tg_depthwise_conv_dsp_s4.
 */
tg_status tg_depthwise_conv_dsp_s16(const tg_context *ctx, const tg_dw_lb_params *params,
                                    const tg_dims *input_dims, const int16_t *input,
                                    const int32_t *packed,
                                    const tg_dims *output_dims, int16_t *output);
int32_t tg_depthwise_conv_dsp_s16_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                  const tg_dims *output_dims);

/*
 * tg_depthwise_conv_inplace_dsp_s16 - tg_depthwise_conv_dsp_s16 with the output written over the
 *   input in `data` (output pixel p, channel c at data[p * C + c]); one image, dilation 1, OH <= H,
 *   OW <= W. Computed pixels wait in a ring in the scratch until no later output pixel reads the
 *   input pixel they replace (for a 3x3 SAME convolution of stride 1: W + 2 pixels of C values);
 *   the size is tg_depthwise_conv_inplace_dsp_s16_get_buffer_size().
 */
tg_status tg_depthwise_conv_inplace_dsp_s16(const tg_context *ctx, const tg_dw_lb_params *params,
                                            const tg_dims *input_dims, int16_t *data,
                                            const int32_t *packed,
                                            const tg_dims *output_dims);
int32_t tg_depthwise_conv_inplace_dsp_s16_get_buffer_size(const tg_dw_lb_params *params, const tg_dims *input_dims,
                                                          const tg_dims *output_dims);

/* Parameters of the DSP fully connected kernels. */
typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t output_offset;  /* s4: output zero point; s16: 0 */
    int32_t acc64;          /* s16: the int64 requantization path */
    tg_range activation;
} tg_fc_lb_params;

/*
 * tg_fully_connected_dsp_s4 - FULLY_CONNECTED, int8 activations, int4 weights (per tensor, as TFLite
 *   Micro requires). weights: rows in pairs (a zero row added to an odd count), per pair and per
 *   group of eight values the words of the two rows in the nibble order of tg_conv_dsp_s4 (K8
 *   values per row). cw: R = out_features rounded up to even folded biases (times 16), then mult,
 *   round, spec. No scratch; write order row by row (tg_fully_connected_s8).
 */
tg_status tg_fully_connected_dsp_s4(const tg_fc_lb_params *params, const int8_t *input,
                                    const int32_t *weights, const int32_t *cw, int8_t *output);
int32_t tg_fully_connected_dsp_s4_get_buffer_size(const tg_fc_lb_params *params);

/*
 * tg_fully_connected_dsp_s16 - FULLY_CONNECTED 16x8. weights: rows in pairs, per pair and group of
 *   four values the two rows' words in the byte order of tg_conv_dsp_s16 (K4 values per row).
 *   cw: per row pair eight words as tg_conv_dsp_s16 (per-tensor quantization repeats them).
 *   No scratch; write order row by row.
 */
tg_status tg_fully_connected_dsp_s16(const tg_fc_lb_params *params, const int16_t *input,
                                     const int32_t *weights, const int32_t *cw, int16_t *output);
int32_t tg_fully_connected_dsp_s16_get_buffer_size(const tg_fc_lb_params *params);

#ifdef __cplusplus
}
#endif

#endif /* TG_NN_PRECISION_H */
