"""The package structure: dependencies point one way (no import cycle among tinygen's packages),
operators depend only on leaf modules, and passes talk through typed results, not string keys."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import tinygen

PKG = Path(tinygen.__file__).resolve().parent

#: what tinygen/ops may import: the IR, quantization math, geometry, parameter structs, the kernel
#: library's compile-time queries (and the toolchain that builds it), the .tflite schema, errors
OPS_MAY_IMPORT = {"ops", "ir", "quant", "geometry", "cstruct", "kernel_library", "toolchain", "schema", "errors",
                  "cpus", "paths", "sanitize", "fast"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path) -> set[str]:
    """tinygen modules imported by a file, at any level (functions too), except under
    `if TYPE_CHECKING:`."""
    mod = _module_name(path)
    is_pkg = path.name == "__init__.py"
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    out: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for c in child.orelse:
                    visit(c)
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names if a.name.startswith("tinygen"))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = base[:len(base) - child.level + 1]
                    target = ".".join(parts + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target.startswith("tinygen"):
                    out.add(target)
                    for a in child.names:  # `from . import x` imports the submodule x
                        out.add(f"{target}.{a.name}")
            visit(child)

    visit(ast.parse(path.read_text()))
    return out


def _top(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def package_graph() -> dict[str, set[str]]:
    """tinygen's top-level packages and modules -> the ones they import."""
    tops = {p.stem if p.is_file() else p.name for p in PKG.iterdir()
            if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists())) and p.stem != "__init__"}
    graph: dict[str, set[str]] = {t: set() for t in tops}
    for path in PKG.rglob("*.py"):
        src = _top(_module_name(path))
        if src is None:
            continue
        for imp in _imports(path):
            dst = _top(imp)
            if dst is not None and dst != src and dst in tops:
                graph[src].add(dst)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycle_among_packages():
    cycles = _cycles(package_graph())
    assert not cycles, f"import cycles among tinygen's packages: {cycles}"


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_operators_depend_only_on_leaf_modules():
    g = package_graph()
    assert g["ops"] <= OPS_MAY_IMPORT, f"tinygen/ops imports {sorted(g['ops'] - OPS_MAY_IMPORT)}"
    for leaf in ("ir", "geometry", "cstruct", "quant", "errors", "sanitize", "cpus", "options", "fast"):
        assert g[leaf] <= {"ir", "cpus", "errors", "cstruct", "quant"}, \
            f"{leaf} should be a leaf but imports {sorted(g[leaf])}"
    for lower in ("memory", "patching", "codegen"):
        assert "passes" not in g[lower] and "compiler" not in g[lower], f"{lower} imports a higher layer"


def test_no_string_keyed_pass_communication():
    """Passes do not talk through op.notes / graph.meta dictionaries (they no longer exist)."""
    bad = []
    for path in PKG.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.(notes|meta)\b\s*[\[.(]|\b(notes|meta)\[", line):
                bad.append(f"{path.relative_to(PKG.parent)}:{n}: {line.strip()}")
    assert not bad, "\n".join(bad)


# -- one source of truth for kernel parameters ----------------------------------------------------

def test_every_parameter_dataclass_mirrors_its_c_struct():
    from tinygen.cstruct import REGISTRY
    from tinygen.kernel_library import check_struct
    from tinygen.ops import registry

    registry()  # imports every operator module, and with them their parameter dataclasses
    assert len(REGISTRY) >= 20
    for cls in REGISTRY:
        check_struct(cls)


def _drifted_mirrors():
    from tinygen.cstruct import HW, Range, cstruct

    @cstruct("tg_conv_params")
    @dataclass(frozen=True)
    class Swapped:  # output_offset and input_offset swapped
        output_offset: int
        input_offset: int
        stride: HW
        padding: HW
        dilation: HW
        activation: Range

    @cstruct("tg_conv_params")
    @dataclass(frozen=True)
    class Flat:  # a nested struct flattened
        input_offset: int
        output_offset: int
        stride: HW
        padding: HW
        dilation: HW
        activation: int

    @cstruct("tg_no_such_params")
    @dataclass(frozen=True)
    class Unknown:
        x: int

    return [(Swapped, "fields"), (Flat, "struct"), (Unknown, "does not declare")]


def test_a_drifted_mirror_is_refused(monkeypatch):
    from tinygen import cstruct
    from tinygen.kernel_library import StructMismatch, check_struct

    monkeypatch.setattr(cstruct, "REGISTRY", list(cstruct.REGISTRY))  # keep the test's classes out
    for cls, msg in _drifted_mirrors():
        cls.__annotations__ = {k: eval(v, vars(cstruct)) if isinstance(v, str) else v
                               for k, v in cls.__annotations__.items()}
        try:
            check_struct(cls)
        except StructMismatch as e:
            assert msg in str(e)
        else:
            raise AssertionError(f"{cls.__name__} was accepted")


def test_every_scratch_query_of_the_header_is_asked_by_an_operator():
    """A kernel with a *_get_buffer_size must have it queried (else its scratch goes unplanned)."""
    header = (PKG.parent / "kernels" / "include" / "tg_nn.h").read_text()
    queries = set(re.findall(r"\b(tg_\w+_get_buffer_size)\(", header))
    assert {"tg_conv_s8_get_buffer_size", "tg_depthwise_conv_s8_get_buffer_size",
            "tg_depthwise_conv_inplace_s8_get_buffer_size"} <= queries
    # the scalar-core entry points of the fast depthwise kernels exist for host tests only (the
    # generated code calls tg_depthwise_conv_fast_s8, which runs that core on cores without DSP)
    host_only = {"tg_depthwise_conv_fast_scalar_s8_get_buffer_size",
                 "tg_depthwise_conv_inplace_fast_scalar_s8_get_buffer_size"}
    assert host_only <= queries
    used = "\n".join(p.read_text() for p in (PKG / "ops").rglob("*.py"))
    missing = sorted(q for q in queries - host_only if f'"{q}"' not in used)
    assert not missing, f"never queried by an operator: {missing}"


def test_c_limits_are_read_from_the_header():
    from tinygen.kernel_library import constant

    header = (PKG.parent / "kernels" / "include" / "tg_nn.h").read_text()
    for name in ("TG_LOOP_NEST_MAX_DIMS", "TG_PAD_MAX_DIMS", "TG_BCAST_MAX_DIMS", "TG_TRANSPOSE_MAX_DIMS"):
        value = int(re.search(rf"#define {name} (\d+)", header).group(1))
        assert constant(name) == value
        assert re.search(rf"\b{name[3:]}\s*=\s*\d", "\n".join(p.read_text() for p in (PKG / "ops").glob("*.py"))) is None


# -- determinism -------------------------------------------------------------------------------------

def test_default_planner_budget_does_not_depend_on_the_clock(monkeypatch):
    """A slow machine gets the same plan: by default no wall-clock limit ends a search."""
    import time

    from tinygen.memory import Buffer, PlannerBudget, get_planner

    assert PlannerBudget().time_limit is None
    bufs = [Buffer(id=f"b{i}", size=s, first=f, last=l)
            for i, (s, f, l) in enumerate([(5, 0, 2), (3, 1, 3), (4, 2, 4), (6, 3, 5), (2, 0, 5), (7, 4, 6), (3, 5, 7)])]
    normal = get_planner("exact")(bufs, 1)
    clock = [0.0]

    def slow():  # every reading of the clock is an hour later
        clock[0] += 3600.0
        return clock[0]

    monkeypatch.setattr(time, "perf_counter", slow)
    assert dict(get_planner("exact")(bufs, 1)) == dict(normal)
