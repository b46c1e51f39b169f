/*
 * tg_nn.h - the tinygen kernel library: portable C99 int8 neural-network kernels.
 *
 * Conventions (in the style of CMSIS-NN):
 *   - tg_<op>[_variant]_s8(): one public function per source file under kernels/src/<family>/.
 *   - Tensors are NHWC, int8 activations, int8 symmetric weights, int32 bias.
 *   - All quantization arithmetic is precomputed by the compiler: kernels receive Q31 multipliers
 *     and power-of-two shifts (TFLite convention: shift > 0 is a left shift) and apply
 *     TFLite Micro's double rounding: SaturatingRoundingDoublingHighMul, then
 *     RoundingDivideByPOT. Results are bit-identical to TFLite Micro's reference kernels.
 *   - "offset" arguments are added to the stored int8 values: input_offset = -input_zero_point,
 *     output_offset = output_zero_point.
 *   - Kernels that need scratch memory take a tg_context and export *_get_buffer_size(); the
 *     compiler queries that function (never a copy of its formula) and plans the buffer.
 *   - Every kernel returns TG_OK or a negative tg_status.
 *   - Write-order contract (the memory planner relies on it to let an output overlap the part of
 *     its input already consumed; see tinygen/geometry.py): convolution, depthwise
 *     convolution and pooling kernels write output pixels in raster order (batch, row, column),
 *     all channels of a pixel together, each value computed from its input window just before it
 *     is written; fully connected writes row by row, each row after reading its input row;
 *     elementwise kernels write element i after reading element i. A kernel that changes its
 *     order must change its operator's overlap_gaps() in tinygen/ops/ too.
 */
#ifndef TG_NN_H
#define TG_NN_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TG_ALIGNED(n) __attribute__((aligned(n)))
#else
#define TG_ALIGNED(n)
#endif

/* ------------------------------------------------------------------------------------------ */
/* Common types                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef enum {
    TG_OK = 0,
    TG_ERR_ARG = -1,     /* inconsistent arguments */
    TG_ERR_BUFFER = -2   /* scratch buffer missing or too small */
} tg_status;

/* A 4-D NHWC shape. Lower-rank tensors use leading 1s. */
typedef struct { int32_t n, h, w, c; } tg_dims;

/* A (height, width) pair: strides, paddings, dilations, filter sizes. */
typedef struct { int32_t h, w; } tg_hw;

/* Inclusive clamp range of the quantized output (fused activation). */
typedef struct { int32_t min, max; } tg_range;

/* Scratch memory handed to a kernel: buf may be NULL when size is 0. */
typedef struct { void *buf; int32_t size; } tg_context;

/* Per-channel requantization: one Q31 multiplier and shift per output channel. */
typedef struct { const int32_t *multiplier; const int32_t *shift; } tg_pc_quant;

/* Per-tensor requantization. */
typedef struct { int32_t multiplier; int32_t shift; } tg_quant;

/* Convolution parameters (CONV_2D). padding is the count of implicit zero-point rows/columns
 * before the first input row/column; rows/columns past the end of the input are padding too. */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    tg_hw stride;
    tg_hw padding;
    tg_hw dilation;
    tg_range activation;
} tg_conv_params;

/* Depthwise convolution parameters (DEPTHWISE_CONV_2D). */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult;      /* depth multiplier: output channels = input channels * ch_mult */
    tg_hw stride;
    tg_hw padding;
    tg_hw dilation;
    tg_range activation;
} tg_dw_conv_params;

/* ------------------------------------------------------------------------------------------ */
/* Convolution (kernels/src/conv)                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * tg_conv_s8 - 2-D convolution, per-channel requantization.
 *   input_dims  {N, H, W, C_in}; filter_dims {C_out, KH, KW, C_in / groups};
 *   output_dims {N, OH, OW, C_out}; bias: C_out int32 values or NULL.
 *   Grouped convolution when filter_dims->c < input_dims->c (C_in must be a multiple).
 *   Output pixels are written in raster order (row, column), all channels of a pixel together;
 *   the memory planner relies on this order for partial input/output overlap.
 */
tg_status tg_conv_s8(const tg_context *ctx, const tg_conv_params *params, const tg_pc_quant *quant,
                     const tg_dims *input_dims, const int8_t *input,
                     const tg_dims *filter_dims, const int8_t *filter,
                     const int32_t *bias,
                     const tg_dims *output_dims, int8_t *output);
int32_t tg_conv_s8_get_buffer_size(const tg_dims *input_dims, const tg_dims *filter_dims);

/*
 * tg_depthwise_conv_s8 - depthwise 2-D convolution, per-channel requantization.
 *   input_dims {N, H, W, C}; filter_dims {1, KH, KW, C * ch_mult};
 *   output_dims {N, OH, OW, C * ch_mult}; bias: C * ch_mult int32 values or NULL.
 *   Output channel c * ch_mult + m filters input channel c with filter channel c * ch_mult + m.
 *   padding as in tg_conv_s8: implicit rows/columns before the first input row/column, and
 *   everything past the end of input_dims is padding too (so a sub-region of an image can be
 *   processed). Output pixels are written in raster order, all channels of a pixel together.
 *   No scratch memory: tg_depthwise_conv_s8_get_buffer_size() returns 0 (ctx may be NULL).
 */
tg_status tg_depthwise_conv_s8(const tg_context *ctx, const tg_dw_conv_params *params,
                               const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output);
int32_t tg_depthwise_conv_s8_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                             const tg_dims *output_dims);

/*
 * tg_depthwise_conv_inplace_s8 - the same computation for ch_mult == 1, with the output written
 *   over the input in `data` (output pixel p, channel c lands at data[p * C + c], batch after
 *   batch). Requires OH <= H and OW <= W. One channel at a time: the channel's output for every
 *   output pixel goes to the scratch buffer first (OH * OW bytes), then over the input's slots of
 *   that channel; when OH == H, OW == W and the vertical stride is 1, output rows go back as soon
 *   as the input rows they replace are consumed, through a ring of (padding.h + 1) rows. The
 *   scratch size is tg_depthwise_conv_inplace_s8_get_buffer_size().
 */
tg_status tg_depthwise_conv_inplace_s8(const tg_context *ctx, const tg_dw_conv_params *params,
                                       const tg_pc_quant *quant,
                                       const tg_dims *input_dims, int8_t *data,
                                       const tg_dims *filter_dims, const int8_t *filter,
                                       const int32_t *bias,
                                       const tg_dims *output_dims);
int32_t tg_depthwise_conv_inplace_s8_get_buffer_size(const tg_dw_conv_params *params, const tg_dims *input_dims,
                                                     const tg_dims *output_dims);


/* ------------------------------------------------------------------------------------------ */
/* Fast convolution (kernels/src/conv/tg_conv_dsp_s8.c, tg_conv_scalar_s8.c)                   */
/* ------------------------------------------------------------------------------------------ */

/* Parameters of the fast CONV_2D kernels: the layer's geometry, shapes and constant arrays (one
 * static struct per layer, so that a call passes four arguments). The input offset is folded into
 * the bias and the output offset into the rounding term of the channel words, which also encodes
 * the shift (see kernels/src/tg_fast.h), so only the value of a padded input element (the input
 * zero point) remains. */
typedef struct {
    tg_hw filter;         /* KH, KW; the filter depth is the input depth (no groups) */
    tg_hw stride;
    tg_hw padding;        /* as in tg_conv_params: any integer; past the input's end is padding too */
    tg_hw dilation;
    int32_t pad_value;    /* stored int8 value of a padded input element: the input zero point */
    tg_range activation;
    tg_dims input_dims;   /* {N, H, W, C_in} */
    tg_dims output_dims;  /* {N, OH, OW, C_out} */
    const void *weights;      /* the packed filter (int32 words for tg_conv_dsp_s8, int8 rows for
                               * tg_conv_scalar_s8) */
    const int32_t *channels;  /* channel words */
    const int8_t *pad_row;    /* KH * KW * C_in bytes of pad_value (at least KW * C_in are read), or NULL */
} tg_conv_fast_params;

