"""Patch-based inference (MCUNetV2): run the memory-heavy first stage of a CNN one spatial patch
at a time, recomputing the overlapping halos, bit-exact with layer-by-layer execution."""
