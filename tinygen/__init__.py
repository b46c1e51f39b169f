"""tinygen: int8 TensorFlow Lite models to static C for Cortex-M, bit-exact with TFLite Micro."""

__version__ = "0.1.0"