/*
 * tg_conv_dsp_s8 - 2-D convolution (any kernel size, stride, dilation, padding; one group) for
 *   cores with the DSP extension; bit-exact with tg_conv_s8 under the compile-time conditions that
 *   tinygen.fast.conv checks. On cores without DSP it still runs (plain-C instruction models), only
 *   slowly: use tg_conv_scalar_s8 there.
 *   weights: the filter packed by tinygen.fast.conv.pack_conv_dsp_weights: output channels in
 *     pairs (a zero channel added to an odd count), each channel's K = KH * KW * C_in values in
 *     window order padded with zeros to K8 (a multiple of 8), per group of four values the pair's
 *     two words; 4-byte aligned, hence int32_t words.
 *   channels: per channel pair six int32 words [bias0, bias1, mult0, round0, mult1, round1]
 *     (folded bias and fast requantization, the shift in the rounding word: kernels/src/tg_fast.h),
 *     12 bytes per channel as the portable kernel's bias, multiplier and shift.
 *   pad_row: read only in single mode (NULL otherwise).
 *   Windows are walked run by run, never stored (no table of runs on the stack).
 *   Scratch (4-byte aligned) selects the mode:
 *     >= tg_conv_dsp_s8_get_buffer_size(): two output pixels per step, both windows widened to
 *        int16 once (fastest);
 *     >= tg_conv_dsp_s8_get_mid_buffer_size(): two pixels per step, one widened, the other's int8
 *        values interleaved with it (about 10 % more instructions in the multiply loop);
 *     >= tg_conv_dsp_s8_get_min_buffer_size(): two pixels per step, one widened (about 25 % more);
 *     none (ctx NULL or size 0): one pixel at a time, no copies; needs C_in % 4 == 0 and pad_row
 *        (else TG_ERR_BUFFER).
 *   The compiler gives the largest of these that does not grow the arena.
 *   Write order: the tg_nn.h raster contract holds as stated, so the memory planner's partial
 *   overlap rule (tinygen/geometry.py) needs no change. With scratch, pixels p and p + 1 are
 *   written together, channel pair by channel pair, but both windows are read before the first
 *   write (copied to the scratch; or, with the min buffer for a 1x1 convolution with
 *   C_in % 8 == 0 and stride 1, pixel p + 1 read in place, which is safe because its input lies
 *   above everything the pair writes under the planner's rule); single mode reads each pixel's
 *   window before writing its outputs. Pixels of an odd count: the last one is computed as both
 *   pixels of a pair (its outputs written twice, with the same values).
 */
tg_status tg_conv_dsp_s8(const tg_context *ctx, const tg_conv_fast_params *params, const int8_t *input,
                         int8_t *output);
int32_t tg_conv_dsp_s8_get_buffer_size(const tg_conv_fast_params *params);
int32_t tg_conv_dsp_s8_get_mid_buffer_size(const tg_conv_fast_params *params);
int32_t tg_conv_dsp_s8_get_min_buffer_size(const tg_conv_fast_params *params);

/*
 * tg_conv_scalar_s8 - the same convolution for cores without the DSP extension (Cortex-M0+):
 *   one output pixel at a time, two output channels per pass over its window, 32-bit multiplies,
 *   the requantization of tg_fast.h without 64-bit arithmetic. No scratch.
 *   weights: [C_out rounded up to even, KH * KW * C_in] int8 rows (tinygen.fast.conv.lower_conv_scalar);
 *   channels as for tg_conv_dsp_s8; pad_row is needed (read for padded taps).
 *   Write order: raster order, all channels of a pixel after its window is read (tg_nn.h contract).
 */
tg_status tg_conv_scalar_s8(const tg_conv_fast_params *params, const int8_t *input, int8_t *output);
int32_t tg_conv_scalar_s8_get_buffer_size(const tg_conv_fast_params *params);

/* -- fast depthwise convolution (depth multiplier 1) ---------------------------------------------
 * The compiler (tinygen/fast/depthwise.py: dw_fast_applicable(), lower_dw_fast()) packs weights,
 * folded biases and requantization constants into one int32 array `packed` (layout in
 * kernels/src/conv/tg_dw_fast.h) and checks at compile time that the kernels' integer
 * requantization is exact for the layer (every shift is a right shift, no accumulator can reach
 * 2^30, ...). Results are then bit-identical to tg_depthwise_conv_s8 (and TFLite Micro).
 * Padding as in tg_depthwise_conv_s8: any integer (also negative: a patch starting inside the
 * image), and everything past the end of input_dims is padding too. Filters of at most 16 taps
 * (KH * KW), any stride and dilation; 3x3 filters have the fastest path. Any channel count (groups
 * of 4, then 1-3). */

/* Parameters of the fast depthwise kernels: the layer's geometry, shapes and constant arrays. */
typedef struct {
    tg_hw stride;
    tg_hw padding;        /* rows/columns of padding before the input (any integer) */
    tg_hw dilation;
    tg_hw filter;         /* KH, KW */
    tg_range activation;  /* clamp of the output, within [-128, 127] */
    tg_dims input_dims;   /* {N, H, W, C} */
    tg_dims output_dims;  /* {N, OH, OW, C} */
    const int32_t *packed;  /* per group of 4 channels: biases, tap words, (multiplier, round) pairs, shifts */
    const int32_t *pad;     /* ceil(C / 4) words of the input zero point (read by padded taps) */
} tg_dw_fast_params;

/*
 * tg_depthwise_conv_fast_s8 - depthwise convolution, depth multiplier 1, per-channel requantization,
 *   from the compiler's constants. Output pixels in raster order, all channels of a pixel written
 *   right after they are computed from their window (channels in groups of 4): the write-order
 *   contract of tg_nn.h, unchanged. On cores with the DSP extension (and on the host) it runs the
 *   SIMD core (SXTB16, SMLABB/SMLATT, SMMLAR); on Armv6-M / Armv7-M without DSP it is
 *   tg_depthwise_conv_fast_scalar_s8. Unaligned 32-bit loads of the input on the DSP path (allowed
 *   on Cortex-M4/M7/M33). No scratch memory.
 */
tg_status tg_depthwise_conv_fast_s8(const tg_dw_fast_params *params, const int8_t *input, int8_t *output);
int32_t tg_depthwise_conv_fast_s8_get_buffer_size(const tg_dw_fast_params *params);

/* tg_depthwise_conv_fast_scalar_s8 - the same computation with the scalar core (byte loads, 32-bit
 *   multiplies: for Cortex-M0/M0+/M3; always available, so it can be tested on the host). */
tg_status tg_depthwise_conv_fast_scalar_s8(const tg_dw_fast_params *params, const int8_t *input, int8_t *output);
int32_t tg_depthwise_conv_fast_scalar_s8_get_buffer_size(const tg_dw_fast_params *params);

/*
 * tg_depthwise_conv_inplace_fast_s8 - the same computation with the output written over the
 *   input in `data` (output pixel p, channel c lands at data[p * C + c], batch after batch), as
 *   tg_depthwise_conv_inplace_s8; requires OH <= H and OW <= W. Two ways, chosen from the
 *   parameters alone (the same on every core):
 *   - 3x3 filters, dilation 1, with lines of at least 8 outputs: one channel at a time, the input
 *     rows an output row reads are copied into a ring of 3 "planar" rows (that channel's bytes side
 *     by side) and each finished output row goes straight back over the input (its channel only).
 *     Needs stride.w 1 or 2 and padding.h <= 2; a narrow image (W < H) with OW == W, stride.h 1 or 2
 *     and padding.w <= 2 is processed by columns instead of rows. Scratch: 4 * ((n - 1) * s + 6)
 *     bytes, n outputs per line, s the stride along it.
 *   - otherwise: output rows (all channels, as the normal kernel computes them) go to a ring of
 *     R = min(max(padding.h, 0) + 1, OH) rows and row r goes back over the input once output row
 *     floor((r + padding.h) / stride.h) has been computed: every input row up to r has then been
 *     read for the last time. Scratch: R * OW * C bytes.
 *   tg_depthwise_conv_inplace_fast_s8_get_buffer_size() gives the scratch size (any padding, also
 *   negative, and any stride).
 */
tg_status tg_depthwise_conv_inplace_fast_s8(const tg_context *ctx, const tg_dw_fast_params *params, int8_t *data);
int32_t tg_depthwise_conv_inplace_fast_s8_get_buffer_size(const tg_dw_fast_params *params);

/* tg_depthwise_conv_inplace_fast_scalar_s8 - the in-place kernel with the scalar core. */
tg_status tg_depthwise_conv_inplace_fast_scalar_s8(const tg_context *ctx, const tg_dw_fast_params *params,
                                                   int8_t *data);
int32_t tg_depthwise_conv_inplace_fast_scalar_s8_get_buffer_size(const tg_dw_fast_params *params);

/* ------------------------------------------------------------------------------------------ */
/* Fully connected and pooling (kernels/src/fully_connected, kernels/src/pooling)              */
/* ------------------------------------------------------------------------------------------ */

/* Fully connected parameters (FULLY_CONNECTED). */
typedef struct {
    int32_t input_offset;
    int32_t filter_offset;  /* -filter zero point (per-tensor weights; 0 for per-channel) */
    int32_t output_offset;
    int32_t per_channel;    /* nonzero: one multiplier/shift per output; zero: entry 0 for all */
    tg_range activation;
} tg_fc_params;

/*
 * tg_fully_connected_s8 - output[b][o] = requantize(sum_i (filter[o][i] + filter_offset) *
 *   (input[b][i] + input_offset) + bias[o]) for b < batches, o < out_features.
 *   input: batches x in_features; filter: out_features x in_features (row major);
 *   bias: out_features int32 values or NULL; output: batches x out_features.
 */
