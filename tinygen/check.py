"""Bit-exactness check of generated code against TensorFlow Lite Micro."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .compiler import CompiledModel, compile_model
from .errors import TinygenError
from .frontend.tflite import read_model_file
from .ir import Graph, Tensor, np_dtype
from .options import CompileOptions
from .reference import TFLMReference
from .reference.litert import LiteRTReference
from .reference.tflm import IsolatedTFLMReference, OraclePool
from .sanitize import quote_name
from .toolchain.host import HostModel, build_host


@dataclass
class CheckReport:
    model: str
    inputs_checked: int = 0
    bit_exact: bool = True
    mismatches: list[dict] = field(default_factory=list)
    first_diverging_op: dict | None = None
    arena_bytes: int = 0
    #: cross-check with LiteRT's reference kernels (when asked): inputs where its outputs equal
    #: ours, and the largest difference (LiteRT's FULLY_CONNECTED rounds once: +-1-2 steps)
    litert_identical: int | None = None
    litert_max_abs_diff: float | None = None
    #: with oracle_errors="report": why TFLM gave no reference (it cannot load or run the model)
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _float_input_quant(graph: Graph, t: Tensor):
    """The quantization of the QUANTIZE reading float input t (through layout operators)."""
    for op in graph.consumers(t):
        if op.kind == "QUANTIZE" and op.outputs[0].quant is not None:
            return op.outputs[0].quant
        if op.kind in ("TRANSPOSE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS") and op.inputs[0] is t:
            q = _float_input_quant(graph, op.outputs[0])
            if q is not None:
                return q
    return None


def random_inputs(graph: Graph, n: int, seed: int = 0) -> list[list[np.ndarray]]:
    """n random input sets covering each input's full quantized range (int8 uniform; float inputs
    spread over the range their QUANTIZE maps to int8)."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(n):
        xs = []
        for t in graph.inputs:
            if t.dtype == "float32":
                q = _float_input_quant(graph, t)
                if q is not None:
                    lo, hi = (-128 - q.zp - 2) * q.s, (127 - q.zp + 2) * q.s
                    xs.append(rng.uniform(lo, hi, size=t.shape).astype(np.float32))
                else:
                    xs.append(rng.normal(0, 1, size=t.shape).astype(np.float32))
            elif t.dtype == "bool":
                xs.append(rng.integers(0, 2, size=t.shape).astype(np.bool_))
            else:
                info = np.iinfo(np_dtype(t.dtype))
                xs.append(rng.integers(info.min, info.max + 1, size=t.shape).astype(np_dtype(t.dtype)))
        sets.append(xs)
    return sets


def load_input_file(path: str | Path, graph: Graph) -> list[np.ndarray]:
    """The input set in a .npy file: exactly the model input's shape (leading dimensions of size 1
    may be left out or added), its dtype (float inputs: any float dtype whose values float32 can
    hold, converted explicitly). Anything else is a one-line TinygenError naming the file."""
    p = Path(path)
    try:
        a = np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise TinygenError(f"{p}: no such input file") from None
    except IsADirectoryError:
        raise TinygenError(f"{p}: is a folder, expected a .npy file") from None
    except EOFError:
        raise TinygenError(f"{p}: not a readable .npy array (the file is empty or truncated)") from None
    except OSError as e:
        if e.errno is not None:
            raise TinygenError(f"{p}: cannot read: {e.strerror or e}") from None
        raise TinygenError(f"{p}: not a readable .npy array ({_short(e)})") from None
    except Exception as e:  # numpy raises ValueError, TypeError, SyntaxError... on corrupt headers
        raise TinygenError(f"{p}: not a readable .npy array ({type(e).__name__}: {_short(e)})") from None
    if isinstance(a, np.lib.npyio.NpzFile):
        a.close()
        raise TinygenError(f"{p}: expected a .npy array, got an .npz archive")
    if len(graph.inputs) != 1:
        raise TinygenError(f"{p}: the model has {len(graph.inputs)} inputs; pass one .npy per input set is only supported for single-input models")
    t = graph.inputs[0]
    want = np_dtype(t.dtype)
    shape, need = tuple(a.shape), tuple(t.shape)
    if _strip_ones(shape) != _strip_ones(need):
        raise TinygenError(f"{p}: has shape {list(shape)} ({a.size} values); the model input {quote_name(t.name)} "
                           f"needs {t.size} values in shape {list(need)}")
    if a.dtype != want:
        if t.dtype == "float32" and a.dtype.kind == "f":
            a = _to_float32(a, p)
        else:
            raise TinygenError(f"{p}: has dtype {a.dtype}, the model input {quote_name(t.name)} is {t.dtype}")
    elif a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise TinygenError(f"{p}: holds {int(np.sum(~np.isfinite(a)))} values that are not finite (inf or NaN)")
    return [a.reshape(need)]


