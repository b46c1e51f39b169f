"""The `tinygen` command. Thin: parses arguments, calls the API, prints reports.

Errors in the user's input (TinygenError) print one line and exit 2 (1 for "does not match" /
"does not fit" verdicts); nothing half-written is left behind.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from .. import __version__
from ..check import check_model
from ..compiler import compile_model
from ..cpus import CORES
from ..demo import run_demo
from ..errors import TinygenError
from ..fsio import Outputs, is_environment_error, os_error
from ..guard import DEFAULT_GUARD
from ..memory.planners import planner_names
from ..memory.report import ascii_timeline, plot_plans
from ..memory_report import model_memory_report
from ..options import CompileOptions
from ..reports import write_json

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


#: options of every command that compiles a model (tinygen.options.CompileOptions)
_COMPILE_OPTION_NAMES = ("name", "cpu", "optimize", "planner", "schedule", "no_inplace", "no_overlap", "no_fold_pad",
                         "no_remove_noops", "no_float_io_placement", "patches", "max_overhead")


def compile_options(fn):
    """Decorator: the compile options shared by compile, check, mem, run, firmware (and any
    command that compiles a model). The command receives them as keyword arguments; pass its
    kwargs to options_from()."""
    opts = [
        click.option("--name", help="C symbol prefix (default: from the model file name)."),
        click.option("--cpu", type=click.Choice(["generic", *CORES]),
                     help="Core the code is for: picks the kernel variants (DSP kernels on cores with the DSP "
                          "extension). Default: portable C (generic); with --board, the board's core."),
        click.option("--optimize", type=click.Choice(["speed", "size"]), default="speed", show_default=True,
                     help="Kernel choice on a named core: speed (fast kernels wherever they apply) or size "
                          "(portable kernels only: the least flash and stack, several times more instructions)."),
        click.option("--planner", type=click.Choice(planner_names()), default="exact", show_default=True,
                     help="Memory placement algorithm."),
        click.option("--schedule", type=click.Choice(["memory", "file"]), default="memory", show_default=True,
                     help="Operator order: the least peak memory, or the model's order."),
        click.option("--no-inplace", is_flag=True, help="Disable in-place depthwise convolution."),
        click.option("--no-overlap", is_flag=True, help="Disable partial input/output overlap."),
        click.option("--no-fold-pad", is_flag=True,
                     help="Keep PAD/PADV2 operators instead of folding them into the convolution or max pooling "
                          "reading them."),
        click.option("--no-remove-noops", is_flag=True,
                     help="Keep no-op operators (identity RESHAPE, requantization to the same parameters, ...)."),
        click.option("--no-float-io-placement", is_flag=True,
                     help="Keep QUANTIZE/DEQUANTIZE of float I/O where the model has them (not moved across "
                          "TRANSPOSE/RESHAPE)."),
        click.option("--patches", default="off", show_default=True,
                     help="Patch-based first stage: off; min (the least peak within --max-overhead); auto (with "
                          "--board: the least MAC overhead that fits the board's SRAM, else as min); or K:NxM."),
        click.option("--max-overhead", default=0.20, show_default=True, type=click.FloatRange(0, 10),
                     help="Largest MAC overhead the patch search accepts (fraction of the model's MACs)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


def options_from(kwargs: dict, **overrides) -> CompileOptions:
    """CompileOptions from a command's keyword arguments (removing the compile options from them)."""
    v = {k: kwargs.pop(k) for k in _COMPILE_OPTION_NAMES if k in kwargs}
    kw = dict(planner=v.get("planner") or "exact", schedule=v.get("schedule") or "memory",
              optimize=v.get("optimize") or "speed",
              inplace=not v.get("no_inplace", False), overlap=not v.get("no_overlap", False),
              fold_pad=not v.get("no_fold_pad", False), remove_noops=not v.get("no_remove_noops", False),
              place_float_io=not v.get("no_float_io_placement", False),
              patches=v.get("patches") or "off", max_overhead=v.get("max_overhead", 0.20))
    if v.get("name"):
        kw["name"] = v["name"]
    if v.get("cpu"):
        kw["cpu"] = v["cpu"]
    kw.update(overrides)
    return CompileOptions(**kw)


@click.group(context_settings=dict(help_option_names=["-h", "--help"]))
@click.version_option(__version__, prog_name="tinygen")
def cli() -> None:
    """tinygen: int8 TensorFlow Lite models to static C for microcontrollers, bit-exact with
    TensorFlow Lite Micro."""


@cli.command("compile")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for <name>.c and <name>.h.")
@compile_options
def compile_cmd(model: Path, out_dir: Path, **kw) -> None:
    """Compile MODEL (.tflite, int8) to C."""
    cm = compile_model(model, options_from(kw))
    files = cm.write(out_dir)
    console.print(f"{model.name}: {len(cm.graph.ops)} operators -> " + ", ".join(str(f) for f in files))
    console.print(f"arena {cm.arena_bytes} B (lower bound {cm.plan.lower_bound_bytes} B), "
                  f"constants {cm.const_bytes} B" + (f", state {cm.state_bytes} B" if cm.state_bytes else ""))