tg_status tg_fully_connected_s8(const tg_fc_params *params, const tg_pc_quant *quant,
                                int32_t batches, int32_t in_features, int32_t out_features,
                                const int8_t *input, const int8_t *filter, const int32_t *bias,
                                int8_t *output);

/* Parameters of the fast FULLY_CONNECTED kernels (offsets folded as in tg_conv_fast_params), with
 * the layer's constant arrays. */
typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t filter_offset;  /* -filter zero point (per tensor; 0 for per-channel weights) */
    int32_t per_channel;    /* nonzero: one (multiplier, round) per output feature */
    tg_range activation;
    const void *weights;      /* packed weights (int32 words for the DSP kernel, int8 rows for the scalar one) */
    const int32_t *channels;  /* folded biases, then the requantization words */
} tg_fc_fast_params;

/*
 * tg_fully_connected_dsp_s8 - output[b][o] as tg_fully_connected_s8 computes it, for cores with
 *   the DSP extension, bit-exact under the compile-time conditions of tinygen.fast.conv
 *   (fc_dsp_unsupported): four rows per pass over the input row (SMLAD).
 *   weights (tinygen.fast.conv.pack_fc_dsp_weights; int32 words, 4-byte aligned): the rows in the
 *     convolution's pair layout (pack_conv_dsp_weights: every row padded with zeros to a multiple
 *     of 8 values, K8; a zero row added to an odd count).
 *   channels: R = out_features rounded up to a multiple of 4 folded biases, then (multiplier,
 *     round) for each of the R rows (per_channel) or once (the shift in the rounding word:
 *     kernels/src/tg_fast.h).
 *   in_features must be a multiple of 4 (whole input words); else TG_ERR_ARG.
 *   A nonzero filter_offset adds filter_offset * sum(input row) to every accumulator.
 *   Write order: row by row (each batch row's outputs after the row is read). No scratch.
 */
tg_status tg_fully_connected_dsp_s8(const tg_fc_fast_params *params, const int8_t *input, int8_t *output);
int32_t tg_fully_connected_dsp_s8_get_buffer_size(const tg_fc_fast_params *params);

/*
 * tg_fully_connected_scalar_s8 - the same for cores without DSP (Cortex-M0+): two output features
 *   per pass, 32-bit multiplies, any in_features. weights: [out_features rounded up to even,
 *   in_features] int8; channels as above. No scratch.
 */
tg_status tg_fully_connected_scalar_s8(const tg_fc_fast_params *params, const int8_t *input, int8_t *output);
int32_t tg_fully_connected_scalar_s8_get_buffer_size(const tg_fc_fast_params *params);

/* Pooling parameters (AVERAGE_POOL_2D, MAX_POOL_2D). padding has the meaning of
 * tg_conv_params.padding: rows/columns before the input, and past its end, are padding. Input and
 * output share one quantization; there is no requantization. */
typedef struct {
    tg_hw stride;
    tg_hw padding;
    tg_hw filter;
    tg_range activation;
} tg_pool_params;

/*
 * tg_avgpool_s8 - average pooling over the window elements inside the input (padding does not
 *   count), rounded half away from zero. input_dims {N, H, W, C}, output_dims {N, OH, OW, C}.
 *   Returns TG_ERR_ARG if a window holds no input element. Raster-order output.
 */
tg_status tg_avgpool_s8(const tg_pool_params *params,
                        const tg_dims *input_dims, const int8_t *input,
                        const tg_dims *output_dims, int8_t *output);

/* tg_maxpool_s8 - max pooling over the window elements inside the input; same layout. */
tg_status tg_maxpool_s8(const tg_pool_params *params,
                        const tg_dims *input_dims, const int8_t *input,
                        const tg_dims *output_dims, int8_t *output);

#define TG_LOOP_NEST_MAX_DIMS 4

/* A loop nest over a tensor: count dimensions (last one fastest), each with its size and its
 * stride in elements. */
typedef struct {
    int32_t count;
    int32_t size[TG_LOOP_NEST_MAX_DIMS];
    int32_t stride[TG_LOOP_NEST_MAX_DIMS];
} tg_loop_nest;

/* Mean parameters (MEAN). The multiplier/shift already include the division by the number of
 * reduced elements. */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t multiplier;
    int32_t shift;
    tg_loop_nest outer;   /* kept dimensions, in output order */
    tg_loop_nest inner;   /* reduced dimensions */
} tg_mean_params;

/*
 * tg_mean_s8 - for each index of the outer nest (in order, one output element each):
 *   clamp(requantize(sum over the inner nest of (x + input_offset)) + output_offset, -128, 127).
 *   The int32 sum wraps around like TFLite Micro's.
 */
tg_status tg_mean_s8(const tg_mean_params *params, const int8_t *input, int8_t *output);

#define TG_PAD_MAX_DIMS 5

/* Constant padding parameters (PAD, PADV2): shapes extended to 5 dimensions with leading 1s. */
typedef struct {
    int32_t input_dims[TG_PAD_MAX_DIMS];
    int32_t before[TG_PAD_MAX_DIMS];
    int32_t after[TG_PAD_MAX_DIMS];
    int32_t pad_value;  /* stored int8 value written into the padding */
} tg_pad_params;

/* tg_pad_s8 - output dimension d = before[d] + input_dims[d] + after[d]; the input bytes are
 *   copied unchanged (no requantization), everything else is pad_value. */
tg_status tg_pad_s8(const tg_pad_params *params, const int8_t *input, int8_t *output);

/* -- fast pooling -------------------------------------------------------------------------------
 * Channel sums 4 at a time (SXTAB16 into 16-bit lanes, 32-bit sums every 256 pixels). Lowering and
 * applicability: tinygen/fast/pooling.py. */

/*
 * tg_avgpool_fast_s8 - tg_avgpool_s8 (same tg_pool_params, same results: the average over the
 *   window elements inside the input, rounded half away from zero, clamped), faster. The division
 *   by the element count n is a multiplication by ceil(2^k / n) (exact for windows of up to 255
 *   elements; larger windows divide). Raster-order output, all channels of a pixel together.
 *   Returns TG_ERR_ARG if a window holds no input element. No scratch.
 */
tg_status tg_avgpool_fast_s8(const tg_pool_params *params,
                             const tg_dims *input_dims, const int8_t *input,
                             const tg_dims *output_dims, int8_t *output);
int32_t tg_avgpool_fast_s8_get_buffer_size(const tg_dims *input_dims, const tg_dims *output_dims);

/* MEAN over height and width of an NHWC tensor (parameters as in tg_mean_params; the multiplier
 * and shift include the division by H * W). */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t multiplier;
    int32_t shift;
} tg_mean_hw_params;

/*
 * tg_mean_hw_fast_s8 - output[n][c] = clamp(requantize(sum over h, w of (input[n][h][w][c] +
 *   input_offset)) + output_offset, -128, 127): tg_mean_s8 for a reduction over axes 1 and 2 of an
 *   NHWC tensor (the int32 sum wraps around like TFLite Micro's), output N x C. Output n, c is
 *   written after its whole image n was read (channels in order). No scratch.
 */
tg_status tg_mean_hw_fast_s8(const tg_mean_hw_params *params, const tg_dims *input_dims, const int8_t *input,
                             int8_t *output);
int32_t tg_mean_hw_fast_s8_get_buffer_size(const tg_dims *input_dims);

/* ------------------------------------------------------------------------------------------ */
/* Elementwise, data movement and reductions (kernels/src/basic)                               */
/* ------------------------------------------------------------------------------------------ */

/* Loop nest of a broadcasting binary elementwise kernel (ADD, SUB, MUL). The output is written
 * contiguously in loop order (outermost dimension first); along loop dimension d the element
 * offset of input k advances by stride<k>[d] (0 where input k is broadcast). The compiler merges
 * dimensions, so same-shape inputs are a single dimension with both strides 1. */
#define TG_BCAST_MAX_DIMS 6
typedef struct {
    int32_t rank;                        /* loop dimensions in use, 1..TG_BCAST_MAX_DIMS */
    int32_t shape[TG_BCAST_MAX_DIMS];    /* extent of each loop dimension */
    int32_t stride1[TG_BCAST_MAX_DIMS];  /* input1 element step per index of each dimension */
    int32_t stride2[TG_BCAST_MAX_DIMS];  /* input2 element step per index of each dimension */
} tg_broadcast;

/* ADD / SUB parameters (TFLite's general int8 rescaling): each input becomes
 * ((q + input_offset) * 2^left_shift) * multiplier (multipliers below one, shift <= 0); the sum
 * or difference is requantized by `output` and offset by output_offset. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    int32_t left_shift;   /* 20 for int8 */
    tg_quant input1;
    tg_quant input2;
    tg_quant output;
    tg_range activation;
} tg_add_params;

/* MUL parameters: out = requantize((q1 + input1_offset) * (q2 + input2_offset)) + output_offset. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    tg_quant output;
    tg_range activation;
} tg_mul_params;

/* tg_add_s8 - output = input1 + input2 with broadcasting as described by bcast. */
tg_status tg_add_s8(const tg_add_params *params, const tg_broadcast *bcast,
                    const int8_t *input1, const int8_t *input2, int8_t *output);

