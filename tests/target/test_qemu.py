"""QEMU as a second emulator (tinygen run --on qemu): every shared model on QEMU's Cortex-M
machines gives outputs bit-identical to TFLM and the host build (so identical to Unicorn's) and the
same report as Unicorn; QEMU's real reset, FPU trap and faults are reported like Unicorn's."""

import json

import pytest

from tests.conftest import needs_shared, shared_model_paths
from tinygen.backends import QemuBackend, open_backend
from tinygen.boards import load_board
from tinygen.emulator import EmulatorFault
from tinygen.emulator.qemu import qemu_missing
from tinygen.target import TargetOptions, run_on_board
from tinygen.toolchain.arm import build_program
from tinygen.toolchain.elfinfo import ElfInfo

from .test_shared_models import golden_for

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(qemu_missing() is not None, reason=f"QEMU unavailable: {qemu_missing()}")]

#: the machines every shared model must run on (M4, M7, M33 Secure, STM32F405)
QEMU_BOARDS = ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-mps2-an505", "qemu-netduinoplus2"]
#: existing boards whose memory map fits a QEMU machine
MAPPED_BOARDS = {"generic-m4": "mps2-an386", "generic-m7": "mps2-an500", "NUCLEO-F411RE": "netduinoplus2"}
MODELS = shared_model_paths()
#: report fields that must agree between back ends (everything but timings, back end and counts)
SAME_FIELDS = ("outputs_match_reference", "outputs_match_tflm", "outputs_match_host", "inputs_checked", "flash_bytes",
               "sram_peak_bytes", "static_sram_bytes", "arena_bytes", "stack_peak_bytes", "stack_reserved_bytes",
               "fits", "const_bytes", "code_bytes", "flash_breakdown", "sections", "mismatches",
               # QEMU counts instructions with tinygen's TCG plugin: exactly Unicorn's counts
               "instructions", "instructions_min", "instructions_max", "startup_instructions")

HEAD = r"""
#include <stdint.h>
void tg_inputs_ready(void) __attribute__((noinline, noipa, used));
void tg_done(int32_t status, uint32_t cycles) __attribute__((noinline, noipa, used));
void tg_inputs_ready(void) { __asm volatile ("" ::: "memory"); }
void tg_done(int32_t status, uint32_t cycles) { (void)status; (void)cycles; __asm volatile ("" ::: "memory"); }
"""


def cli(argv) -> int:
    """Run the tinygen command; its exit code."""
    from tinygen.cli import main

    try:
        main(list(argv))
    except SystemExit as e:
        return int(e.code or 0)
    return 0


def _sets(model):
    """One input per model: its recorded real sample where there is one, else a random one."""
    from tinygen.check import random_inputs
    from tinygen.compiler import compile_model

    g = compile_model(model).graph
    golden = [[x.reshape(g.inputs[0].shape)] for x, _ in golden_for(model)[:1]]
    return golden or random_inputs(g, 1, seed=5)


@needs_shared()
@pytest.mark.models
@pytest.mark.parametrize("board", QEMU_BOARDS + ["qemu-microbit"])
@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_shared_model_on_qemu_matches_unicorn(model, board):
    sets = _sets(model)
    ru = run_on_board(model, board, inputs=sets)
    if not ru.link_fits:
        assert board == "qemu-microbit", ru.link_message  # 16 KB of SRAM, 256 KB of flash
        pytest.skip(f"{model.name} does not fit {board}")
    rq = run_on_board(model, board, inputs=sets, target=TargetOptions(on="qemu"))
    assert rq.backend == f"qemu {load_board(board).qemu_machine}"
    assert rq.outputs_match_tflm and rq.outputs_match_host and rq.outputs_match_reference, rq.mismatches
    du, dq = ru.to_dict(), rq.to_dict()
    assert {k: du[k] for k in SAME_FIELDS} == {k: dq[k] for k in SAME_FIELDS}
    assert ru.instructions > 0 and dq["counter"] == "qemu-plugin"
    assert "cycles_measured" not in dq and "cycles_measured" not in du  # DWT reads zero in both emulators


@needs_shared()
@pytest.mark.models
@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_shared_model_on_cortex_m55(model):
    """The M55 (Helium) machine: QEMU only (Unicorn has no M55); portable kernels built for it."""
    rep = run_on_board(model, "qemu-mps3-an547", inputs=_sets(model), target=TargetOptions(on="qemu"))
    assert rep.outputs_match_tflm and rep.outputs_match_host, rep.mismatches
    assert rep.fits and 0 < rep.stack_peak_bytes < rep.stack_reserved_bytes
    assert rep.counter == "qemu-plugin" and rep.instructions > 0


