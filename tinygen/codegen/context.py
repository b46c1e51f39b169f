"""EmitContext: what operator templates use to name memory, constants and scratch space, and to
declare kernel parameter structs."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..cstruct import ctype_of, render_initializer
from ..ir import Op, Tensor, c_type, np_dtype, pack_int4
from ..kernel_library import check_struct
from ..ops import op_def
from ..sanitize import c_comment, c_identifier
from .cformat import c_array_body

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


@dataclass
class PatchScope:
    """Inside a patch stage: pointers of the per-patch local tensors and scratch of local ops."""

    ptrs: dict[int, str] = field(default_factory=dict)
    scratch: dict[int, tuple[str, int]] = field(default_factory=dict)


_DTYPE_NAMES = {np.dtype(np.int8): "int8", np.dtype(np.int16): "int16", np.dtype(np.int32): "int32",
                np.dtype(np.float32): "float32", np.dtype(np.uint8): "uint8", np.dtype(np.int64): "int64"}


class EmitContext:
    def __init__(self, cm: "CompiledModel", env) -> None:
        self.cm = cm
        self.env = env
        self.prefix = cm.name
        self.arena = f"{cm.name}_arena"
        self.consts: list[ConstArray] = []
        self._by_key: dict[tuple, str] = {}
        self._by_tensor: dict[int, str] = {}
        self._names: set[str] = set()
        #: storage class of the parameter structs operator templates declare: "static const" (in
        #: flash); "const" (built on the stack) inside patch loops, where values vary per patch
        self.storage = "static const"
        self._scope: PatchScope | None = None
        #: id(tensor) -> C parameter name, for graph inputs/outputs kept outside the arena
        self.external_io: dict[int, str] = {}
        #: id(variable tensor) -> the symbol of its persistent buffer (operator state)
        self.state: dict[int, str] = {}
        #: the operator being emitted and the name part of its constants (e.g. "conv_2d_3")
        self.op: Op | None = None
        self._label = "model"

    # -- scopes -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def emitting(self, op: Op, label: str) -> Iterator[None]:
        """Emit `op`: its constants are named after `label`."""
        saved = self.op, self._label
        self.op, self._label = op, c_identifier(label, "op")
        try:
            yield
        finally:
            self.op, self._label = saved

    @contextlib.contextmanager
    def naming(self, label: str) -> Iterator[None]:
        saved = self._label
        self._label = c_identifier(label, "op")
        try:
            yield
        finally:
            self._label = saved

    @contextlib.contextmanager
    def patch_scope(self) -> Iterator[PatchScope]:
        """Emit the body of a patch loop: local tensors and scratch as given in the scope;
        parameter structs on the stack (their values may come from the per-patch table)."""
        saved = self._scope, self.storage
        self._scope, self.storage = PatchScope(), "const"
        try:
            yield self._scope
        finally:
            self._scope, self.storage = saved

    # -- memory -----------------------------------------------------------------------------
    def ptr(self, t: Tensor | None) -> str:
        """C expression for a tensor's data pointer (typed as its element type)."""
        if t is None:
            return "NULL"
        if self._scope is not None and id(t) in self._scope.ptrs:
            return self._scope.ptrs[id(t)]
        if t.is_const:
            return self.const_tensor(t)
        if t.is_variable:
            return self.state[id(t)]
        root = self.cm.plan.memory_of(t)
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
        if self._scope is not None and id(op) in self._scope.scratch:
            return self._scope.scratch[id(op)]
        s = self.cm.plan.scratch(op)
        if s is None:
            return "NULL", 0
        return f"(void *)(A + {s[0]})", s[1]

    def scratch_offset(self, op: Op) -> int:
        s = self.cm.plan.scratch(op)
        return s[0] if s else 0

    def context_init(self, op: Op) -> str:
        """Initializer of a tg_context for the op's scratch buffer."""
        p, n = self.scratch(op)
        return f"{{ .buf = {p}, .size = {n} }}"

    def context_decl(self, op: Op, name: str = "scratch") -> str:
        """`<storage> tg_context <name> = {...};` for the op's scratch buffer: in flash (static, the
        arena's address plus the buffer's offset) outside patch loops, on the stack inside them."""
        p, n = self.scratch(op)
        if self.storage.startswith("static") and self._scope is None:
            s = self.cm.plan.scratch(op)
            p = "NULL" if s is None else f"(void *)({self.arena} + {s[0]})"
        return f"{self.storage} tg_context {name} = {{ .buf = {p}, .size = {n} }};"

    # -- constants --------------------------------------------------------------------------
    def _role(self, t: Tensor) -> str:
        op = self.op
        if op is not None:
            names = op_def(op).input_names
            for i, x in enumerate(op.inputs):
                if x is t:
                    return names[i] if i < len(names) else f"input{i}"
        return "const"

    def const_tensor(self, t: Tensor) -> str:
        name = self._by_tensor.get(id(t))
        if name is None:
            data, dtype = t.data, t.dtype
            if dtype == "int4":  # packed two per byte in TFLite's order, as the int4 kernels read it
                data, dtype = pack_int4(t.data), "uint8"
            name = self.const(data, dtype, comment=f"tensor {t.source_index}: {t.name} {list(t.shape)}"
                              + (" int4, packed" if t.dtype == "int4" else ""),
                              role=self._role(t))
            self._by_tensor[id(t)] = name
        return name

    def _unique(self, base: str) -> str:
        name, k = base, 2
        while name in self._names:
            name = f"{base}_{k}"
            k += 1
        self._names.add(name)
        return name

    def const(self, arr: Any, dtype: str | None = None, comment: str = "", role: str = "const") -> str:
        """Place an array in flash (deduplicated by content) and return its symbol,
        <model>_<operator>_<role>, e.g. vww_conv_2d_3_filter."""
        a = np.asarray(arr)
        if dtype is None:
            dtype = _DTYPE_NAMES[a.dtype]
        a = np.ascontiguousarray(a, dtype=np_dtype(dtype)).reshape(-1)
        key = (dtype, a.tobytes())
        name = self._by_key.get(key)
        if name is None:
            name = self._unique(f"{self.prefix}_{self._label}_{c_identifier(role, 'const')}")
            self._by_key[key] = name
            self.consts.append(ConstArray(name=name, ctype=c_type(dtype), count=max(a.size, 1),
                                          body=c_array_body(a, dtype), comment=c_comment(comment or role),
                                          nbytes=a.nbytes))
        return name

    # -- kernel parameter structs -------------------------------------------------------------
    def _placed(self, value: Any, path: str) -> Any:
        """`value` with every array replaced by the name of its constant in flash."""
        if isinstance(value, np.ndarray):
            return self.const(value, comment=f"{self._label} {path}", role=path)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self._placed(getattr(value, f.name), f"{path}_{f.name}" if path else f.name)
                       for f in dataclasses.fields(value)}
            c = object.__new__(type(value))
            for k, v in changes.items():
                object.__setattr__(c, k, v)
            return c
        return value

    def decl(self, name: str, value: Any) -> str:
        """`<storage> <ctype> <name> = { .field = ... };` for a @cstruct dataclass instance; its
        arrays go to flash as named constants. The dataclass is checked against tg_nn.h."""
        check_struct(type(value))
        role = re.sub(r"^params$", "", name)
        init = render_initializer(self._placed(value, role))
        return f"{self.storage} {ctype_of(value)} {name} = {init};"

    @staticmethod
    def dims(d) -> str:
        return render_initializer(d)

    def render(self, template: str, **kw) -> str:
        return self.env.get_template(template).render(ctx=self, **kw)