@cli.command("check")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--inputs", "n_inputs", default=20, show_default=True, type=click.IntRange(0, 100000),
              help="Number of random inputs.")
@click.option("--input", "input_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An input .npy (repeatable).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON report.")
@click.option("--seed", default=0, show_default=True, help="Seed of the random inputs.")
@click.option("--litert", is_flag=True, help="Also compare with LiteRT's reference kernels (a cross-check; "
              "its FULLY_CONNECTED rounds once, so +-1-2 steps there are expected).")
@click.option("--guard", is_flag=True, help="Arena guard build: canaries around every buffer of the arena, checked "
              "after every operator; names an operator that writes out of bounds (exit 1).")
@click.option("--sanitize", is_flag=True, help="Build the host library with AddressSanitizer and "
              "UndefinedBehaviorSanitizer (run in a child process); a sanitizer report fails the check (exit 1).")
@compile_options
def check_cmd(model: Path, n_inputs: int, input_files, json_path, seed: int, litert: bool, guard: bool,
              sanitize: bool, **kw) -> None:
    """Run random and given inputs through the generated C (host build) and TensorFlow Lite Micro;
    exit 0 only if every output is bit-identical."""

    options = options_from(kw, **({"guard": DEFAULT_GUARD} if guard else {}))
    with console.status("compiling, building and comparing with TensorFlow Lite Micro..."):
        rep = check_model(model, n_random=n_inputs, input_files=input_files, options=options, seed=seed,
                          isolate=True, litert=litert, sanitize=sanitize)
    rep.model = str(model)
    if json_path:
        write_json(json_path, rep.to_dict())
    if litert:
        console.print(f"LiteRT (reference kernels) cross-check: identical on {rep.litert_identical} of "
                      f"{rep.inputs_checked} inputs, max |diff| {rep.litert_max_abs_diff:g}")
    if rep.bit_exact:
        extra = "".join(f"; {w}" for w, on in (("arena guard: no operator wrote out of bounds", guard),
                                               ("AddressSanitizer and UBSan: clean", sanitize)) if on)
        console.print(f"[green]bit-exact[/green]: {rep.inputs_checked} inputs, every output identical to TensorFlow Lite Micro "
                      f"({model.name}, arena {rep.arena_bytes} B){extra}")
        return
    msg = f"{len(rep.mismatches)} of {rep.inputs_checked} inputs differ from TensorFlow Lite Micro"
    f = rep.first_diverging_op
    if f:
        msg += (f"; first diverging operator: {f['op']} #{f['op_index']} (output {f['tensor']!r}, "
                f"max |diff| {f['max_abs_diff']:g})")
    else:
        msg += f"; max |diff| {max(m['max_abs_diff'] for m in rep.mismatches):g}"
    err_console.print(f"tinygen: MISMATCH: {msg}")
    sys.exit(1)


def _plot_suffix(ctx, param, value):
    if value is not None and value.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.BadParameter(f"{value}: the plot's file name must end in .png, .svg or .pdf", ctx, param)
    return value


@cli.command("mem")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the plan as JSON.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path), callback=_plot_suffix,
              help="Draw the arena over the operators (.png, .svg or .pdf).")
@compile_options
def mem_cmd(model: Path, json_path, plot_path, **kw) -> None:
    """Show the memory plan of MODEL: per operator the live buffers with offsets and sizes, the
    arena, the layer-wise lower bound and what in-place and overlap saved."""

    rep, cm, unpatched = model_memory_report(model, options_from(kw))
    console.print(ascii_timeline(cm.plan), markup=False, highlight=False, soft_wrap=True)
    lines = [f"arena {rep['arena_bytes']:,} B; layer-wise lower bound {rep['lower_bound_bytes']:,} B "
             f"({rep['arena_bytes'] - rep['lower_bound_bytes']:+,} B)",
             f"without in-place and overlap: {rep['without_inplace_and_overlap_bytes']:,} B"]
    if rep.get("saved_by_inplace_and_overlap_bytes") is not None:
        lines[-1] += f"; saved {rep['saved_by_inplace_and_overlap_bytes']:,} B"
    lines.append(f"in-place depthwise: {len(rep['inplace_ops'])} operators; partial overlaps used: "
                 f"{len(rep['overlaps'])}")
    if rep["state_bytes"]:
        lines.append(f"operator state (variable tensors, kept between inferences outside the arena): "
                     f"{rep['state_bytes']:,} B")
    opt = rep.get("graph_optimizations", {})
    folded, removed, moved = (opt.get("fold_pad", {}).get("folded", []), opt.get("remove_noops", {}).get("removed", []),
                              opt.get("place_float_io", {}).get("moved", []))
    if folded or removed or moved:
        lines.append(f"graph optimizations: {len(folded)} PAD folded ({sum(f['bytes_saved'] for f in folded):,} B of "
                     f"padded tensors not materialized), {len(removed)} no-op operators removed, {len(moved)} "
                     "QUANTIZE/DEQUANTIZE moved across layout operators")
    p = rep.get("patches")
    if p is not None and p.get("applied"):
        lines.append(f"patch stage: first {p['k']} operators on a {p['grid'][0]}x{p['grid'][1]} grid; "
                     f"peak {p['peak_with_patches_bytes']:,} B with patches vs {p['peak_without_patches_bytes']:,} B "
                     f"without; MAC overhead {p['mac_overhead_percent']:.1f} %")
    elif p is not None:
        lines.append(f"patch stage: not used: {p.get('reason', 'no reason given')}")
    for ln in lines:
        console.print(ln, markup=False, highlight=False)
    out = Outputs()  # the JSON and the plot appear together or not at all
    if json_path:
        write_json(json_path, rep, outputs=out)
    if plot_path:
        if unpatched is not None:
            plot_plans([unpatched.plan, cm.plan], plot_path,
                       [f"{model.name} layer by layer: arena {unpatched.arena_bytes:,} B",
                        f"{model.name} with patches (first {p['k']} operators, {p['grid'][0]}x{p['grid'][1]} grid, "
                        f"+{p['mac_overhead_percent']:.1f} % MACs): arena {cm.arena_bytes:,} B"], outputs=out)
        else:
            plot_plans([cm.plan], plot_path, [f"{model.name}: arena {rep['arena_bytes']:,} B"], outputs=out)
    out.commit()
    if plot_path:
        console.print(f"plot: {plot_path}")


