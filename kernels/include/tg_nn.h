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

/* @@DEPTHWISE@@ (declarations of depthwise-convolution kernels go here) */

/* ------------------------------------------------------------------------------------------ */
/* Fully connected and pooling (kernels/src/fully_connected, kernels/src/pooling)              */
/* ------------------------------------------------------------------------------------------ */

/* @@FC_POOL@@ */

/* ------------------------------------------------------------------------------------------ */
/* Elementwise, data movement and reductions (kernels/src/basic)                               */
/* ------------------------------------------------------------------------------------------ */

/* @@BASIC@@ */

/* ------------------------------------------------------------------------------------------ */
/* Activations, softmax and (de)quantization (kernels/src/activations, softmax, quantize)      */
/* ------------------------------------------------------------------------------------------ */

/* @@ACTIVATIONS@@ */

#ifdef __cplusplus
}
#endif

#endif /* TG_NN_H */
