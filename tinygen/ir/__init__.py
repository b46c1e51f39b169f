from .graph import Graph, ModelSource, Op
from .kernel import Gap, Kernel, Target
from .tensor import DTYPES, PACKED_BITS, Quant, Tensor, c_type, np_dtype, pack_int4, unpack_int4

__all__ = ["DTYPES", "PACKED_BITS", "pack_int4", "unpack_int4", "Gap", "Graph", "Kernel", "ModelSource", "Op", "Quant", "Target", "Tensor", "c_type", "np_dtype"]