@cli.command("demo")
@click.option("--board", "-b", default="NUCLEO-F411RE", show_default=True, help="Board to emulate.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON report.")
def demo_cmd(board: str, json_path: Path | None) -> None:
    """Compile the bundled digit classifier, classify its held-out test digits with the generated
    C and with TensorFlow Lite Micro (accuracy of both, identical outputs), then run it on an
    emulated BOARD and measure flash, SRAM and instructions."""

    ok = run_demo(board, console, json_path=json_path)
    if not ok:
        sys.exit(1)


# Commands defined in other modules register themselves on `cli` when imported.
from . import deploy, sweep, target  # noqa: E402,F401


#: longest error line printed (a corrupted model can carry names thousands of characters long)
MAX_ERROR_CHARS = 400


def _error_line(msg: str) -> str:
    """The first line of msg, whitespace collapsed, cut to MAX_ERROR_CHARS."""
    lines = [ln.strip() for ln in str(msg).strip().splitlines() if ln.strip()]
    line = " ".join(lines[0].split()) if lines else ""
    if len(line) > MAX_ERROR_CHARS:
        line = line[:MAX_ERROR_CHARS - 3].rstrip() + "..."
    return line


def _fail(prefix: str, msg: str, code: int) -> None:
    print(f"tinygen: {prefix}{_error_line(msg)}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the command line. Every failure is one line on stderr: `tinygen: error: ...` with exit
    code 2 for bad input, usage errors and the user's environment (disk full, read-only folder...),
    1 for the "does not match" / "does not fit" verdicts, 3 for a bug in tinygen ("internal
    error"), 130 when interrupted."""
    debug = bool(os.environ.get("TINYGEN_DEBUG"))
    try:
        try:
            cli.main(args=argv, prog_name="tinygen", standalone_mode=False)
        except click.exceptions.Abort as e:
            # click turns EOFError into Abort: only a real interrupt is the user's abort
            if isinstance(e.__cause__, EOFError):
                raise e.__cause__ from None
            raise
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.NoArgsIsHelpError as e:
        e.show()
        sys.exit(2)
    except click.ClickException as e:
        msg = e.format_message()
        ctx = getattr(e, "ctx", None)
        if isinstance(e, click.UsageError) and ctx is not None:
            msg = f"{_error_line(msg)} (see '{ctx.command_path} --help')"
        _fail("error: ", msg, 2)
    except click.exceptions.Abort:
        print("tinygen: aborted", file=sys.stderr)
        sys.exit(130)
    except TinygenError as e:
        if debug:
            raise
        _fail("error: ", str(e) or type(e).__name__, e.exit_code)
    except KeyboardInterrupt:
        print("tinygen: interrupted", file=sys.stderr)
        sys.exit(130)
    except OSError as e:
        if debug:
            raise
        if is_environment_error(e):  # the user's file system, not a bug
            _fail("error: ", str(os_error(e, "complete the command")), 2)
        _fail("internal error: ", f"{type(e).__name__}: {_error_line(str(e))} (set TINYGEN_DEBUG=1 for a traceback)", 3)
    except Exception as e:  # a bug in tinygen: still one line, with a way to get the traceback
        if debug:
            raise
        _fail("internal error: ", f"{type(e).__name__}: {_error_line(str(e))} (set TINYGEN_DEBUG=1 for a traceback)", 3)


if __name__ == "__main__":  # pragma: no cover
    main()
