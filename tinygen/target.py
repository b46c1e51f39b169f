"""Run a model on an emulated Cortex-M board and measure it.

    report = run_on_board("vww_96_int8.tflite", "NUCLEO-F411RE")
    report.outputs_match_reference, report.flash_bytes, report.sram_peak_bytes, report.fits

Steps: compile (with the board's arena alignment) -> build the firmware for the board (and, in
parallel, the host library) -> emulate from reset for every input -> compare every output with
TensorFlow Lite Micro and with the host build (bit-identical) -> sizes from the ELF, peak stack from
the emulator -> budget check against the board.

Budgets: flash bytes (.text + .rodata + .data, boot headers included) against the board's flash
size; peak SRAM (static .data + .bss, which hold the arena, plus the measured peak stack) against
the board's main RAM (the contiguous SRAM run the linker places data in; see tinygen.boards).
A model that does not fit is still measured (through a measurement build with enlarged memories)
and reported with fits = False; budget_messages say which budget is exceeded and by how much.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .backends import open_backend
from .boards import Board, load_board
from .check import _compare as cmp
from .check import load_input_file, random_inputs
from .compiler import CompiledModel, compile_model
from .emulator import CortexM
from .emulator.costmodel import CORE_TIMINGS, estimate_cycles
from .emulator.faults import MODEL_ERROR, EmulatorFault
from .errors import BudgetError, MismatchError, TinygenError
from .ir import Graph, np_dtype
from .ops import op_def
from .options import CompileOptions
from .reference import TFLMReference
from .sanitize import quote_name
from .toolchain.arm import build_firmware, build_program, render_support_sources
from .toolchain.elfinfo import ElfInfo, flash_by_object
from .toolchain.host import build_host

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TargetOptions:
    #: compiler optimization: "O2" (default) or "Os" (with newlib-nano); O0, O1, O3 also work
    opt: str = "O2"
    #: stack reservation in bytes (default: the board's stack_bytes)
    stack_bytes: int | None = None
    #: a run executing more instructions is stopped with an "instruction limit" fault; None: the
    #: default for the model (instruction_limit(): a generous multiple of its MACs plus a floor)
    max_instructions: int | None = None
    #: wall-clock limit per emulation phase, seconds (None: only the instruction limit)
    timeout_s: float | None = None
    #: compare with the host build too (TFLM is always compared when the model bytes are known)
    check_host: bool = True
    #: per-operator profile (RunReport.per_op): a second, profiling build of the firmware is run
    profile: bool = False
    #: where the firmware runs: "unicorn" (default), "qemu", "qemu:MACHINE" or "gdb://HOST:PORT"
    #: (tinygen.backends)
    on: str = "unicorn"


@dataclass
class RunReport:
    model: str
    board: str
    core: str
    fpu: str
    opt: str
    #: every emulated output bit-identical to TFLM and to the host build (those that were run)
    outputs_match_reference: bool = False
    outputs_match_tflm: bool | None = None
    outputs_match_host: bool | None = None
    inputs_checked: int = 0
    flash_bytes: int = 0
    sram_peak_bytes: int = 0
    static_sram_bytes: int = 0
    arena_bytes: int = 0
    stack_peak_bytes: int = 0
    stack_reserved_bytes: int = 0
    #: instructions of one inference (first input; see instructions_min/max for the spread)
    instructions: int = 0
    instructions_min: int = 0
    instructions_max: int = 0
    startup_instructions: int = 0
    #: the run was stopped past this many instructions (see TargetOptions.max_instructions)
    instruction_limit: int = 0
    #: estimated cycles of one inference (first input) at the board's clock, and the latency they
    #: mean: a static per-core cost model over the executed blocks (tinygen.emulator.costmodel),
    #: not a measurement
    cycles_estimate: int = 0
    latency_ms_estimate: float = 0.0
    cycle_model: dict = field(default_factory=dict)
    #: per operator (with TargetOptions.profile): position, operator, kernel and variant,
    #: instructions, MACs, instructions per MAC, estimated cycles
    per_op: list[dict] | None = None
    fits: bool = False
    flash_budget_bytes: int = 0
    sram_budget_bytes: int = 0
    flash_percent: float = 0.0
    sram_percent: float = 0.0
    budget_messages: list[str] = field(default_factory=list)
    #: the firmware links for the board's real memories
    link_fits: bool = True
    link_message: str = ""
    measurement_build: bool = False
    #: bytes of constants the compiler emitted (weights, biases, requantization tables)
    const_bytes: int = 0
    #: multiply-accumulates of one inference (patch stages with their recomputed halos)
    macs: int = 0
    #: flash minus constants: code, start-up, vector table, libraries
    code_bytes: int = 0
    flash_breakdown: dict[str, int] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)
    clock_hz: int = 0
    elf: str = ""
    counter: str = ""
    compile_seconds: float = 0.0
    build_seconds: float = 0.0
    emulation_seconds: float = 0.0
    reference_seconds: float = 0.0
    total_seconds: float = 0.0
    mismatches: list[dict] = field(default_factory=list)
    #: patch-based first stage (tinygen.passes.patch): k, grid, MAC overhead, peaks with/without
    patches: dict | None = None
    error: str | None = None
    #: the back end that ran the firmware: "unicorn", "qemu mps2-an386", "gdb://HOST:PORT"
    backend: str = "unicorn"
    #: DWT cycles of one inference read by the firmware (first input); absent where the counter
    #: reads zero (QEMU, Unicorn) or the core has none (M0/M0+)
    cycles_measured: int | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["cycles_measured"] is None:
            del d["cycles_measured"]
        if self.counter == "none":  # a back end that does not count instructions (QEMU, a board)
            for k in ("instructions", "instructions_min", "instructions_max", "startup_instructions"):
                del d[k]
        return d


#: instructions of one profiling marker between operators: the call (argument, BL) and the
#: marker function's return
MARK_OVERHEAD = 3
#: default instruction limit: INSTRUCTIONS_PER_MAC x the model's multiply-accumulates + this floor
INSTRUCTION_LIMIT_FLOOR = 1_000_000_000
#: the portable kernels need about 13-18 instructions per MAC (M4 to M0+); 100 leaves a wide margin
INSTRUCTIONS_PER_MAC = 100


def instruction_limit(macs: int) -> int:
    """The default limit of one emulated run: long inferences finish, code that never ends is
    stopped after at most a few seconds to a minute of emulation."""
    return INSTRUCTIONS_PER_MAC * int(macs) + INSTRUCTION_LIMIT_FLOOR


#: SRAM left free for static data besides the stack when --patches auto sizes the arena for a board
STATIC_DATA_RESERVE = 512


def patch_sram_budget(board: Board, stack_bytes: int | None = None) -> int:
    """The SRAM an arena may use on `board`: its main RAM minus the stack reservation and a little
    static data (the budget policy of `--patches auto`)."""
    return board.sram_budget - int(stack_bytes or board.stack_bytes) - STATIC_DATA_RESERVE


def board_compile_options(options: CompileOptions, board: Board, stack_bytes: int | None = None) -> CompileOptions:
    """`options` for `board`: its arena alignment; its core unless options.cpu names one (which
    must be the board's, or "generic" for portable C); with patches="auto", the board's SRAM as
    the budget to fit."""
    if options.cpu not in (None, "generic", board.core):
        raise TinygenError(f"--cpu {options.cpu}: board {board.name} has a {board.core} core")
    kw: dict = dict(alignment=board.arena_alignment, cpu=options.cpu or board.core)
    if options.patches.strip().lower() == "auto" and options.sram_budget is None:
        kw["sram_budget"] = patch_sram_budget(board, stack_bytes)
    return replace(options, **kw)


def _tensor_bytes(x: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(x, dtype=np_dtype(dtype)).tobytes()


def _compare(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> tuple[bool, float]:
    return cmp(a, b)


def flash_breakdown(fw, elf, cm: CompiledModel) -> dict[str, int]:
    """Flash bytes grouped: model constants, model code, kernels, start-up/boot/vector table, C
    library, compiler runtime, padding."""
    lay = fw.layout
    per_obj = flash_by_object(fw.map_file, lay.flash_origin, lay.flash_origin + lay.flash_length)
    groups = {"model constants": 0, "model code": 0, "kernels": 0, "start-up, boot, vectors": 0,
              "firmware main": 0, "C library (newlib)": 0, "compiler runtime (libgcc)": 0, "other": 0}
    model_obj = f"{cm.name}.o"
    for obj, n in per_obj.items():
        if obj == model_obj:
            groups["model code"] += n
        elif obj.startswith("libtgnn.a"):
            groups["kernels"] += n
        elif obj in ("tg_startup.o", "tg_boot.o", "tg_boot2.o"):
            groups["start-up, boot, vectors"] += n
        elif obj == "tg_main.o":
            groups["firmware main"] += n
        elif obj.startswith(("libc.a", "libc_nano.a", "libm.a", "libg.a")):
            groups["C library (newlib)"] += n
        elif obj.startswith("libgcc.a"):
            groups["compiler runtime (libgcc)"] += n
        else:
            groups["other"] += n
    # constants are part of the model object's .rodata: split them out
    consts = min(cm.const_bytes, groups["model code"])
    groups["model constants"] = consts
    groups["model code"] -= consts
    pad = elf.flash_bytes - sum(groups.values())
    if pad:
        groups["alignment, boot-header gaps"] = pad
    return {k: v for k, v in groups.items() if v}


def _budget(rep: RunReport, board: Board) -> None:
    msgs = []
    rep.flash_percent = 100.0 * rep.flash_bytes / rep.flash_budget_bytes
    rep.sram_percent = 100.0 * rep.sram_peak_bytes / rep.sram_budget_bytes
    if rep.flash_bytes > rep.flash_budget_bytes:
        over = rep.flash_bytes - rep.flash_budget_bytes
        msgs.append(f"flash budget exceeded by {over} B: {rep.flash_bytes} B needed, {rep.flash_budget_bytes} B "
                    f"on {board.name} ({rep.flash_percent:.1f} %)")
    if rep.sram_peak_bytes > rep.sram_budget_bytes:
        over = rep.sram_peak_bytes - rep.sram_budget_bytes
        msgs.append(f"SRAM budget exceeded by {over} B: peak {rep.sram_peak_bytes} B (static {rep.static_sram_bytes} B "
                    f"incl. arena {rep.arena_bytes} B, + stack {rep.stack_peak_bytes} B), {rep.sram_budget_bytes} B "
                    f"of {board.main_ram.name} on {board.name} ({rep.sram_percent:.1f} %)")
    if not msgs and not rep.link_fits:
        msgs.append(f"the firmware does not link for {board.name} ({rep.link_message}): static SRAM "
                    f"{rep.static_sram_bytes} B + the {rep.stack_reserved_bytes} B stack reservation exceed "
                    f"{rep.sram_budget_bytes} B; reserve less stack (peak use was {rep.stack_peak_bytes} B)")
    rep.budget_messages = msgs
    rep.fits = not msgs


def run_on_board(model: str | Path | bytes | Graph, board: str | Board,
                 inputs: Sequence[Sequence[np.ndarray]] | None = None,
                 options: CompileOptions | None = None, target: TargetOptions | None = None,
                 n_random: int = 1, seed: int = 0, progress: Progress | None = None,
                 input_files: Sequence[str | Path] = ()) -> RunReport:
    """Compile, build, emulate and measure `model` on `board`; compare with TFLM and the host
    build. `inputs`: input sets (each a list with one array per model input) and/or
    `input_files` (.npy, single-input models); default: n_random random sets.

    Never raises for a mismatch or a budget overrun (see the report's outputs_match_reference and
    fits; raise_for_report() turns them into errors); raises TinygenError subclasses for unusable
    input, toolchain failures and emulated faults, with the partial report attached as `e.report`.
    """
    t_start = time.perf_counter()
    tgt = target or TargetOptions()
    rep = RunReport(model=str(model) if isinstance(model, (str, Path)) else "<model>",
                    board=board.name if isinstance(board, Board) else str(board), core="", fpu="", opt=tgt.opt)
    closers: list[Callable[[], None]] = []
    try:
        b = load_board(board)
        rep.board, rep.core, rep.fpu, rep.clock_hz = b.name, b.core, b.fpu, b.clock_hz
        rep.flash_budget_bytes, rep.sram_budget_bytes = b.flash_budget, b.sram_budget
        return _run_on_board(rep, t_start, model, b, inputs, options, tgt, n_random, seed, progress, input_files,
                             closers)
    except TinygenError as e:
        rep.error = str(e)
        rep.total_seconds = time.perf_counter() - t_start
        e.report = rep  # type: ignore[attr-defined]  # the CLI still writes the JSON report
        raise
    finally:
        for close in closers:  # the back end (a QEMU process, a debug-server connection)
            close()


def cycle_estimate(blocks, elf: ElfInfo, b: Board, layout):
    return estimate_cycles(blocks, elf.read, b.core, b.flash_wait_states, b.flash_cache,
                           (layout.flash_origin, layout.flash_origin + layout.flash_length))


def profile_operators(cm: CompiledModel, b: Board, tgt: TargetOptions, xs, limit: int) -> list[dict]:
    """Run a profiling build (markers between operators) once and split its instruction count and
    cycle estimate by operator. The markers' own calls (MARK_OVERHEAD instructions each) are taken
    off; the sum over operators can differ from the normal build by a few instructions per
    operator (the calls change register allocation around them)."""
    fw = build_firmware(cm, b, opt=tgt.opt, stack_bytes=tgt.stack_bytes, profile=True)
    elf = ElfInfo(fw.elf)
    g = cm.graph
    arena = elf.address(f"{cm.name}_arena")
    in_at = [arena + cm.plan.tensor_offset(t) for t in g.inputs]
    res = CortexM(elf, b, fw.layout, max_instructions=limit, timeout_s=tgt.timeout_s).run(
        writes=[(a, _tensor_bytes(x, ti.dtype)) for a, x, ti in zip(in_at, xs, g.inputs)])
    marks = res.marks
    t = CORE_TIMINGS[b.core]
    mark_cycles = MARK_OVERHEAD + 2 * t.branch_taken + t.call_extra  # argument, BL and return, both taken
    if [m[0] for m in marks] != list(range(len(g.ops) + 1)):
        raise EmulatorFault(MODEL_ERROR, None, None, None, "the profiling build did not pass every operator's marker")
    rows = []
    for pos, op in enumerate(g.ops):
        d = op_def(op)
        n = marks[pos + 1][1] - marks[pos][1] - MARK_OVERHEAD
        blocks = marks[pos + 1][2].minus(marks[pos][2])
        cyc = max(cycle_estimate(blocks, elf, b, fw.layout).cycles - mark_cycles, 0)
        macs = d.macs(op)
        k = op.kernel
        rows.append(dict(op=pos, label=op.label, kind=op.kind,
                         kernel=k.function if k is not None else None, variant=k.variant if k is not None else None,
                         instructions=max(n, 0), macs=macs, instructions_per_mac=round(n / macs, 3) if macs else None,
                         cycles_estimate=cyc))
    return rows


def _run_on_board(rep: RunReport, t_start: float, model, b: Board, inputs, options, tgt: TargetOptions,
                  n_random: int, seed: int, progress: Progress | None, input_files, closers: list) -> RunReport:
    say = progress or (lambda msg: None)
    if isinstance(model, Graph):
        data, label = None, model.name
    elif isinstance(model, (bytes, bytearray)):
        data, label = bytes(model), "<bytes>"
    else:
        p = Path(model)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise TinygenError(f"{p}: no such model file") from None
        except IsADirectoryError:
            raise TinygenError(f"{p}: is a directory, not a .tflite file") from None
        label = str(model)
    opts = options or board_compile_options(CompileOptions(), b, tgt.stack_bytes)
    if opts.cpu is None:
        opts = replace(opts, cpu=b.core)
    if not opts.io_in_arena:
        opts = replace(opts, io_in_arena=True)
    rep.model = label

    say(f"compiling {Path(label).name}")
    t = time.perf_counter()
    if isinstance(model, Graph):
        cm = compile_model(model, opts)
    elif isinstance(model, (bytes, bytearray)):
        cm = compile_model(data, opts)
    else:
        cm = compile_model(Path(model), opts)
    rep.compile_seconds = time.perf_counter() - t
    rep.arena_bytes = cm.arena_bytes
    rep.const_bytes = cm.const_bytes
    rep.macs = cm.macs
    if cm.patches is not None:
        rep.patches = cm.patches.to_dict()
    g = cm.graph

    given = ([list(x) for x in inputs] if inputs is not None else []) + [load_input_file(f, g) for f in input_files]
    sets = given if (inputs is not None or input_files) else random_inputs(g, n_random, seed)
    for k, xs in enumerate(sets):
        if len(xs) != len(g.inputs):
            raise TinygenError(f"input set {k} has {len(xs)} arrays, the model has {len(g.inputs)} inputs")
        for x, ti in zip(xs, g.inputs):
            if np.asarray(x).size != ti.size:
                raise TinygenError(f"input {quote_name(ti.name)} needs {ti.size} values {list(ti.shape)}, "
                                   f"got {np.asarray(x).size}")

    say(f"building firmware for {b.name} ({b.core}, -{tgt.opt})" + (" and the host library" if tgt.check_host else ""))
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as ex:
        host_f = ex.submit(build_host, [cm]) if tgt.check_host else None
        fw = build_firmware(cm, b, opt=tgt.opt, stack_bytes=tgt.stack_bytes)
        host = host_f.result()[0] if host_f is not None else None
    rep.build_seconds = time.perf_counter() - t
    elf = ElfInfo(fw.elf)
    rep.elf = str(fw.elf)
    rep.link_fits = fw.fits_link
    rep.link_message = fw.link_message
    rep.measurement_build = not fw.fits_link
    rep.flash_bytes = elf.flash_bytes
    rep.static_sram_bytes = elf.static_sram_bytes
    rep.stack_reserved_bytes = elf.stack_reserved
    rep.sections = elf.section_sizes()
    rep.flash_breakdown = flash_breakdown(fw, elf, cm)
    rep.code_bytes = rep.flash_bytes - rep.const_bytes

    arena = elf.address(f"{cm.name}_arena")
    in_at = [arena + cm.plan.tensor_offset(t) for t in g.inputs]
    out_at = [(arena + cm.plan.tensor_offset(t), t.nbytes) for t in g.outputs]
    rep.instruction_limit = tgt.max_instructions or instruction_limit(cm.macs)
    emu = open_backend(tgt.on, elf, b, fw.layout, max_instructions=rep.instruction_limit, timeout_s=tgt.timeout_s,
                       measurement_build=not fw.fits_link)
    closers.append(emu.close)
    rep.backend = emu.label
    ref = TFLMReference(data) if data is not None else None
    stateful = any(t.is_variable for t in g.tensors())
    match_tflm = match_host = True
    counts = []
    first = None
    for k, xs in enumerate(sets):
        say(f"running on {rep.backend}, input {k + 1}/{len(sets)}")
        t = time.perf_counter()
        res = emu.run(writes=[(a, _tensor_bytes(x, ti.dtype)) for a, x, ti in zip(in_at, xs, g.inputs)],
                      reads=out_at)
        rep.emulation_seconds += time.perf_counter() - t
        rep.counter = res.counter
        if k == 0:
            rep.cycles_measured = res.cycles
        if res.status != 0:
            raise EmulatorFault(MODEL_ERROR, None, None, None,
                                f"{cm.name}_run() returned {res.status} (a kernel rejected its arguments)")
        counts.append(res.instructions)
        first = first or res
        rep.startup_instructions = res.startup_instructions
        rep.stack_peak_bytes = max(rep.stack_peak_bytes, res.stack_peak_bytes)
        ours = [np.frombuffer(o, dtype=np_dtype(t.dtype)).reshape(t.shape) for o, t in zip(res.outputs, g.outputs)]
        say(f"comparing input {k + 1}/{len(sets)} with TensorFlow Lite Micro" + (" and the host build" if host else ""))
        t = time.perf_counter()
        if stateful:  # every emulated inference starts from reset: so do the references
            if ref is not None:
                ref.reset()
            if host is not None:
                host.reset()
        if ref is not None:
            same, diff = _compare(ours, ref.run(xs))
            if not same:
                match_tflm = False
                rep.mismatches.append(dict(input=k, against="tflm", max_abs_diff=diff))
        if host is not None:
            same, diff = _compare(ours, host.invoke(xs))
            if not same:
                match_host = False
                rep.mismatches.append(dict(input=k, against="host", max_abs_diff=diff))
        rep.reference_seconds += time.perf_counter() - t
        rep.inputs_checked += 1
    rep.outputs_match_tflm = match_tflm if ref is not None else None
    rep.outputs_match_host = match_host if host is not None else None
    rep.outputs_match_reference = (match_tflm or ref is None) and (match_host or host is None) and \
        (ref is not None or host is not None) and rep.inputs_checked > 0
    if counts:
        rep.instructions, rep.instructions_min, rep.instructions_max = counts[0], min(counts), max(counts)
    rep.sram_peak_bytes = rep.static_sram_bytes + rep.stack_peak_bytes
    if first is not None and first.blocks is not None:
        est = cycle_estimate(first.blocks, elf, b, fw.layout)
        rep.cycles_estimate = est.cycles
        rep.latency_ms_estimate = round(1000.0 * est.cycles / b.clock_hz, 3) if b.clock_hz else 0.0
        rep.cycle_model = dict(core=b.core, clock_hz=b.clock_hz, flash_wait_states=b.flash_wait_states,
                               flash_cache=b.flash_cache, taken_branches=est.taken_branches,
                               wait_state_cycles=est.wait_state_cycles, instruction_classes=est.classes,
                               source=CORE_TIMINGS[b.core].source)
    if tgt.profile and sets:
        say("profiling operator by operator")
        rep.per_op = profile_operators(cm, b, tgt, sets[0], rep.instruction_limit)
    _budget(rep, b)
    rep.total_seconds = time.perf_counter() - t_start
    return rep


def check_models_on_board(models: Sequence[bytes], board: str | Board, n_random: int = 1, seed: int = 0,
                          opt: str = "O2", options: Sequence[CompileOptions] | None = None) -> list[dict]:
    """Compile several .tflite models (named m0, m1, ...) into ONE firmware whose main runs each
    in turn, emulate it n_random times (random inputs) and compare every output with TFLM. One
    build and one emulation per input set for the whole batch: how random-graph tests cover the
    target. Returns one dict per model: {"model", "bit_exact", "max_abs_diff", "mismatched_inputs"}."""

    b = load_board(board)
    cms = [compile_model(bytes(d), replace(options[i], name=f"m{i}", alignment=b.arena_alignment)
                         if options is not None else CompileOptions(name=f"m{i}", alignment=b.arena_alignment))
           for i, d in enumerate(models)]
    return check_compiled_on_board(cms, models, b, n_random=n_random, seed=seed, opt=opt)


def check_compiled_on_board(cms: Sequence[CompiledModel], models: Sequence[bytes], board: str | Board,
                            n_random: int = 1, seed: int = 0, opt: str = "O2") -> list[dict]:
    """check_models_on_board() for models compiled already (with distinct names and the board's
    arena alignment), `models` their .tflite bytes (the TFLM oracle's input)."""
    b = load_board(board)
    sources: dict[str, str] = {}
    for cm in cms:
        sources.update(cm.files)
    sources.update(render_support_sources(b, [cm.name for cm in cms], b.stack_bytes))
    fw = build_program(b, sources, opt=opt, name=f"batch{len(cms)}", with_support=False)
    if not fw.fits_link:
        raise BudgetError(f"the batch of {len(cms)} models does not fit {b.name}: {fw.link_message}")
    elf = ElfInfo(fw.elf)
    emu = CortexM(elf, b, fw.layout)
    arenas = [elf.address(f"{cm.name}_arena") for cm in cms]
    refs = [TFLMReference(bytes(d)) for d in models]
    stateful = [any(t.is_variable for t in cm.graph.tensors()) for cm in cms]
    sets = [random_inputs(cm.graph, n_random, seed + i) for i, cm in enumerate(cms)]
    results = [dict(model=i, bit_exact=True, max_abs_diff=0.0, mismatched_inputs=[]) for i in range(len(cms))]
    for k in range(n_random):
        writes, reads, owners = [], [], []
        for i, (cm, arena) in enumerate(zip(cms, arenas)):
            g = cm.graph
            writes += [(arena + cm.plan.tensor_offset(t), _tensor_bytes(x, t.dtype)) for x, t in zip(sets[i][k], g.inputs)]
            reads += [(arena + cm.plan.tensor_offset(t), t.nbytes) for t in g.outputs]
            owners += [i] * len(g.outputs)
        res = emu.run(writes=writes, reads=reads)
        if res.status != 0:
            raise EmulatorFault(MODEL_ERROR, None, None, None, f"a model of the batch returned {res.status}")
        pos = 0
        for i, cm in enumerate(cms):
            outs = cm.graph.outputs
            ours = [np.frombuffer(res.outputs[pos + j], dtype=np_dtype(t.dtype)).reshape(t.shape)
                    for j, t in enumerate(outs)]
            pos += len(outs)
            if stateful[i]:  # each emulation starts from reset: so does the reference
                refs[i].reset()
            same, diff = _compare(ours, refs[i].run(sets[i][k]))
            if not same:
                results[i]["bit_exact"] = False
                results[i]["mismatched_inputs"].append(k)
            results[i]["max_abs_diff"] = max(results[i]["max_abs_diff"], diff)
    return results


def raise_for_report(rep: RunReport) -> None:
    """MismatchError if an output differs, BudgetError if the model does not fit (exit code 1)."""
    if not rep.outputs_match_reference:
        against = sorted({m["against"] for m in rep.mismatches}) or ["the reference"]
        raise MismatchError(f"emulated outputs differ from {' and '.join(a if a != 'tflm' else 'TFLM' for a in against)} "
                            f"on {len({m['input'] for m in rep.mismatches})} of {rep.inputs_checked} inputs "
                            f"({rep.board}, {rep.core})")
    if not rep.fits:
        raise BudgetError(f"does not fit {rep.board}: " + "; ".join(rep.budget_messages))


# -- presentation ----------------------------------------------------------------------------------
def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n % 1024 else f"{n // 1024} KiB"


def report_table(rep: RunReport):
    """A rich Table summarizing a RunReport (fits 80 columns)."""
    from rich import box
    from rich.table import Table

    on = "" if rep.backend == "unicorn" else f", on {rep.backend}"
    t = Table(title=f"{Path(rep.model).name} on {rep.board} ({rep.core}, FPU {rep.fpu}, -{rep.opt}{on})",
              title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("", no_wrap=True)
    t.add_column("bytes / count", justify="right", no_wrap=True)
    t.add_column("budget", justify="right")

    def pct(p: float, budget: int) -> str:
        color = "green" if p <= 100 else "red"
        return f"[{color}]{p:.1f} %[/{color}] of {_kib(budget)}"

    against = [n for n, v in (("TFLM", rep.outputs_match_tflm), ("host", rep.outputs_match_host)) if v is not None]
    verdict = "[green]bit-identical[/green]" if rep.outputs_match_reference else "[red]MISMATCH[/red]"
    t.add_row("outputs vs " + " + ".join(against), verdict,
              f"{rep.inputs_checked} input{'s' if rep.inputs_checked != 1 else ''}")
    t.add_row("flash", f"{rep.flash_bytes:,}", pct(rep.flash_percent, rep.flash_budget_bytes))
    t.add_row("  model constants", f"{rep.const_bytes:,}", "")
    t.add_row("  code, runtime, vectors", f"{rep.code_bytes:,}", "")
    t.add_row("peak SRAM", f"{rep.sram_peak_bytes:,}", pct(rep.sram_percent, rep.sram_budget_bytes))
    t.add_row("  static (.data + .bss)", f"{rep.static_sram_bytes:,}", "")
    t.add_row("    of which arena", f"{rep.arena_bytes:,}", "")
    t.add_row("  stack (peak)", f"{rep.stack_peak_bytes:,}", f"{rep.stack_reserved_bytes:,} reserved")
    if rep.patches and rep.patches.get("applied"):
        p = rep.patches
        t.add_row(f"  patches: first {p['k']} ops, {p['grid'][0]}x{p['grid'][1]}",
                  f"{p.get('peak_with_patches_bytes', rep.arena_bytes):,}",
                  f"{p['peak_without_patches_bytes']:,} without; +{p['mac_overhead_percent']:.1f} % MACs")
    elif rep.patches:
        t.add_row("  patches", "not used", rep.patches.get("reason", "")[:40])
    inst = f"{rep.instructions:,}"
    if rep.counter == "none":
        t.add_row("instructions / inference", "not counted", rep.backend)
    else:
        t.add_row("instructions / inference", inst,
                  f"{rep.instructions_min:,}-{rep.instructions_max:,}" if rep.instructions_max != rep.instructions_min
                  else "")
    if rep.cycles_measured is not None:
        t.add_row("cycles / inference (DWT)", f"{rep.cycles_measured:,}",
                  f"{1000.0 * rep.cycles_measured / rep.clock_hz:,.2f} ms @ {rep.clock_hz / 1e6:g} MHz" if rep.clock_hz
                  else "")
    if rep.clock_hz and rep.counter != "none":
        t.add_row("  at 1 instr./cycle", f"{1000.0 * rep.instructions / rep.clock_hz:,.2f} ms",
                  f"@ {rep.clock_hz / 1e6:g} MHz")
    if rep.cycles_estimate:
        t.add_row("cycles / inference (estimate)", f"{rep.cycles_estimate:,}",
                  f"{rep.latency_ms_estimate:,.2f} ms @ {rep.clock_hz / 1e6:g} MHz" if rep.clock_hz else "")
    t.add_row("time: compile/build/emulate", f"{rep.compile_seconds:.1f}/{rep.build_seconds:.1f}/"
              f"{rep.emulation_seconds:.1f} s", f"total {rep.total_seconds:.1f} s")
    return t


def profile_table(rep: RunReport):
    """The per-operator profile, the most expensive operators first."""
    from rich import box
    from rich.table import Table

    rows = sorted(rep.per_op or [], key=lambda r: -r["instructions"])
    total = sum(r["instructions"] for r in rows) or 1
    t = Table(title=f"per operator ({rep.core}, -{rep.opt}; profiling build, sorted by instructions)",
              title_justify="left", header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    for col, just in (("#", "right"), ("operator", "left"), ("kernel (variant)", "left"), ("instructions", "right"),
                      ("%", "right"), ("MACs", "right"), ("instr/MAC", "right"), ("est. cycles", "right")):
        t.add_column(col, justify=just, no_wrap=just == "right", overflow="fold")
    for r in rows:
        kernel = "-" if r["kernel"] is None else f"{r['kernel']} ({r['variant']})"
        t.add_row(str(r["op"]), r["label"], kernel, f"{r['instructions']:,}", f"{100 * r['instructions'] / total:.1f}",
                  f"{r['macs']:,}" if r["macs"] else "-",
                  f"{r['instructions_per_mac']:.2f}" if r["instructions_per_mac"] is not None else "-",
                  f"{r['cycles_estimate']:,}")
    return t


def run_and_print(model: str | Path | bytes | Graph, board: str | Board, console=None, **kwargs) -> RunReport:
    """What `tinygen run` shows: run_on_board() (same keyword arguments) with a progress spinner,
    then the table and the verdict lines. Returns the report; raise_for_report(report) gives the
    exit verdict. Errors propagate as TinygenError with the partial report in `e.report`."""
    from rich.console import Console

    console = console or Console(highlight=False)
    name = board.name if isinstance(board, Board) else str(board)
    label = Path(model).name if isinstance(model, (str, Path)) else "model"
    with console.status(f"{label} on {name}: starting", spinner="dots") as status:
        rep = run_on_board(model, board, progress=lambda msg: status.update(f"{label} on {name}: {msg}"), **kwargs)
    print_run_report(rep, console)
    return rep


def print_run_report(rep: RunReport, console=None) -> None:
    """Print the table and the verdict lines (what `tinygen run` and `tinygen demo` show)."""
    from rich.console import Console

    console = console or Console(highlight=False)
    console.print(report_table(rep))
    if rep.measurement_build:
        console.print("[yellow]note[/yellow]: measured with enlarged memories (the firmware does not link for the "
                      f"board: {rep.link_message})")
    if not rep.outputs_match_reference:
        for m in rep.mismatches[:5]:
            against = "TensorFlow Lite Micro" if m["against"] == "tflm" else "the host build"
            console.print(f"[red]MISMATCH[/red]: input {m['input']}: emulated output differs from {against} "
                          f"(max |diff| {m['max_abs_diff']:g})")
    for m in rep.budget_messages:
        console.print(f"[red]does not fit[/red]: {m}")
    if rep.fits and rep.outputs_match_reference:
        console.print(f"[green]fits[/green] {rep.board}: flash {rep.flash_percent:.1f} %, SRAM {rep.sram_percent:.1f} %")


__all__ = ["RunReport", "TargetOptions", "profile_table", "profile_operators", "cycle_estimate", "check_models_on_board",
           "check_compiled_on_board", "flash_breakdown", "print_run_report", "raise_for_report", "report_table",
           "run_and_print", "run_on_board"]