def _short(e: BaseException, limit: int = 120) -> str:
    s = " ".join(str(e).split())
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _strip_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    """shape without its leading dimensions of size 1."""
    i = 0
    while i < len(shape) - 1 and shape[i] == 1:
        i += 1
    return shape[i:]


def _to_float32(a: np.ndarray, p: Path) -> np.ndarray:
    """A float array as float32, refused when a value is not finite or beyond float32's range."""
    finite = np.isfinite(a)
    if not np.all(finite):
        raise TinygenError(f"{p}: holds {int(np.sum(~finite))} values that are not finite (inf or NaN)")
    big = float(np.finfo(np.float32).max)
    if a.size and float(np.max(np.abs(a.astype(np.float64)))) > big:
        raise TinygenError(f"{p}: holds values beyond float32's range (|x| up to "
                           f"{float(np.max(np.abs(a.astype(np.float64)))):.3g}, float32 holds up to {big:.3g})")
    return a.astype(np.float32)


def _compare(ours: Sequence[np.ndarray], ref: Sequence[np.ndarray]) -> tuple[bool, float]:
    same, diff = True, 0.0
    for a, b in zip(ours, ref):
        a = np.asarray(a).reshape(-1)
        b = np.asarray(b).reshape(-1)
        if a.shape != b.shape:
            return False, float("inf")
        if a.dtype.kind == "f":
            eq = np.array_equal(a.view(np.uint32), b.astype(np.float32).view(np.uint32))
            with np.errstate(invalid="ignore"):  # inf - inf, NaN: the bit comparison decides
                d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))
        else:
            eq = np.array_equal(a, b)
            d = float(np.max(np.abs(a.astype(np.int64) - b.astype(np.int64)), initial=0))
        same = same and eq
        diff = max(diff, d)
    return same, diff


def first_diverging_op(cm: CompiledModel, host: HostModel, model_bytes: bytes, xs: Sequence[np.ndarray],
                       isolate: bool = False, history: Sequence[Sequence[np.ndarray]] = ()) -> dict | None:
    """Run both with every intermediate tensor kept; the first operator (in execution order)
    whose output differs. A stateful model first replays `history` (the inputs before xs) through
    both from the initial state, so that their states match the failing inference's."""
    if host.stateful:
        host.reset()
        for h in history:
            host.invoke(h)
    if isolate:
        ref = IsolatedTFLMReference(model_bytes, preserve_all_tensors=True)
    else:
        ref = TFLMReference(model_bytes, preserve_all_tensors=True)
    if host.stateful:
        for h in history:
            ref.run(h)
    _, records = host.trace(xs)
    if isolate:
        ref.want_tensors = [t for _, t, _ in records if t >= 0]
    ref.run(xs)
    ops = cm.graph.ops
    for pos, tidx, data in records:
        if tidx < 0:
            continue
        op = ops[pos]
        t = next((o for o in op.outputs if o.source_index == tidx), None)
        if t is None:
            continue
        ours = np.frombuffer(data, dtype=np_dtype(t.dtype))
        theirs = ref.tensor(tidx).reshape(-1)
        same, diff = _compare([ours], [theirs])
        if not same:
            return dict(position=pos, op_index=op.source_index, op=op.kind, tensor=t.name,
                        tensor_index=tidx, max_abs_diff=diff,
                        differing_elements=int(np.sum(ours.astype(np.int64) != theirs.astype(np.int64)))
                        if ours.dtype.kind != "f" else None)
    return None


