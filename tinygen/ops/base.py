"""The operator interface: one subclass of OpDef per TFLite builtin, registered by decorator.

Adding an operator touches about four files: tinygen/ops/<op>.py (this interface),
kernels/src/<family>/tg_<op>_s8.c (+ its declaration in kernels/include/tg_nn.h),
templates/ops/<op>.c.j2 (the call), and a test. The supported-ops table is the registry itself.

Life of an operator through the compiler:
  parse()    TFLite builtin options -> typed attrs              (frontend)
  check()    refuse unsupported types/shapes with a clear error  (before any C is written)
  infer()    output shapes from input shapes and attrs           (validation, test graph builder)
  lower()    kernel choice for the target and its typed arguments: the quantization math in
             Python (requantization multipliers, padding...), scratch size from the kernel's own
             *_get_buffer_size, overlap its write order allows                (the `lower` pass)
  variants() every kernel the operator can run with on the target, fastest first (e.g. a DSP
             kernel with a large scratch buffer, the same with smaller ones, the portable kernel):
             the `memory_opt` pass keeps the fastest that does not grow the arena
  inplace_variant()  the variant writing its output over its input, if the kernel has one
                                                                           (the `memory_opt` pass)
  emit()     C call through the kernel's template                (codegen)
  macs(), input_regions()  multiply-accumulates, and the input region an output region reads
                                                                 (reports, patch-based inference)
  patch_op() the operator on one patch's buffers (patch-based inference)
  write_options()  attrs -> TFLite builtin options               (.tflite writer for tests)

Operators depend only on leaf modules (the IR, quantization math, geometry, the kernel library's
queries, errors); the passes, memory planning, patching and code generation call these hooks.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import UnsupportedError
from ..geometry import Region
from ..ir import Gap, Kernel, Op, Target, Tensor
from ..sanitize import quote_name

if TYPE_CHECKING:  # pragma: no cover
    from ..codegen.context import EmitContext

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


def op_def(op: Op) -> "OpDef":
    """The definition of an operator the `check` pass accepted."""
    d = get_op_def(op.kind)
    if d is None:
        raise unsupported(op, f"operator type {op.kind} is not supported by tinygen")
    return d


def registry() -> dict[str, "OpDef"]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


_LOADED = False


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    pkg = importlib.import_module(__name__.rsplit(".", 1)[0])
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("base", "common"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def unsupported(op: Op, why: str) -> UnsupportedError:
    """An error naming the operator, its index and its tensors."""
    ins = ", ".join(quote_name(t.name) for t in op.inputs if t is not None)
    outs = ", ".join(quote_name(t.name) for t in op.outputs)
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
    #: C function of the portable kernel (the default lower() calls it)
    function: ClassVar[str | None] = None
    #: names of the inputs, for the names of constants in the generated C (default: input0...)
    input_names: ClassVar[tuple[str, ...]] = ()
    #: the operator only moves stored values, no arithmetic (slices, splits, gathers...): its
    #: tensors may have any element type the operator accepts, float32 included
    moves_values: ClassVar[bool] = False
    #: the operator also computes on float32 (type-independent comparisons, MAXIMUM, REDUCE_MAX,
    #: and float32 kernels): its check() says which types; otherwise the `check` pass refuses
    #: float32 tensors as a float model
    float_types: ClassVar[bool] = False

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
        """The portable kernel's arguments (quantization math in Python)."""
        return None

    def lower(self, op: Op, target: Target) -> Kernel:
        """The kernel this operator calls on `target`, with its arguments. The default: the
        portable kernel with prepare()'s arguments. Operators with faster variants override it."""
        return self.kernel(op, self.prepare(op))

    def variants(self, op: Op, target: Target) -> list[Kernel]:
        """The kernels this operator can run with on `target`, fastest first, each with its
        scratch bytes; the last is the leanest (least scratch). The default: lower()'s alone."""
        return [self.lower(op, target)]

    def inplace_variant(self, op: Op, target: Target) -> Kernel | None:
        """A kernel writing output 0 over input 0 (they then share memory), or None when the
        operator has none for these shapes. The memory_opt pass decides whether to use it."""
        return None

    def kernel(self, op: Op, args: Any, *, variant: str = "portable", function: str | None = None,
               template: str | None = None, scratch_bytes: int = 0, inplace: bool = False,
               overlap: tuple[Gap, ...] | None = None) -> Kernel:
        """A Kernel of this operator (defaults: the portable function, ops/<kind>.c.j2, the
        overlap of overlap_gaps())."""
        return Kernel(variant=variant, function=function or self.function, args=args,
                      template=template or f"ops/{self.kind.lower()}.c.j2", scratch_bytes=int(scratch_bytes),
                      inplace=inplace, overlap=tuple(self.overlap_gaps(op)) if overlap is None else tuple(overlap))

    def emit(self, op: Op, ctx: "EmitContext") -> str:
        k = op.kernel
        if k is None:
            raise RuntimeError(f"{op.label} was not lowered")
        return ctx.render(k.template, op=op, k=k, a=k.args)

    def macs(self, op: Op) -> int:
        """Multiply-accumulates of one inference (for reports and the patch search)."""
        return 0

    # -- memory ---------------------------------------------------------------------------------
    def overlap_gaps(self, op: Op) -> list[Gap]:
        """Partial overlap the portable kernel tolerates: (input index, output index, gap bytes)
        such that the output may start `gap` bytes below that input when the input dies here (see
        tinygen.geometry). Must follow the kernel's actual write order. Default: none."""
        return []

    # -- patch-based execution ------------------------------------------------------------------
    def input_regions(self, op: Op, out: Region) -> list[Region | None] | None:
        """For patch-based inference: the region (rows/columns) of each input that computing the
        output region `out` reads; None for an input read whole (weights, a broadcast vector).
        Returning None (the default) means the operator cannot run on patches."""
        return None

    #: how the operator runs on a patch (tinygen.patching.lower): False (elementwise operators):
    #: every input read over a region must hold exactly the output's region (the patch pass copies
    #: that region out of a larger buffer); True: local_attrs() places the regions, and the kernel
    #: reads the inputs' buffers in place (windowed operators, resizing, transposed convolution)
    places_regions: ClassVar[bool] = False

    def local_attrs(self, op: Op, in_regions: list[Region | None], out_region: Region) -> Any:
        """The attrs of the operator run on one patch, computing `out_region` of its output while
        its inputs' buffers hold `in_regions` of them (None: a constant). Only called when
        places_regions is True; the default keeps the model operator's attrs."""
        return op.attrs

    def patch_op(self, op: Op, inputs: list[Tensor | None], output: Tensor, buffers: list[Region | None],
                 out: Region) -> Op:
        """The operator run on one patch: it reads `inputs` (patch buffers holding the regions
        `buffers` of the model operator's inputs: the region input_regions() gives unless the
        operator places regions; None for inputs passed whole) and writes `output`, the region
        `out` of the model operator's output. Default: the model operator with local_attrs()
        (elementwise operators, TRANSPOSE... keep their attrs). Operators whose other inputs depend
        on where the patch lies (PAD's paddings) override it."""
        attrs = self.local_attrs(op, buffers, out) if self.places_regions else op.attrs
        return Op(kind=op.kind, inputs=list(inputs), outputs=[output], attrs=attrs, source_index=op.source_index)

    @property
    def patchable(self) -> bool:
        """The operator can run on spatial patches (it defines input_regions)."""
        return type(self).input_regions is not OpDef.input_regions
