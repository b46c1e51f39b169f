"""Fast kernels' compile-time side: for each fast kernel variant of the C library, a predicate
(is the variant applicable and bit-exact for this layer?) and a lowering function (re-laid-out
weights, folded offsets, per-channel constants, parameter dataclasses).

Leaf modules: they import only numpy, tinygen.cstruct and tinygen.quant, so the operator
definitions (tinygen/ops/) can call them without import cycles.

- tinygen.fast.conv: CONV_2D (tg_conv_dsp_s8, tg_conv_scalar_s8) and FULLY_CONNECTED
  (tg_fully_connected_dsp_s8, tg_fully_connected_scalar_s8).
"""