/* tg_sub_s8 - output = input1 - input2 with broadcasting as described by bcast. */
tg_status tg_sub_s8(const tg_add_params *params, const tg_broadcast *bcast,
                    const int8_t *input1, const int8_t *input2, int8_t *output);

/* tg_mul_s8 - output = input1 * input2 with broadcasting as described by bcast. */
tg_status tg_mul_s8(const tg_mul_params *params, const tg_broadcast *bcast,
                    const int8_t *input1, const int8_t *input2, int8_t *output);

/* Concatenation as byte copies: for k < outer, for each input i in order, copy_bytes[i] bytes
 * from inputs[i] + k * copy_bytes[i] to the output (copy_bytes[i] = input i's extent along the
 * axis times the element count of the inner dimensions times the element size). */
typedef struct {
    int32_t outer;              /* product of the dimensions before the axis */
    int32_t num_inputs;
    const int32_t *copy_bytes;  /* num_inputs entries */
} tg_concat_params;

/* tg_concatenation - joins num_inputs tensors of any element type (CONCATENATION). */
tg_status tg_concatenation(const tg_concat_params *params, const void *const *inputs, void *output);

/* Transposition as a gather over the output: loop dimension d has extent shape[d] and moves
 * in_stride[d] elements in the input; the output is written contiguously in loop order. The
 * compiler merges dimensions that stay adjacent, so rank is at most the tensor's rank. */
#define TG_TRANSPOSE_MAX_DIMS 5
typedef struct {
    int32_t rank;                            /* 1..TG_TRANSPOSE_MAX_DIMS */
    int32_t elem_size;                       /* bytes per element: 1, 2 or 4 */
    int32_t shape[TG_TRANSPOSE_MAX_DIMS];
    int32_t in_stride[TG_TRANSPOSE_MAX_DIMS];
} tg_transpose_params;

/* tg_transpose - permutes the dimensions of a tensor of any 1-, 2- or 4-byte element type. */
tg_status tg_transpose(const tg_transpose_params *params, const void *input, void *output);

/* Softmax parameters (see PreprocessSoftmaxScaling / CalculateInputRadius in TFLite): a
 * difference to the row maximum d (<= 0) is scaled as SRDHM(d * 2^input_left_shift,
 * input_multiplier) into Q5.26; differences below diff_min contribute nothing. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;  /* 0..31 */
    int32_t diff_min;
} tg_softmax_params;

/*
 * tg_softmax_s8 - softmax over the innermost dimension of rows x depth int8 values; the output
 *   has scale 1/256 and zero point -128. Bit-exact with TFLite Micro's int8 reference kernel.
 *   Where TFLite Micro aborts (a row whose sum of exponentials reaches 512, possible only for
 *   depth >= 512), every probability is below 1/512 and the row's outputs are all -128.
 *   The output may be the input buffer (in place).
 */
tg_status tg_softmax_s8(const tg_softmax_params *params, int32_t rows, int32_t depth,
                        const int8_t *input, int8_t *output);

/* Strided block copy: `blocks` blocks of `rows` rows of `row_bytes` contiguous bytes; strides in
 * bytes. Used by patch-based inference to place a patch's result in the full stage output and to
 * cut a sub-region out of a patch buffer. Rows may overlap (memmove semantics per row). */
typedef struct {
    int32_t blocks, rows, row_bytes;
    int32_t src_block_stride, src_row_stride;
    int32_t dst_block_stride, dst_row_stride;
} tg_copy_params;
tg_status tg_copy_region(const tg_copy_params *params, const void *src, void *dst);

/* -- fast ADD / SUB (same shapes, per-tensor quantization) ---------------------------------------
 * Built by tinygen/fast/elementwise.py (add_fast_applicable(), lower_add_fast()) from the
 * tg_add_params of the portable kernel; bit-exact with tg_add_s8 / tg_sub_s8 (TFLite Micro).
 * With TFLite's rescaling, the input with the larger scale always gets the multiplier 1/2 exactly,
 * so its term is exactly (q + offset) * 2^19 ("exact" input). The other input's term
 * RoundingDivideByPOT(SaturatingRoundingDoublingHighMul((q + offset) * 2^20, M), n) is computed as
 * SMMLAR((q + offset) * 2^21, M, round + (sign & sign_mask)) >> n, the output's likewise. */
typedef struct {
    int32_t exact_input;       /* 1 or 2: the input whose term is (q + offset) * 2^19 */
    int32_t exact_scale;       /* +-2^19: the exact term is exact_offset + q * exact_scale */
    int32_t exact_offset;      /* +-offset * 2^19 (the sign is the SUB sign of that input) */
    int32_t other_offset;      /* offset * 2^21 of the other input */
    int32_t other_multiplier;  /* Q31, in [2^30, 2^31) */
    int32_t other_round;       /* 2^(n-1), or 0 when n == 0 */
    int32_t other_sign_mask;   /* -1 when n >= 1, else 0 */
    int32_t other_shift;       /* right shift n, 0..31 */
    int32_t other_sign;        /* +1, or -1 for the subtrahend of a SUB */
    int32_t output_multiplier; /* Q31, in [2^30, 2^31) */
    int32_t output_round;      /* 2^(n-1) + output_offset * 2^n */
    int32_t output_shift;      /* right shift n >= 1 */
    tg_range activation;
} tg_add_fast_params;

/*
 * tg_add_fast_s8 - output[i] = input1[i] + input2[i] (or input1[i] - input2[i], see other_sign)
 *   for i < size, same shapes, bit-exact with tg_add_s8 / tg_sub_s8. Element i is written after
 *   elements 0..i of both inputs are read (the output may be either input, or overlap them as the
 *   elementwise write-order contract allows). No scratch (tg_add_fast_s8_get_buffer_size() is 0).
 */
tg_status tg_add_fast_s8(const tg_add_fast_params *params, int32_t size,
                         const int8_t *input1, const int8_t *input2, int8_t *output);
int32_t tg_add_fast_s8_get_buffer_size(int32_t size);

/* -- fast MUL (same shapes, per-tensor quantization) ----------------------------------------------
 * tinygen/fast/elementwise.py: mul_fast_applicable(), lower_mul_fast(). The product
 * p = (q1 + input1_offset) * (q2 + input2_offset) (|p| < 2^16) is requantized exactly as
 * TFLite Micro's MultiplyByQuantizedMultiplier(p, M, shift) + output_offset:
 * SMMLAR(p << left_shift, M, round + (sign(p) & sign_mask)) >> shift. */
typedef struct {
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t left_shift;   /* 1 + max(shift, 0) of TFLite's exponent (1..14) */
    int32_t multiplier;   /* Q31, in [2^30, 2^31) */
    int32_t round;        /* 2^(n-1) + output_offset * 2^n for a right shift n >= 1, output_offset for n = 0 */
    int32_t sign_mask;    /* -1 when n >= 1, else 0 */
    int32_t shift;        /* right shift n, 0..31 */
    tg_range activation;
} tg_mul_fast_params;

/* tg_mul_fast_s8 - output[i] = input1[i] * input2[i] for i < size, same shapes, bit-exact with
 *   tg_mul_s8. Element i is written after elements 0..i of both inputs are read. No scratch. */
tg_status tg_mul_fast_s8(const tg_mul_fast_params *params, int32_t size,
                         const int8_t *input1, const int8_t *input2, int8_t *output);
int32_t tg_mul_fast_s8_get_buffer_size(int32_t size);

/* ------------------------------------------------------------------------------------------ */
/* Activations, softmax and (de)quantization (kernels/src/activations, softmax, quantize)      */
/* ------------------------------------------------------------------------------------------ */

/* Elementwise activation kernels below take a flat element count `size`; the output may be the
 * same buffer as the input (each element is read before it is written). */

/* int8 -> int8 rescaling with a clamp: y = clamp(requant(x + input_offset) + output_offset). */
typedef struct {
    int32_t input_offset;   /* -input zero point */
    int32_t output_offset;  /* output zero point */
    tg_quant quant;         /* input scale / output scale */
    tg_range activation;    /* clamp range of y (RELU: [max(-128, output zero point), 127]) */
} tg_requantize_params;

/*
 * tg_requantize_s8 - int8 rescaling: QUANTIZE int8 -> int8 and RELU (clamped at the output zero
 * point). Double rounding as TFLite Micro's MultiplyByQuantizedMultiplier.
 */
tg_status tg_requantize_s8(const tg_requantize_params *params, int32_t size,
                           const int8_t *input, int8_t *output);

/*
 * tg_relu6_s8 - int8 RELU6 as TFLite Micro computes it: the stored values clamped to
 * [range->min, range->max] = [input zero point, quantized 6.0], no rescaling.
 */
tg_status tg_relu6_s8(const tg_range *range, int32_t size, const int8_t *input, int8_t *output);

