"""Building quantized test graphs without TensorFlow (used by tests and benchmarks)."""

from .builder import GraphBuilder

__all__ = ["GraphBuilder"]