def test_unicorn_refuses_the_m55_with_a_hint():
    from tests.target._util import small_conv_model
    from tinygen.errors import EmulatorError

    with pytest.raises(EmulatorError, match="--on qemu"):
        run_on_board(small_conv_model(), "qemu-mps3-an547")


@pytest.mark.parametrize("board", sorted(MAPPED_BOARDS))
def test_existing_boards_run_on_their_qemu_machine(board, tmp_path):
    """generic-m4/-m7 and NUCLEO-F411RE name a QEMU machine; through the CLI the JSON report is the
    same as Unicorn's (instruction counts too), with the back end named and no cycle count."""
    from tests.target._util import small_conv_model

    b = load_board(board)
    assert b.qemu_machine == MAPPED_BOARDS[board]
    model = tmp_path / "m.tflite"
    model.write_bytes(small_conv_model(seed=3))
    reports = {}
    for on in ("unicorn", "qemu"):
        assert cli(["run", str(model), "--board", board, "--inputs", "3", "--on", on, "--json",
                    str(tmp_path / f"{on}.json")]) == 0
        reports[on] = json.loads((tmp_path / f"{on}.json").read_text())
    u, q = reports["unicorn"], reports["qemu"]
    assert q["backend"] == f"qemu {b.qemu_machine}" and u["backend"] == "unicorn"
    assert {k: u[k] for k in SAME_FIELDS} == {k: q[k] for k in SAME_FIELDS}
    assert q["inputs_checked"] == 3 and q["outputs_match_reference"]
    assert set(u) == set(q) and "cycles_measured" not in q


# -- QEMU's reset, FPU and faults ----------------------------------------------------------------
def _program(board: str, body: str, stack: int | None = None):
    b = load_board(board)
    fw = build_program(b, {"prog.c": HEAD + body}, name="qemutest", stack_bytes=stack)
    return ElfInfo(fw.elf), b


FLOAT_BODY = r"""
volatile float a = 1.5f, b = 2.25f;
int main(void)
{
    tg_inputs_ready();
%s
    tg_done((int32_t)(a * b * 1000.0f), 0u);
    return 0;
}
"""


