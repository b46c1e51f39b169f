from .graph import Graph, Op
from .tensor import DTYPES, Quant, Tensor, c_type, np_dtype

__all__ = ["Graph", "Op", "Quant", "Tensor", "DTYPES", "c_type", "np_dtype"]