/* LEAKY_RELU parameters. */
typedef struct {
    int32_t input_offset;     /* -input zero point */
    int32_t output_offset;    /* output zero point */
    tg_quant identity;        /* input scale / output scale, for x >= zero point */
    tg_quant alpha;           /* |alpha| * input scale / output scale, for x < zero point */
    int32_t alpha_negative;   /* nonzero: alpha < 0, the alpha branch is negated */
} tg_leaky_relu_params;

/* tg_leaky_relu_s8 - int8 LEAKY_RELU (output clamped to the int8 range). */
tg_status tg_leaky_relu_s8(const tg_leaky_relu_params *params, int32_t size,
                           const int8_t *input, int8_t *output);

/* LOGISTIC / TANH parameters: the input (plus offset) is rescaled to Q4.27 by a Q31 multiplier
 * and a left shift; at or beyond +-input_range_radius the output saturates. */
typedef struct {
    int32_t input_offset;        /* -input zero point */
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} tg_fixed_act_params;

/* tg_logistic_s8 - int8 LOGISTIC; the output is on scale 1/256 with zero point -128. */
tg_status tg_logistic_s8(const tg_fixed_act_params *params, int32_t size,
                         const int8_t *input, int8_t *output);

/* tg_tanh_s8 - int8 TANH; the output is on scale 1/128 with zero point 0. */
tg_status tg_tanh_s8(const tg_fixed_act_params *params, int32_t size,
                     const int8_t *input, int8_t *output);

/* HARD_SWISH parameters (16-bit fixed point, see kernels/src/activations/tg_hard_swish_s8.c). */
typedef struct {
    int32_t input_offset;        /* -input zero point */
    int32_t output_offset;       /* output zero point */
    int16_t output_multiplier;   /* Q15: input scale / 128 / output scale */
    int32_t output_shift;        /* <= 0 */
    int16_t reluish_multiplier;  /* Q15: input scale / 128 / (3 / 32768) */
    int32_t reluish_shift;
} tg_hard_swish_params;

/* tg_hard_swish_s8 - int8 HARD_SWISH: x * relu6(x + 3) / 6. */
tg_status tg_hard_swish_s8(const tg_hard_swish_params *params, int32_t size,
                           const int8_t *input, int8_t *output);

/* Per-tensor affine quantization of a float32 tensor: real = scale * (q - zero_point). */
typedef struct {
    float scale;
    int32_t zero_point;
} tg_affine_f32;

/*
 * tg_quantize_f32_s8 - float32 -> int8: clamp(round(x / scale) + zero_point), float32 division,
 * ties away from zero. Quotients outside the int32 range, infinities and NaN give what TFLite
 * Micro gives on x86-64: 127 if zero_point < 0, else -128.
 */
tg_status tg_quantize_f32_s8(const tg_affine_f32 *quant, int32_t size, const float *input, int8_t *output);

/* tg_dequantize_s8_f32 - int8 -> float32: scale * (q - zero_point), bit-identical to TFLite Micro. */
tg_status tg_dequantize_s8_f32(const tg_affine_f32 *quant, int32_t size, const int8_t *input, float *output);

/* ========================================================================================== */
/* Elementwise math (kernels/src/math): MAXIMUM, MINIMUM, PRELU, SQUARED_DIFFERENCE, RSQRT,      */
/* L2_NORMALIZATION                                                                            */
/* ========================================================================================== */

/* Element types of the type-independent kernels (MAXIMUM, MINIMUM, REDUCE_MAX, ARG_MAX, comparisons...). */
#define TG_DTYPE_INT8 0
#define TG_DTYPE_INT16 1
#define TG_DTYPE_INT32 2
#define TG_DTYPE_INT64 3
#define TG_DTYPE_FLOAT32 4
#define TG_DTYPE_BOOL 5

/*
 * tg_maximum / tg_minimum - elementwise maximum / minimum of two tensors of element type dtype
 *   (TG_DTYPE_*), broadcast as described by bcast (see tg_add_s8). Values are compared as stored:
 *   no requantization (TFLite Micro ignores the tensors' quantization). out = a > b ? a : b
 *   (maximum) and a < b ? a : b (minimum), so for float32 a NaN in a yields b.
 */
tg_status tg_maximum(int32_t dtype, const tg_broadcast *bcast, const void *input1, const void *input2,
                     void *output);
tg_status tg_minimum(int32_t dtype, const tg_broadcast *bcast, const void *input1, const void *input2,
                     void *output);

/* PRELU parameters: x = q + input_offset; out = requant(x, identity) for x >= 0, else
 * requant(x * (alpha + alpha_offset), alpha); plus output_offset, clamped to int8. */
typedef struct {
    int32_t input_offset;   /* -input zero point */
    int32_t alpha_offset;   /* -alpha zero point */
    int32_t output_offset;  /* output zero point */
    tg_quant identity;      /* input scale / output scale */
    tg_quant alpha;         /* input scale * alpha scale / output scale */
} tg_prelu_params;

/* tg_prelu_s8 - int8 PRELU with alpha broadcast against the input as described by bcast
 *   (stride1: input, stride2: alpha). */
tg_status tg_prelu_s8(const tg_prelu_params *params, const tg_broadcast *bcast, const int8_t *input,
                      const int8_t *alpha, int8_t *output);

/* tg_prelu_f32 - float32 PRELU: out = x >= 0 ? x : x * alpha, broadcast as described by bcast. */
tg_status tg_prelu_f32(const tg_broadcast *bcast, const float *input, const float *alpha, float *output);

/*
 * tg_squared_difference_s8 - int8 (a - b)^2 with broadcasting. Both inputs go to a common scale
 *   as in tg_add_s8 (left_shift 7 for int8), the difference is squared in int32 and requantized by
 *   params->output (twice the larger input scale squared / (2^14 * output scale)).
 */
tg_status tg_squared_difference_s8(const tg_add_params *params, const tg_broadcast *bcast,
                                   const int8_t *input1, const int8_t *input2, int8_t *output);

/* RSQRT parameters. */
typedef struct {
    int32_t input_zero_point;
    int32_t output_offset;  /* output zero point */
    tg_quant quant;         /* 1 / (sqrt(input scale) * output scale) */
} tg_rsqrt_params;

/*
 * tg_rsqrt_s8 - int8 1/sqrt(x) as TFLite Micro computes it: x = q - input_zero_point; x == 0
 *   gives 127; otherwise the fixed-point inverse square root of x (GetInvSqrtQuantizedMultiplierExp)
 *   requantized to the output. Returns TG_ERR_ARG at the first input below the zero point
 *   (TFLite Micro fails the inference: "Rsqrt is only defined for positive values").
 */
tg_status tg_rsqrt_s8(const tg_rsqrt_params *params, int32_t size, const int8_t *input, int8_t *output);

/* L2_NORMALIZATION parameters: `rows` vectors of `depth` elements (the last dimension). */
typedef struct {
    int32_t input_zero_point;
    int32_t rows;
    int32_t depth;
} tg_l2norm_params;

/*
 * tg_l2_normalization_s8 - x / ||x|| over each row of int8 values (x = q - zero point), on the
 *   output scale 1/128 with zero point 0 whatever the output tensor says (as TFLite Micro).
 *   Row r is written after it has been read in full; the output may be the input buffer.
 */
tg_status tg_l2_normalization_s8(const tg_l2norm_params *params, const int8_t *input, int8_t *output);

/*
 * tg_abs - |x| for int8 (with rescaling), int16 (symmetric, with rescaling) and float32
 *   (TFLite Micro's ABS): x = q - input zero point, |x| requantized by params->quant unless
 *   params->rescale is zero, plus the output offset, clamped to the type's range.
 */
typedef struct {
    int32_t dtype;          /* TG_DTYPE_INT8, TG_DTYPE_INT16 or TG_DTYPE_FLOAT32 */
    int32_t input_zero_point;
    int32_t output_offset;  /* output zero point */
    int32_t rescale;        /* nonzero: the scales differ, apply quant */
    tg_quant quant;         /* input scale / output scale */
} tg_abs_params;
tg_status tg_abs(const tg_abs_params *params, int32_t size, const void *input, void *output);

/* Rescaled sums (ADD_N, CUMSUM), TFLite's general int8 scheme: a value becomes
 * ((q + input_offset) * 2^left_shift) * input (a multiplier below one); a sum of such values is
 * requantized by `output` and offset by output_offset. As in TFLite Micro, every sum starts from
 * the rescaled input_offset itself (an extra -zero point term). */
typedef struct {
    int32_t input_offset;   /* -input zero point */
    int32_t output_offset;  /* output zero point */
    int32_t left_shift;     /* 20 */
    tg_quant input;
    tg_quant output;
} tg_sum_rescale;

/* tg_add_n_s8 - elementwise sum of num_inputs int8 tensors of `size` elements sharing one
 *   quantization; element i is written after every input's element i is read. */
tg_status tg_add_n_s8(const tg_sum_rescale *params, int32_t num_inputs, int32_t size,
                      const int8_t *const *inputs, int8_t *output);

