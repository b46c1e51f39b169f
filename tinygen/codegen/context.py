"""EmitContext: what operator templates use to name memory, constants and scratch space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ir import Op, Tensor, c_type
from .cformat import c_array_body
from .sanitize import c_comment

if TYPE_CHECKING:  # pragma: no cover
    from ..compiler import CompiledModel


@dataclass
class ConstArray:
    name: str
    ctype: str
    count: int
    body: str
    comment: str
    nbytes: int


class EmitContext:
    def __init__(self, cm: "CompiledModel", env) -> None:
        self.cm = cm
        self.env = env
        self.prefix = cm.name
        self.arena = f"{cm.name}_arena"
        self.consts: list[ConstArray] = []
        self._by_key: dict[tuple, str] = {}
        self._by_tensor: dict[int, str] = {}
        #: storage class of the parameter structs operator templates declare: "static const" (in
        #: flash); "const" (built on the stack) inside patch loops, where values vary per patch
        self.storage = "static const"
        #: inside a patch stage: id(local tensor) -> pointer expression, id(op) -> (scratch, bytes)
        self.local_ptrs: dict[int, str] = {}
        self.local_scratch: dict[int, tuple[str, int]] = {}
        #: id(tensor) -> C parameter name, for graph inputs/outputs kept outside the arena
        self.external_io: dict[int, str] = {}
        from ..memory.liveness import alias_root_map

        self._roots = alias_root_map(cm.graph)

    # -- memory -----------------------------------------------------------------------------
    def ptr(self, t: Tensor | None) -> str:
        """C expression for a tensor's data pointer (typed as its element type)."""
        if t is None:
            return "NULL"
        if id(t) in self.local_ptrs:
            return self.local_ptrs[id(t)]
        if t.is_const:
            return self.const_tensor(t)
        root = self._roots.get(id(t), t)
        if root.is_const:  # an alias (e.g. RESHAPE) of a constant reads the constant itself
            return f"(({c_type(t.dtype)} *){self.const_tensor(root)})"
        if id(root) in self.external_io:
            param = self.external_io[id(root)]
            return f"(({c_type(t.dtype)} *){param})"
        off = self.cm.plan.tensor_offset(t)
        if off is None:
            raise RuntimeError(f"tensor {t.name!r} has no place in the memory plan")
        return self.arena_ptr(off, t.dtype)

    def arena_ptr(self, offset: int, dtype: str = "int8") -> str:
        if dtype == "int8":
            return f"(A + {offset})"
        return f"(({c_type(dtype)} *)(void *)(A + {offset}))"

    def scratch(self, op: Op) -> tuple[str, int]:
        if id(op) in self.local_scratch:
            return self.local_scratch[id(op)]
        s = self.cm.plan.scratch(op)
        if s is None:
            return "NULL", 0
        return f"(void *)(A + {s[0]})", s[1]

    def context_init(self, op: Op) -> str:
        """Initializer of a tg_context for the op's scratch buffer."""
        p, n = self.scratch(op)
        return f"{{{p}, {n}}}"

    # -- constants --------------------------------------------------------------------------
    def const_tensor(self, t: Tensor) -> str:
        name = self._by_tensor.get(id(t))
        if name is None:
            name = self.const(t.data, t.dtype, comment=f"tensor {t.source_index}: {t.name} {list(t.shape)}")
            self._by_tensor[id(t)] = name
        return name

    def const(self, arr: Any, dtype: str | None = None, comment: str = "") -> str:
        """Place an array in flash (deduplicated by content) and return its symbol."""
        a = np.asarray(arr)
        if dtype is None:
            dtype = {np.dtype(np.int8): "int8", np.dtype(np.int16): "int16", np.dtype(np.int32): "int32",
                     np.dtype(np.float32): "float32", np.dtype(np.uint8): "uint8"}[a.dtype]
        from ..ir.tensor import np_dtype

        a = np.ascontiguousarray(a, dtype=np_dtype(dtype)).reshape(-1)
        key = (dtype, a.tobytes())
        name = self._by_key.get(key)
        if name is None:
            name = f"{self.prefix}_c{len(self.consts)}"
            self._by_key[key] = name
            self.consts.append(ConstArray(name=name, ctype=c_type(dtype), count=max(a.size, 1),
                                          body=c_array_body(a, dtype), comment=c_comment(comment),
                                          nbytes=a.nbytes))
        return name

    # -- helpers for templates ----------------------------------------------------------------
    @staticmethod
    def dims(d) -> str:
        if hasattr(d, "c_init"):
            return d.c_init()
        s = tuple(d)
        s = (1,) * (4 - len(s)) + s
        return "{%d, %d, %d, %d}" % s

    def render(self, template: str, **kw) -> str:
        return self.env.get_template(template).render(ctx=self, **kw)