def check_compiled(items: Sequence[tuple[CompiledModel, bytes]], n_random: int = 20,
                   extra_inputs: Sequence[Sequence[list[np.ndarray]]] | None = None,
                   seed: int = 0, diagnose: bool = True, isolate: bool = False,
                   litert: bool = False, labels: Sequence[str] | None = None,
                   oracle_pool: OraclePool | None = None, oracle_errors: str = "raise",
                   sanitize: bool = False) -> list[CheckReport]:
    """Check several compiled models, built into one host library. With isolate=True the TFLM
    oracle runs in a worker process (it can abort on some inputs; `oracle_pool` shares one worker
    among many calls). `labels` name the models in the reports (default: the model file's name).
    oracle_errors="report": when TFLM cannot load or run a model, its report says why (`error`)
    instead of raising. Models compiled with a guard (CompileOptions.guard) have their arena
    canaries checked after every operator (tinygen.guard). sanitize=True: the host library is
    built with AddressSanitizer and UndefinedBehaviorSanitizer and run in a child process
    (tinygen.toolchain.sanitize)."""
    if sanitize:
        from .toolchain.sanitize import build_sanitized

        hosts = build_sanitized([cm for cm, _ in items])
    else:
        hosts = build_host([cm for cm, _ in items])
    reports = []
    for k, ((cm, data), host) in enumerate(zip(items, hosts)):
        label = labels[k] if labels else (cm.graph.source.file_name if cm.graph.source else cm.name)
        rep = CheckReport(model=label, arena_bytes=cm.arena_bytes)
        ref = IsolatedTFLMReference(data, pool=oracle_pool) if isolate else None
        lite = None
        if litert:
            lite = LiteRTReference(data)
            rep.litert_identical, rep.litert_max_abs_diff = 0, 0.0
        sets = random_inputs(cm.graph, n_random, seed)
        if extra_inputs is not None:
            sets += list(extra_inputs[k])
        host.reset()  # stateful models: both start from the initial state, then run every set in turn
        if sanitize and sets:
            host.run_many(sets)  # every input in one sanitized child process
        for i, xs in enumerate(sets):
            ours = host.invoke(xs)
            try:
                if ref is None:
                    ref = TFLMReference(data)
                theirs = ref.run(xs)
            except TinygenError as e:
                if oracle_errors != "report":
                    raise
                rep.error = str(e)
                break
            if lite is not None:
                same_l, diff_l = _compare(ours, lite.run(xs))
                rep.litert_identical += int(same_l)
                rep.litert_max_abs_diff = max(rep.litert_max_abs_diff, diff_l)
            same, diff = _compare(ours, theirs)
            rep.inputs_checked += 1
            if not same:
                rep.bit_exact = False
                rep.mismatches.append(dict(input=i, kind="random" if i < n_random else "given",
                                           max_abs_diff=diff))
                if diagnose and not sanitize and rep.first_diverging_op is None:
                    rep.first_diverging_op = first_diverging_op(cm, host, data, xs, isolate=isolate,
                                                                history=sets[:i])
        reports.append(rep)
    return reports


def check_model(model: str | Path | bytes, n_random: int = 20, input_files: Sequence[str | Path] = (),
                options: CompileOptions | None = None, seed: int = 0,
                extra_inputs: Sequence[list[np.ndarray]] = (), isolate: bool = False,
                litert: bool = False, sanitize: bool = False) -> CheckReport:
    data = read_model_file(model) if not isinstance(model, (bytes, bytearray)) else bytes(model)
    cm = compile_model(model if not isinstance(model, (bytes, bytearray)) else data, options)
    given = [load_input_file(f, cm.graph) for f in input_files] + [list(x) for x in extra_inputs]
    return check_compiled([(cm, data)], n_random=n_random, extra_inputs=[given], seed=seed, isolate=isolate,
                          litert=litert, sanitize=sanitize)[0]
