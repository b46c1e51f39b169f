"""Fast kernels' compile-time side: for each fast kernel variant of the C library, a predicate
(is the variant applicable and bit-exact for this layer?) and a lowering function (re-laid-out
weights, folded offsets, per-channel constants, parameter dataclasses).

Leaf modules: they import only numpy, tinygen.cstruct and tinygen.quant, so the operator
definitions (tinygen/ops/) can call them without import cycles. See each module's docstring for
its interface:

    tinygen.fast.conv         CONV_2D (tg_conv_dsp_s8, tg_conv_scalar_s8) and FULLY_CONNECTED
                              (tg_fully_connected_dsp_s8, tg_fully_connected_scalar_s8)
    tinygen.fast.depthwise    DEPTHWISE_CONV_2D (normal and in place; DSP and scalar cores)
    tinygen.fast.elementwise  ADD, SUB, MUL (same shape, per tensor)
    tinygen.fast.pooling      AVERAGE_POOL_2D, MEAN over height and width
"""
