from .graph import Graph, ModelSource, Op
from .kernel import Gap, Kernel, Target
from .tensor import DTYPES, Quant, Tensor, c_type, np_dtype

__all__ = ["DTYPES", "Gap", "Graph", "Kernel", "ModelSource", "Op", "Quant", "Target", "Tensor", "c_type", "np_dtype"]