/* tg_add_n_f32 - elementwise float32 sum, inputs added in order to 0.0f. */
tg_status tg_add_n_f32(int32_t num_inputs, int32_t size, const float *const *inputs, float *output);

/* CUMSUM parameters: the input is outer x depth x inner elements, summed along depth. */
typedef struct {
    tg_sum_rescale rescale;  /* int8 only */
    int32_t outer;
    int32_t depth;
    int32_t inner;
    int32_t exclusive;       /* nonzero: each output sums the elements before it */
    int32_t reverse;         /* nonzero: sums run from the end of the axis */
} tg_cumsum_params;

/* tg_cumsum_s8 / tg_cumsum_f32 - cumulative sum along one axis. Each element is read once, when
 *   its output is written, so the output may be the input buffer. */
tg_status tg_cumsum_s8(const tg_cumsum_params *params, const int8_t *input, int8_t *output);
tg_status tg_cumsum_f32(const tg_cumsum_params *params, const float *input, float *output);

/* Comparison parameters (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL). int8
 * values are compared on a common scale: ((q + offset) * 2^left_shift) * (the input's scale as a
 * multiplier below one); other types as stored. */
typedef struct {
    int32_t dtype;          /* TG_DTYPE_INT8, TG_DTYPE_INT32, TG_DTYPE_INT64, TG_DTYPE_FLOAT32 or
                               TG_DTYPE_BOOL */
    int32_t left_shift;     /* 8 */
    int32_t input1_offset;
    int32_t input2_offset;
    tg_quant input1;
    tg_quant input2;
} tg_compare_params;

/* tg_equal ... tg_less_equal - elementwise comparison with broadcasting (bcast as for
 *   tg_add_s8); bool output (one byte, 0 or 1). */
tg_status tg_equal(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                   const void *input2, uint8_t *output);
tg_status tg_not_equal(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                       const void *input2, uint8_t *output);
tg_status tg_greater(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                     const void *input2, uint8_t *output);
tg_status tg_greater_equal(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                           const void *input2, uint8_t *output);
tg_status tg_less(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                  const void *input2, uint8_t *output);
tg_status tg_less_equal(const tg_compare_params *params, const tg_broadcast *bcast, const void *input1,
                        const void *input2, uint8_t *output);

/* Loop nest of SELECT_V2: like tg_broadcast, with three inputs (condition, x, y). */
typedef struct {
    int32_t rank;
    int32_t shape[TG_BCAST_MAX_DIMS];
    int32_t stride_cond[TG_BCAST_MAX_DIMS];
    int32_t stride_x[TG_BCAST_MAX_DIMS];
    int32_t stride_y[TG_BCAST_MAX_DIMS];
} tg_broadcast3;

/* tg_select - out = cond ? x : y elementwise with broadcasting, elements of elem_size bytes
 *   (1, 2, 4 or 8), copied as they are. */
tg_status tg_select(int32_t elem_size, const tg_broadcast3 *bcast, const uint8_t *cond, const void *x,
                    const void *y, void *output);

/* ========================================================================================== */
/* Reductions (kernels/src/reduce): REDUCE_MAX, ARG_MAX, ARG_MIN (SUM runs on tg_mean_s8)       */
/* ========================================================================================== */

/* Reduction parameters: for each index of the outer nest (kept dimensions, in output order), one
 * output element from the inner nest (reduced dimensions, visited in input order). */
typedef struct {
    int32_t dtype;        /* TG_DTYPE_INT8 or TG_DTYPE_FLOAT32 */
    tg_loop_nest outer;
    tg_loop_nest inner;
} tg_reduce_params;

/* tg_reduce_max - maximum over the inner nest, starting from the type's lowest value (-FLT_MAX
 *   for float32) and keeping the current value unless the next one is greater (TFLite Micro's
 *   order, which decides between -0.0 and +0.0 and ignores NaN after the first element). */
tg_status tg_reduce_max(const tg_reduce_params *params, const void *input, void *output);

/* tg_reduce_min - minimum over the inner nest, starting from the type's largest value (FLT_MAX
 *   for float32), keeping the current value unless the next one is smaller. */
tg_status tg_reduce_min(const tg_reduce_params *params, const void *input, void *output);

/* ARG_MAX / ARG_MIN parameters: the input is outer x axis_size x inner elements. */
typedef struct {
    int32_t dtype;        /* TG_DTYPE_INT8 or TG_DTYPE_FLOAT32 */
    int32_t outer;
    int32_t axis_size;
    int32_t inner;
} tg_arg_params;

/* tg_arg_max / tg_arg_min - index along the axis of the first largest / smallest value (a later
 *   value replaces the current one only when strictly greater / smaller); int32 output of
 *   outer x inner elements. */
tg_status tg_arg_max(const tg_arg_params *params, const void *input, int32_t *output);
tg_status tg_arg_min(const tg_arg_params *params, const void *input, int32_t *output);

/* ========================================================================================== */
/* Matrix products (kernels/src/matmul): BATCH_MATMUL                                          */
/* ========================================================================================== */

/* BATCH_MATMUL parameters: out[r][c] = requant(sum_d (lhs[r][d] + lhs_offset) *
 * (rhs[d][c] + rhs_offset)) + output_offset, for every matrix of the batch loop nest. Element
 * (r, d) of a lhs matrix is at r * lhs_row_stride + d * lhs_depth_stride (transposed operands are
 * read in place), (d, c) of a rhs matrix at d * rhs_depth_stride + c * rhs_col_stride. */
typedef struct {
    int32_t lhs_offset;     /* -lhs zero point */
    int32_t rhs_offset;     /* -rhs zero point */
    int32_t output_offset;  /* output zero point */
    tg_quant quant;         /* lhs scale * rhs scale / output scale */
    int32_t rows;
    int32_t cols;
    int32_t depth;
    int32_t lhs_row_stride;
    int32_t lhs_depth_stride;
    int32_t rhs_depth_stride;
    int32_t rhs_col_stride;
    /* batch dimensions (broadcast): stride1 / stride2 are the element steps of the lhs / rhs
     * matrices; output matrices are consecutive, in loop order */
    tg_broadcast batch;
} tg_batch_matmul_params;

/* tg_batch_matmul_s8 - int8 batched matrix product, written matrix by matrix, row by row. */
tg_status tg_batch_matmul_s8(const tg_batch_matmul_params *params, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output);

/* ========================================================================================== */
/* Sequence operators with state (kernels/src/sequence): SVDF, UNIDIRECTIONAL_SEQUENCE_LSTM     */
/* The state (TFLite's variable tensors) lives in buffers the generated code keeps between     */
/* inferences, outside the arena; the kernels read and update it in place.                     */
/* ========================================================================================== */

/* SVDF parameters (int8 input and feature weights; the time weights and the state are int8 for
 * tg_svdf_s8, int16 for tg_svdf_s8_s16). units = filters / rank. */
typedef struct {
    int32_t batches;
    int32_t input_size;
    int32_t filters;
    int32_t rank;
    int32_t memory;            /* time steps kept per filter */
    int32_t input_offset;      /* -input zero point */
    int32_t state_zero_point;
    int32_t output_offset;     /* output zero point */
    tg_quant feature;          /* input scale * feature weights scale / state scale */
    tg_quant time;             /* state scale * time weights scale / output scale */
} tg_svdf_params;

/*
 * tg_svdf_s8 - one SVDF step, TFLite Micro's integer reference: the state [batches][filters]
 *   [memory] shifts left by one element, each filter's newest entry becomes
 *   state_zero_point + clamp(requant(feature weights . (input + input_offset))) (stored with
 *   two's-complement wrap-around, as TFLite Micro stores it), and output unit u is
 *   clamp(requant(bias[u] + sum over its `rank` filters of time weights . (state - zero point),
 *   time) + output_offset). No fused activation (TFLite Micro's integer path has none).
 *   No scratch memory.
 */
tg_status tg_svdf_s8(const tg_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output);
tg_status tg_svdf_s8_s16(const tg_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output);

/* One LSTM gate: gate = act(clamp16(requant(W_in . (x + input_offset) + bias, input_fc)) +
 * clamp16(requant(W_rec . (h + hidden_offset), recurrent_fc))), the sum saturated to int16 and the
 * activation applied on Q3.12 values (sigmoid, or tanh for the cell gate) giving Q0.15. */
typedef struct {
    const int8_t *input_weights;      /* [state_size][input_size] */
    const int8_t *recurrent_weights;  /* [state_size][state_size] */
    const int32_t *bias;              /* [state_size] */
    int32_t input_weights_offset;     /* -zero point of input_weights */
    int32_t recurrent_weights_offset; /* -zero point of recurrent_weights */
    tg_quant input_fc;                /* input scale * input weights scale / 2^-12 */
    tg_quant recurrent_fc;            /* hidden scale * recurrent weights scale / 2^-12 */
} tg_lstm_gate;

