"""The operator interface: one subclass of OpDef per TFLite builtin, registered by decorator.

Adding an operator touches about four files: tinygen/ops/<op>.py (this interface),
kernels/src/<family>/tg_<op>_s8.c (+ its declaration in kernels/include/tg_nn.h),
templates/ops/<op>.c.j2 (the call), and a test. The supported-ops table is the registry itself.

Life of an operator through the compiler:
  parse()    TFLite builtin options -> typed attrs              (frontend)
  check()    refuse unsupported types/shapes with a clear error  (before any C is written)
  infer()    output shapes from input shapes and attrs           (validation, test graph builder)
  prepare()  quantization math in Python -> typed params        (the `prepare` pass)
  emit()     C call through templates/ops/<kind>.c.j2            (codegen)
  write_options()  attrs -> TFLite builtin options               (.tflite writer for tests)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import UnsupportedError
from ..ir import Op, Tensor

if TYPE_CHECKING:  # pragma: no cover
    from ..codegen.context import EmitContext
    from ..patching.regions import Region

_REGISTRY: dict[str, "OpDef"] = {}


def register(cls: type["OpDef"]) -> type["OpDef"]:
    inst = cls()
    if cls.kind in _REGISTRY:
        raise RuntimeError(f"operator {cls.kind} registered twice")
    _REGISTRY[cls.kind] = inst
    return cls


def get_op_def(kind: str) -> "OpDef | None":
    _load_all()
    return _REGISTRY.get(kind)


def registry() -> dict[str, "OpDef"]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib
    import pkgutil

    from .. import ops as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("base", "common"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def unsupported(op: Op, why: str) -> UnsupportedError:
    """An error naming the operator, its index and its tensors."""
    ins = ", ".join(repr(t.name) for t in op.inputs if t is not None)
    outs = ", ".join(repr(t.name) for t in op.outputs)
    idx = "?" if op.source_index is None else op.source_index
    return UnsupportedError(f"operator {idx} ({op.kind}, inputs [{ins}] -> outputs [{outs}]): {why}")


@dataclass
class NoAttrs:
    pass


class OpDef:
    #: TFLite builtin operator name, e.g. "CONV_2D"
    kind: ClassVar[str] = ""
    #: name of the TFLite BuiltinOptions table, e.g. "Conv2DOptions" (None: no options)
    options: ClassVar[str | None] = None
    #: output is the input reinterpreted (RESHAPE, SQUEEZE, EXPAND_DIMS): no code, same memory
    alias: ClassVar[bool] = False
    #: template used by the default emit(); defaults to ops/<kind lowercase>.c.j2
    template: ClassVar[str | None] = None

    # -- front end ------------------------------------------------------------------------
    def parse(self, opts: Any, inputs: list[Tensor | None], outputs: list[Tensor]) -> Any:
        """TFLite builtin options (object-API instance, or None when absent) -> attrs."""
        return NoAttrs()

    def write_options(self, attrs: Any) -> Any:
        """attrs -> object-API options instance for the .tflite writer (None: no options)."""
        return None

    # -- checks -----------------------------------------------------------------------------
    def check(self, op: Op) -> None:
        """Raise `unsupported(op, ...)` for anything the kernels cannot do exactly."""

    def infer(self, op: Op) -> list[tuple[int, ...]]:
        """Output shapes implied by the inputs and attrs."""
        return [t.shape for t in op.outputs]

    # -- lowering ---------------------------------------------------------------------------
    def prepare(self, op: Op) -> Any:
        """Quantization math and kernel choice; the result becomes op.params."""
        return None

    def scratch_bytes(self, op: Op) -> int:
        """Bytes of scratch memory the kernel needs (from the C *_get_buffer_size query)."""
        return 0

    def emit(self, op: Op, ctx: "EmitContext") -> str:
        name = self.template or f"ops/{self.kind.lower()}.c.j2"
        return ctx.render(name, op=op, p=op.params)

    def macs(self, op: Op) -> int:
        """Multiply-accumulates of one inference (for reports and the patch search)."""
        return 0

    # -- memory ---------------------------------------------------------------------------------
    def overlap_gaps(self, op: Op) -> list[tuple[int, int, int]]:
        """Partial overlap the kernel tolerates: (input index, output index, gap bytes) such that
        the output may start `gap` bytes below that input when the input dies here (see
        tinygen.memory.overlap). Must follow the kernel's actual write order. Default: none."""
        return []

    # -- patch-based execution ------------------------------------------------------------------
    def input_regions(self, op: Op, out: "Region") -> "list[Region | None] | None":
        """For patch-based inference: the region (rows/columns) of each input that computing the
        output region `out` reads; None for an input read whole (weights, a broadcast vector).
        Returning None (the default) means the operator cannot run on patches."""
        return None
