"""Fast kernels: applicability predicates and compile-time lowering (leaf modules).

Each module here decides, from a layer's shapes, quantization numbers and weights alone, whether a
fast kernel of kernels/src computes the layer bit-exactly (and is worth it), and computes everything
that kernel needs at compile time (re-laid-out weights, folded offsets, requantization constants,
loop constants). They import only numpy, tinygen.cstruct and tinygen.quant, so the operator
definitions (tinygen/ops) can call them without import cycles. See each module's docstring for its
interface:

    tinygen.fast.depthwise    DEPTHWISE_CONV_2D (normal and in-place; DSP and scalar cores)
    tinygen.fast.elementwise  ADD (same-shape, per-tensor)
    tinygen.fast.pooling      AVERAGE_POOL_2D, MEAN over height and width
"""
