"""compile: .tflite (or Graph) -> CompiledModel -> C files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .codegen import generate_c
from .errors import TinygenError
from .frontend import load_tflite, parse_tflite
from .ir import Graph, Target
from .memory import MemoryPlan
from .memory.variants import VariantChoice
from .ops import op_def
from .options import CompileOptions
from .passes.fold_pad import FoldPadResult
from .passes.patch import PatchResult
from .passes.place_float_io import PlaceFloatIOResult
from .passes.remove_noops import RemoveNoopsResult
from .passes.pipeline import run_pipeline
from .passes.schedule import ScheduleResult
from .fsio import write_folder
from .names import model_name


@dataclass
class CompiledModel:
    name: str
    graph: Graph
    plan: MemoryPlan
    options: CompileOptions
    target: Target = field(default_factory=Target)
    #: the pipeline's typed results (None where the pass did not run)
    noops: RemoveNoopsResult | None = None
    float_io: PlaceFloatIOResult | None = None
    pads: FoldPadResult | None = None
    schedule: ScheduleResult | None = None
    patches: PatchResult | None = None
    variants: VariantChoice | None = None
    const_bytes: int = 0
    #: positions of the operators whose code calls TG_TRACE after it (set by code generation)
    traced_ops: tuple[int, ...] = ()
    _files: dict[str, str] | None = field(default=None, repr=False)

    @property
    def files(self) -> dict[str, str]:
        if self._files is None:
            self._files = generate_c(self)
        return self._files

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference (patch stages with their recomputed halos)."""
        return sum(op_def(op).macs(op) for op in self.graph.ops)

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def state_bytes(self) -> int:
        """Bytes of operator state (variable tensors: SVDF, LSTM), kept outside the arena."""
        return sum(t.nbytes for t in self.graph.tensors() if t.is_variable)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write <name>.c/.h into out_dir, both or neither (tinygen.fsio: staged on the
        destination's file system, then renamed into place; a failure restores what was there)."""
        return write_folder(out_dir, self.files)


def compile_graph(graph: Graph, options: CompileOptions | None = None) -> CompiledModel:
    options = options or CompileOptions()
    name = model_name(options.name, graph.name)
    c = run_pipeline(graph, options)
    return CompiledModel(name=name, graph=c.graph, plan=c.plan, options=options, target=c.target,
                         noops=c.noops, float_io=c.float_io, pads=c.pads, schedule=c.schedule, patches=c.patches, variants=c.variants)


def compile_model(model: str | Path | bytes | Graph, options: CompileOptions | None = None) -> CompiledModel:
    if isinstance(model, Graph):
        graph = model
    elif isinstance(model, (bytes, bytearray)):
        graph = parse_tflite(bytes(model))
    else:
        graph = load_tflite(model)
    cm = compile_graph(graph, options)
    _ = cm.files  # generate now, so errors surface here
    return cm


__all__ = ["CompiledModel", "compile_graph", "compile_model", "TinygenError"]