@pytest.mark.parametrize("board", ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-mps2-an505", "qemu-mps3-an547"])
def test_fpu_enabled_by_the_reset_handler(board):
    """QEMU traps floating point until CPACR enables it (Unicorn does not): the reset handler does,
    and a program that turns it off again gets a UsageFault (no coprocessor)."""
    elf, b = _program(board, FLOAT_BODY % "")
    with QemuBackend(elf, b) as q:
        for _ in range(2):  # also after QEMU's system_reset
            assert q.run().status == 3375
    elf, b = _program(board, FLOAT_BODY % "    *(volatile uint32_t *)0xE000ED88u = 0u; __asm volatile (\"dsb\\n\\tisb\");")
    with QemuBackend(elf, b) as q, pytest.raises(EmulatorFault, match="no coprocessor") as e:
        q.run()
    assert e.value.kind == "exception" and e.value.function and e.value.function.startswith("main")


@pytest.mark.parametrize("board,watch", [("qemu-mps2-an386", True), ("qemu-mps2-an386", False),
                                         ("qemu-mps2-an500", True), ("qemu-mps2-an505", True),
                                         ("qemu-netduinoplus2", False), ("qemu-microbit", False),
                                         ("qemu-mps3-an547", False)])
def test_stack_overflow_is_reported(board, watch):
    """A model run with too small a stack: an error on every machine, never silent zeros. Found by
    the watchpoint below the stack, MSPLIM (M33), a BusFault below SRAM (F405, M55), a HardFault (M0),
    or, on the mps2 machines without a watchpoint, the painted stack used to its limit."""
    from tinygen.compiler import compile_model
    from tinygen.options import CompileOptions
    from tinygen.toolchain.arm import build_firmware

    from ._util import small_conv_model

    b = load_board(board)
    # the portable kernels (cpu "generic"): the fast kernels of Cortex-M0 need too little stack here
    opts = CompileOptions(alignment=b.arena_alignment, cpu="generic")
    cm = compile_model(small_conv_model(shape=(1, 16, 16, 3), channels=8), opts)
    ok = run_on_board(small_conv_model(shape=(1, 16, 16, 3), channels=8), b, options=opts,
                      target=TargetOptions(on="qemu" if b.core == "cortex-m55" else "unicorn"))
    assert ok.stack_peak_bytes > 256 - 40  # the overflow below needs the stack deeper than 256 - 40
    fw = build_firmware(cm, b, stack_bytes=256)
    deep = _recursion_stack(b)
    for elf in (ElfInfo(fw.elf), deep):
        with QemuBackend(elf, b, watch_stack=watch) as q:
            with pytest.raises(EmulatorFault) as e:
                q.run()
        assert e.value.kind == "stack overflow", str(e.value)
        if board == "qemu-mps2-an505":
            assert "MSPLIM" in str(e.value)


def _recursion_stack(b):
    body = r"""
__attribute__((noinline)) static int32_t deep(volatile int32_t *p, int32_t n)
{
    volatile int32_t frame[16];
    frame[0] = n;
    frame[15] = p ? p[0] : 0;
    return n == 0 ? frame[0] : deep(frame, n - 1) + frame[15];
}
int main(void)
{
    tg_inputs_ready();
    tg_done(deep(0, 1000), 0u);
    return 0;
}
"""
    fw = build_program(b, {"prog.c": HEAD + body}, name="deep", stack_bytes=1024)
    return ElfInfo(fw.elf)


@pytest.mark.parametrize("board", ["qemu-mps2-an386", "qemu-microbit"])
def test_undefined_instruction_and_timeout(board):
    elf, b = _program(board, "int main(void) { tg_inputs_ready(); __asm volatile (\"udf #7\"); tg_done(0, 0u); return 0; }")
    with QemuBackend(elf, b) as q, pytest.raises(EmulatorFault) as e:
        q.run()
    want = "invalid instruction" if b.core != "cortex-m0" else "exception"  # ARMv6-M: a plain HardFault
    assert e.value.kind == want and "HardFault" in str(e.value) or "UsageFault" in str(e.value)
    elf, b = _program(board, "volatile int forever = 1;\nint main(void) { tg_inputs_ready(); while (forever) { } tg_done(0, 0u); return 0; }")
    with QemuBackend(elf, b, timeout_s=0.5) as q, pytest.raises(EmulatorFault) as e:
        q.run()
    assert e.value.kind == "timeout" and e.value.function.startswith("main")


def test_cycles_and_status_reach_the_result():
    """r0 (status) and r1 (DWT cycles) at tg_done: a non-zero cycle count is reported, zero is not."""
    elf, b = _program("qemu-mps2-an386", "int main(void) { tg_inputs_ready(); tg_done(-3, 123456u); return 0; }")
    with open_backend("qemu", elf, b) as q:
        r = q.run()
    assert r.status == -3 and r.cycles == 123456
    elf, b = _program("qemu-mps2-an386", "int main(void) { tg_inputs_ready(); tg_done(0, 0u); return 0; }")
    with open_backend("qemu", elf, b) as q:
        assert q.run().cycles is None


def test_inputs_written_and_outputs_read_after_each_reset():
    """Every run starts from QEMU's reset: .data is reloaded, .bss zeroed, inputs written at the pause."""
    body = r"""
volatile uint32_t in_word;
uint32_t counter = 7u;
volatile uint32_t out_word;
int main(void)
{
    tg_inputs_ready();
    counter += 1u;
    out_word = in_word * 3u + counter;
    tg_done(0, 0u);
    return 0;
}
"""
    elf, b = _program("qemu-netduinoplus2", body)
    at_in, at_out = elf.address("in_word"), elf.address("out_word")
    with QemuBackend(elf, b) as q:
        for k in range(4):
            r = q.run(writes=[(at_in, (100 + k).to_bytes(4, "little"))], reads=[(at_out, 4)])
            assert int.from_bytes(r.outputs[0], "little") == (100 + k) * 3 + 8


def test_bad_backend_names_are_one_line_errors(tmp_path, capsys):
    from tests.target._util import small_conv_model

    model = tmp_path / "m.tflite"
    model.write_bytes(small_conv_model())
    from tinygen.emulator.qemu import free_port

    for on, msg in (("qemo", "unknown back end"), ("gdb://nohost", "expected gdb://HOST:PORT"),
                    ("qemu", "names no QEMU machine"), (f"gdb://127.0.0.1:{free_port()}", "cannot connect")):
        assert cli(["run", str(model), "--board", "Raspberry-Pi-Pico" if on == "qemu" else "generic-m4", "--on", on]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("tinygen: error:") and msg in err[0], err


def test_count_plugin_window_is_exact():
    """The plugin counts what Unicorn counts: a loop of known length between the two symbols."""
    from tinygen.backends import UnicornBackend

    body = r"""
volatile uint32_t sink;
int main(void)
{
    uint32_t i;
    tg_inputs_ready();
    for (i = 0u; i < 1000u; ++i) {
        sink = i;
    }
    tg_done(0, 0u);
    return 0;
}
"""
    for board in ("qemu-mps2-an386", "qemu-microbit", "qemu-mps2-an505"):
        elf, b = _program(board, body)
        with QemuBackend(elf, b) as q, UnicornBackend(elf, b) as u:
            rq, ru = q.run(), u.run()
        assert rq.counter == "qemu-plugin"
        assert (rq.instructions, rq.startup_instructions) == (ru.instructions, ru.startup_instructions)
        assert 3000 < rq.instructions < 8000
