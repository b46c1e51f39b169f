"""Building quantized test graphs without TensorFlow (used by tests and benchmarks).

Importing this package also loads every tinygen/testing/ops_*.py module, which attach their
GraphBuilder methods (b.softmax, b.depthwise_conv2d, ...) and register hypothesis cases.
"""

from . import strategies  # noqa: F401  (loads the op families)
from .builder import GraphBuilder

__all__ = ["GraphBuilder"]