/* UNIDIRECTIONAL_SEQUENCE_LSTM parameters (int8 activations and weights, int16 cell state). */
typedef struct {
    int32_t batches;
    int32_t time_steps;
    int32_t input_size;
    int32_t state_size;
    int32_t time_major;          /* nonzero: input/output [time][batch][.], else [batch][time][.] */
    int32_t input_offset;        /* -input zero point */
    int32_t hidden_offset;       /* -hidden state zero point */
    int32_t hidden_zero_point;   /* zero point of the new hidden state */
    tg_lstm_gate forget_gate;
    tg_lstm_gate input_gate;
    tg_lstm_gate cell_gate;
    tg_lstm_gate output_gate;
    tg_quant forget_mul;         /* forget gate x cell state: 2^-15 (Q0.15 x cell -> cell) */
    tg_quant input_mul;          /* input gate x cell gate: 2^-30 / cell scale */
    tg_quant hidden_mul;         /* tanh(cell) x output gate: 2^-30 / hidden scale */
    int32_t cell_clip;           /* |cell state| bound in cell-state units, or -1: none */
    int32_t cell_tanh_multiplier; /* tanh(cell state) input rescaling: (c * multiplier + */
    int32_t cell_tanh_shift;      /* round) >> shift gives the table coordinate */
} tg_lstm_params;

/*
 * tg_unidirectional_sequence_lstm_s8 - every time step of a standard LSTM (no peephole, no
 *   projection, no layer normalization, no CIFG), TFLite Micro's 8x8->16 integer reference bit
 *   for bit. hidden_state [batches][state_size] (int8) and cell_state [batches][state_size]
 *   (int16) are read and updated; output receives the hidden state of every step. Scratch: one
 *   step's new hidden state, tg_unidirectional_sequence_lstm_s8_get_buffer_size() bytes.
 */
tg_status tg_unidirectional_sequence_lstm_s8(const tg_context *ctx, const tg_lstm_params *params,
                                             const int8_t *input, int8_t *hidden_state, int16_t *cell_state,
                                             int8_t *output);
int32_t tg_unidirectional_sequence_lstm_s8_get_buffer_size(int32_t state_size);
/* ------------------------------------------------------------------------------------------ */
/* Data movement (kernels/src/basic) -- SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, UNPACK,          */
/* SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD, RESIZE_NEAREST_NEIGHBOR, REVERSE_V2,            */
/* BROADCAST_TO, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND (tg_remap); GATHER; GATHER_ND           */
/* ------------------------------------------------------------------------------------------ */

/* A copy of blocks of block_bytes contiguous bytes, the output written contiguously in loop
 * order (outermost dimension first). The output block at loop index (i_0, ..., i_{rank-1}) is
 * read at input byte offset base + sum_d off_d(i_d), where a dimension is either affine
 * (table[d] == -1: off_d(i) = i * step[d], any sign) or tabulated (off_d(i) =
 * offsets[table[d] + i]). The compiler folds trailing contiguous dimensions into block_bytes and
 * merges dimensions that stay adjacent, so a slice is usually one or two loops. */
#define TG_REMAP_MAX_DIMS 6
typedef struct {
    int32_t rank;                      /* loop dimensions in use, 1..TG_REMAP_MAX_DIMS */
    int32_t block_bytes;               /* bytes copied per loop index, >= 1 */
    int32_t base;                      /* input byte offset of loop index (0, ..., 0) */
    int32_t shape[TG_REMAP_MAX_DIMS];  /* extent of each loop dimension, >= 1 */
    int32_t step[TG_REMAP_MAX_DIMS];   /* input bytes per index of an affine dimension */
    int32_t table[TG_REMAP_MAX_DIMS];  /* -1: affine; else the dimension's first entry in offsets */
    const int32_t *offsets;            /* input byte offsets of the tabulated dimensions, or NULL */
} tg_remap_params;

/*
 * tg_remap - the copy described above (any element type). Output blocks are written in loop
 *   order, each after it is read, so the output may start below the input by the gap the
 *   compiler computes from the read offsets (see tinygen/ops/remap.py).
 */
tg_status tg_remap(const tg_remap_params *params, const void *input, void *output);

/* GATHER as block copies: for each batch b, outer index o and position k (in order), the
 * inner_bytes bytes of input slice ((b * outer + o) * axis_size + positions[b * coords + k]) go
 * to the next inner_bytes bytes of the output. */
typedef struct {
    int32_t batches;      /* product of the batch dimensions (1 without batch_dims) */
    int32_t outer;        /* product of the input dimensions between the batch ones and the axis */
    int32_t coords;       /* positions per batch */
    int32_t axis_size;    /* input extent along the axis */
    int32_t inner_bytes;  /* input elements after the axis x element size */
} tg_gather_params;

/*
 * tg_gather - GATHER of any element type with int32 positions. A position outside
 *   [0, axis_size) returns TG_ERR_ARG before anything is written (TFLite Micro reads outside
 *   its input there).
 */
tg_status tg_gather(const tg_gather_params *params, const void *input, const int32_t *positions,
                    void *output);

/* GATHER_ND: for each of `slices` index tuples of `depth` int32 entries, the slice_size elements
 * at flat element position sum_j index[j] * stride[j] of the input. */
#define TG_GATHER_ND_MAX_DEPTH 5
typedef struct {
    int32_t slices;                          /* index tuples */
    int32_t depth;                           /* entries per tuple, 0..TG_GATHER_ND_MAX_DEPTH */
    int32_t stride[TG_GATHER_ND_MAX_DEPTH];  /* elements per index step of each indexed dimension */
    int32_t slice_size;                      /* elements per gathered slice */
    int32_t flat_size;                       /* elements of the input */
    int32_t elem_size;                       /* bytes per element */
} tg_gather_nd_params;

/*
 * tg_gather_nd - GATHER_ND of any element type. Like TFLite Micro, a tuple is only checked against
 *   the input's total size (an index past its own dimension reads into the next one); a slice
 *   outside the input returns TG_ERR_ARG (TFLite Micro's Eval fails there too).
 */
tg_status tg_gather_nd(const tg_gather_nd_params *params, const void *input, const int32_t *indices,
                       void *output);

/* ------------------------------------------------------------------------------------------ */
/* Resizing (kernels/src/resize) -- RESIZE_BILINEAR                                            */
/* ------------------------------------------------------------------------------------------ */

/* Bilinear interpolation tables in 1/1024 steps, computed by the compiler as TFLite Micro's
 * ResizeBilinearInteger does: for output row y, y_table[3y..3y+2] = {y0, y1, dy} (the two
 * input rows and the weight of y1, input_y - 1024 * y0); x_table likewise for columns. */
typedef struct {
    const int32_t *y_table;  /* 3 x output height */
    const int32_t *x_table;  /* 3 x output width */
} tg_resize_bilinear_params;

/*
 * tg_resize_bilinear_s8 - out = round(sum of the four neighbours x (1024 - dy or dy) x
 *   (1024 - dx or dx) / 2^20), halves away from zero, no requantization (TFLite Micro copies the
 *   stored values' scale). input_dims {N, H, W, C}, output_dims {N, OH, OW, C}.
 */
tg_status tg_resize_bilinear_s8(const tg_resize_bilinear_params *params,
                                const tg_dims *input_dims, const int8_t *input,
                                const tg_dims *output_dims, int8_t *output);

/* ------------------------------------------------------------------------------------------ */
/* Transposed convolution (kernels/src/conv) -- TRANSPOSE_CONV                                 */
/* ------------------------------------------------------------------------------------------ */

/* Transposed convolution parameters: input pixel (y, x) with filter tap (ky, kx) contributes
 * to output pixel (y * stride.h - padding.h + ky, x * stride.w - padding.w + kx). */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    tg_hw stride;
    tg_hw padding;
    tg_range activation;
} tg_transpose_conv_params;

/*
 * tg_transpose_conv_s8 - int8 transposed convolution, per-channel requantization.
 *   input_dims {N, H, W, C_in}; filter_dims {C_out, KH, KW, C_in}; bias: C_out int32 or NULL;
 *   output_dims {N, OH, OW, C_out}. Computed output pixel by output pixel (a gather over the
 *   contributing input pixels, in raster order, all channels of a pixel together), so it needs
 *   no scratch memory where TFLite Micro scatters into an int32 buffer of the whole output; the
 *   int32 sums wrap like TFLite Micro's, so the order of the additions does not matter.
 */
tg_status tg_transpose_conv_s8(const tg_transpose_conv_params *params, const tg_pc_quant *quant,
                               const tg_dims *input_dims, const int8_t *input,
                               const tg_dims *filter_dims, const int8_t *filter,
                               const int32_t *bias,
                               const tg_dims *output_dims, int8_t *output);

/* ========================================================================================== */
/* More TFLite Micro operators (issue 10, later group; branch ops-more):                      */
/* LOGICAL_AND/OR/NOT, CAST, ELU (tg_lut_s8), LOG_SOFTMAX, DIV, REDUCE_ALL, BROADCAST_ARGS,   */
/* DYNAMIC_UPDATE_SLICE, and the exactly rounded float32 NEG, SQUARE, SQRT, FLOOR, CEIL,      */
/* ROUND, FLOOR_DIV, FLOOR_MOD, L2_POOL_2D. All of this branch is in this one section.        */
/* ========================================================================================== */

/*
 * tg_logical_and / tg_logical_or - elementwise a && b / a || b of two bool tensors (one byte per
 *   element, 0 or 1), broadcast as described by bcast (see tg_add_s8); the output is 0 or 1.
 */
tg_status tg_logical_and(const tg_broadcast *bcast, const uint8_t *input1, const uint8_t *input2,
                         uint8_t *output);
tg_status tg_logical_or(const tg_broadcast *bcast, const uint8_t *input1, const uint8_t *input2,
                        uint8_t *output);

/* tg_logical_not - elementwise !x of a bool tensor (one byte per element); the output is 0 or 1. */
tg_status tg_logical_not(int32_t size, const uint8_t *input, uint8_t *output);

/*
 * tg_cast - converts size elements of type in_dtype (TG_DTYPE_INT8, INT16, INT32, FLOAT32 or BOOL)
 *   to out_dtype (TG_DTYPE_INT8, INT16, INT32, FLOAT32 or BOOL) as C++'s static_cast does in
 *   TFLite Micro, ignoring quantization: narrower integers keep their low bits (two's complement),
 *   bool reads as 0 or 1 and is written as x != 0 (NaN included); float32 -> integer truncates toward zero and saturates to the output type's
 *   range (infinities too), NaN gives 0, as the pinned TFLite Micro does.
 */
tg_status tg_cast(int32_t in_dtype, int32_t out_dtype, int32_t size, const void *input, void *output);

/* A 256-entry int8 table, indexed by the input value + 128 (computed by the compiler). */
typedef struct {
    const int8_t *table;
} tg_lut_params;

/* tg_lut_s8 - output[i] = table[input[i] + 128] (TFLite Micro's int8 ELU). Element i is written
 *   after it was read, so the output may overlap the input exactly. */
tg_status tg_lut_s8(const tg_lut_params *params, int32_t size, const int8_t *input, int8_t *output);

/* LOG_SOFTMAX parameters (TFLite Micro's PreprocessLogSoftmaxScalingExp with beta 1): input
 * differences go to Q5.26 by input_multiplier / input_left_shift (>= 0); reverse_scaling_divisor
 * / reverse_scaling_shift (<= 0) map a Q5.26 value back to input steps; differences below
 * diff_min are left out of the sum. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t reverse_scaling_divisor;
    int32_t reverse_scaling_shift;
    int32_t diff_min;
} tg_log_softmax_params;

/*
 * tg_log_softmax_s8 - int8 log-softmax over rows of depth values (the last dimension), output
 *   scale 16/256 and zero point 127 as TFLite Micro requires. Each row is read whole before its
 *   outputs are written, and output i after input i, so the output may overlap the input exactly.
 */
tg_status tg_log_softmax_s8(const tg_log_softmax_params *params, int32_t rows, int32_t depth,
                            const int8_t *input, int8_t *output);

/* DIV parameters. int8: x = q1 + input1_offset, y = q2 + input2_offset; out = output_offset +
 * x / y through TFLite Micro's fixed-point reciprocal of y and the multiplier `output` (input1
 * scale / (input2 scale * output scale)), clamped to `activation`. int32: a / b (truncating)
 * clamped to `activation`. float32: a / b clamped to [float_min, float_max]. */
typedef struct {
    int32_t dtype;           /* TG_DTYPE_INT8, TG_DTYPE_INT32 or TG_DTYPE_FLOAT32 */
    int32_t input1_offset;
    int32_t input2_offset;
    int32_t output_offset;
    tg_quant output;
    tg_range activation;
    float float_min;
    float float_max;
} tg_div_params;

/*
 * tg_div - elementwise input1 / input2 with broadcasting as described by bcast (see tg_add_s8).
 *   int8 reproduces TFLite Micro bit for bit, a divisor equal to its zero point included (TFLite
 *   Micro computes through without a check). An int32 division by zero or INT32_MIN / -1 returns
 *   TG_ERR_ARG (TFLite Micro traps). float32 NaN results carry the bits of TFLite Micro's x86-64
 *   build (0/0 is 0xFFC00000).
 */
tg_status tg_div(const tg_div_params *params, const tg_broadcast *bcast, const void *input1, const void *input2,
                 void *output);

/* Functions of tg_float_unary. */
#define TG_FUNARY_NEG 0
#define TG_FUNARY_SQUARE 1
#define TG_FUNARY_SQRT 2
#define TG_FUNARY_FLOOR 3
#define TG_FUNARY_CEIL 4
#define TG_FUNARY_ROUND 5

/*
 * tg_float_unary - elementwise float32 function (TG_FUNARY_*), each exactly rounded so that every
 *   target matches TFLite Micro bit for bit: -x, x * x, sqrtf, floorf, ceilf, and ROUND's halves
 *   to even; NaN results carry the bits of TFLite Micro's x86-64 build (the square root of a
 *   negative number is 0xFFC00000). Element i is written after it was read (the output may overlap
 *   the input exactly).
 */
tg_status tg_float_unary(int32_t function, int32_t size, const float *input, float *output);

/*
 * tg_floor_div_f32 - float32 floor(a / b) (computed in double, as TFLite Micro) with broadcasting
 *   as described by bcast. Returns TG_ERR_ARG, writing nothing, when any of the input2_size
 *   divisors is zero (TFLite Micro fails the inference).
 */
tg_status tg_floor_div_f32(const tg_broadcast *bcast, int32_t input2_size, const float *input1, const float *input2,
                           float *output);

/* tg_floor_mod_f32 - float32 a - floor(a / b) * b as TFLite Micro computes it (fmodf, then + b
 *   when the remainder's sign differs from b's), with broadcasting; NaN bits as on x86-64. */
tg_status tg_floor_mod_f32(const tg_broadcast *bcast, const float *input1, const float *input2, float *output);

/* L2_POOL_2D parameters: the window geometry of tg_pool_params and the fused activation's float
 * range. */
typedef struct {
    tg_hw stride;
    tg_hw padding;
    tg_hw filter;
    float activation_min;
    float activation_max;
} tg_l2pool_params;

/*
 * tg_l2pool_f32 - float32 sqrt(sum of squares / count) over the window elements inside the input
 *   (padding does not count), clamped to the activation range; input_dims {N, H, W, C},
 *   output_dims {N, OH, OW, C}, raster-order output. Returns TG_ERR_ARG if a window holds no input
 *   element.
 */
tg_status tg_l2pool_f32(const tg_l2pool_params *params, const tg_dims *input_dims, const float *input,
                        const tg_dims *output_dims, float *output);

/* tg_reduce_all - logical AND of bool values (one byte, 0 or 1) over the inner nest of params
 *   (dtype TG_DTYPE_BOOL); an output with no reduced element is true, as in TFLite Micro. */
tg_status tg_reduce_all(const tg_reduce_params *params, const uint8_t *input, uint8_t *output);

/*
 * tg_broadcast_args - output[out_len] = the broadcast of the shape vectors shape1[len1] and
 *   shape2[len2] (TG_DTYPE_INT32 or TG_DTYPE_INT64 elements), aligned at their ends: a size of 1
 *   (or a missing leading dimension) takes the other's. Returns TG_ERR_ARG for sizes that do not
 *   broadcast (TFLite Micro aborts). int64 sizes are read as int, as TFLite Micro does.
 */
tg_status tg_broadcast_args(int32_t dtype, int32_t len1, const void *shape1, int32_t len2, const void *shape2,
                            int32_t out_len, void *output);

/* DYNAMIC_UPDATE_SLICE parameters (ranks up to TFLite Micro's RuntimeShape small size). */
#define TG_DUS_MAX_DIMS 6
typedef struct {
    int32_t rank;
    int32_t element_size;                  /* bytes per element */
    int32_t indices_int64;                 /* start indices are int64 (else int32) */
    int32_t operand_dims[TG_DUS_MAX_DIMS];
    int32_t update_dims[TG_DUS_MAX_DIMS];  /* each 1..operand_dims[d] */
} tg_dus_params;

/*
 * tg_dynamic_update_slice - output = operand with update written at the start indices (rank
 *   values, read at run time, each clamped to [0, operand_dims[d] - update_dims[d]]). When the
 *   update is as large as the operand it is copied whole. output may be the operand itself (then
 *   only the update is written); otherwise they must not overlap.
 */
tg_status tg_dynamic_update_slice(const tg_dus_params *params, const void *operand, const void *update,
                                  const void *indices, void *output);

#ifdef __cplusplus
}
#endif

/* int16 activations (16x8) and packed int4 weights: tg_nn_precision.h */
#include "tg_nn_precision.h"

#endif /* TG_NN_H */
