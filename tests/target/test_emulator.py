"""The Unicorn runner: every fault kind from small hand-written firmware (an error with the kind,
address, PC and function, never a hang or a traceback), exact instruction counts, the stack
high-water mark."""

import collections
import time

import capstone
import pytest
from unicorn import UC_HOOK_BLOCK, UC_HOOK_CODE

from tinygen.boards import load_board
from tinygen.emulator import CortexM, EmulatorFault, runner
from tinygen.emulator.native import native_library, thumb_instruction_count
from tinygen.errors import EmulatorError, TinygenError
from tinygen.toolchain.arm import build_program
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import GENERIC_BOARDS, PROGRAM_HEAD

FAULT_PROGRAMS = {
    "unmapped read": ("main", r"""
int main(void)
{
    tg_done((int32_t)*(volatile uint32_t *)0x50000000u, 0);
    return 0;
}"""),
    "unmapped write": ("main", r"""
int main(void)
{
    *(volatile uint32_t *)0x50000010u = 1u;
    tg_done(0, 0);
    return 0;
}"""),
    "write to flash": ("poke_flash", r"""
extern const char tg_vector_table[];
__attribute__((noinline)) static void poke_flash(void)
{
    *(volatile uint32_t *)(uintptr_t)(tg_vector_table + 64) = 1u;
}
int main(void)
{
    poke_flash();
    tg_done(0, 0);
    return 0;
}"""),
    "unmapped fetch": (None, r"""
typedef void (*fn)(void);
int main(void)
{
    ((fn)(uintptr_t)0x50000001u)();
    tg_done(0, 0);
    return 0;
}"""),
    "invalid instruction": ("main", r"""
int main(void)
{
    __asm volatile ("udf #7");
    tg_done(0, 0);
    return 0;
}"""),
    "instruction limit": ("spin", r"""
static volatile int forever = 1;
__attribute__((noinline)) static void spin(void)
{
    while (forever) {
    }
}
int main(void)
{
    spin();
    tg_done(0, 0);
    return 0;
}"""),
    "stack overflow": ("deep", r"""
__attribute__((noinline)) static int deep(int n)
{
    volatile char buf[512];
    buf[0] = (char)n;
    buf[511] = 1;
    return n ? deep(n - 1) + buf[0] + buf[511] : 0;
}
int main(void)
{
    tg_done(deep(100), 0);
    return 0;
}"""),
    "breakpoint": ("main", r"""
int main(void)
{
    __asm volatile ("bkpt #1");
    tg_done(0, 0);
    return 0;
}"""),
}


def program(board: str, body: str, name: str = "prog", stack: int | None = None):
    b = load_board(board)
    fw = build_program(b, {"prog.c": PROGRAM_HEAD + body}, name=name, stack_bytes=stack)
    return b, fw, ElfInfo(fw.elf)


@pytest.mark.parametrize("board", GENERIC_BOARDS + ["NUCLEO-F411RE"])
@pytest.mark.parametrize("kind", list(FAULT_PROGRAMS))
def test_fault_kinds(kind, board):
    func, body = FAULT_PROGRAMS[kind]
    b, fw, elf = program(board, body, name="fault")
    emu = CortexM(elf, b, fw.layout, max_instructions=200_000)
    t = time.perf_counter()
    with pytest.raises(EmulatorFault) as ei:
        emu.run()
    assert time.perf_counter() - t < 60  # a guard against a hang, not a speed target
    e = ei.value
    assert isinstance(e, EmulatorError) and isinstance(e, TinygenError) and e.exit_code == 2
    assert e.kind == kind
    msg = str(e)
    assert msg.startswith(f"emulator fault: {kind}") and "\n" not in msg
    assert e.pc is not None and f"pc {e.pc:#010x}" in msg
    if func is not None:
        assert e.function is not None and e.function.split("+")[0] == func, msg
        assert f" in {e.function}" in msg
        lo = elf.address(func)
        assert lo <= e.pc < lo + max(elf.symbol(func).size, 2)
    if kind in ("unmapped read", "unmapped write"):
        assert e.address in (0x50000000, 0x50000010) and f"at address {e.address:#010x}" in msg
    if kind == "write to flash":
        assert e.address == elf.address("tg_vector_table") + 64 and b.flash.contains(e.address)
    if kind == "unmapped fetch":
        assert e.address == e.pc == 0x50000000 and "main" in e.detail
    if kind == "invalid instruction":
        assert e.address == e.pc
    if kind == "stack overflow":
        assert "reserve more stack" in msg
    if kind == "instruction limit":
        assert e.instructions > 200_000 and f"stopped after {e.instructions:,} instructions" in msg
        assert "--max-instructions 200,000" in msg and "runaway" not in msg


def test_timeout_is_a_fault_not_a_hang():
    b, fw, elf = program("generic-m4", FAULT_PROGRAMS["instruction limit"][1], name="fault")
    t = time.perf_counter()
    with pytest.raises(EmulatorFault) as ei:
        CortexM(elf, b, fw.layout, max_instructions=0, timeout_s=0.3).run()
    assert ei.value.kind == "timeout" and time.perf_counter() - t < 60  # a hang guard, not a speed target


def test_python_counter_enforces_the_limit_too():
    b, fw, elf = program("generic-m0plus", FAULT_PROGRAMS["instruction limit"][1], name="fault")
    with pytest.raises(EmulatorFault, match="instruction limit"):
        CortexM(elf, b, fw.layout, max_instructions=50_000, native=False).run()


def test_model_status_and_fault_reach_cli_as_one_line(tmp_path, capsys):
    """An emulated fault through the API and the CLI: one line, exit code 2, no traceback."""
    from tinygen.cli import main

    with pytest.raises(SystemExit) as ei:
        main(["run", str(tmp_path / "missing.tflite"), "--board", "generic-m4"])
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygen: error:") and "Traceback" not in err


LOOPS = r"""
static volatile int32_t sink;
__attribute__((noinline)) static int32_t work(const int8_t *a, int32_t n)
{
    int32_t acc = 0, i;
    for (i = 0; i < n; ++i) {
        acc += a[i] > 3 ? a[i] * 3 : -a[i];      /* conditional code: IT blocks on v7-M */
        if ((i & 7) == 0) {
            acc ^= i;
        }
    }
    return acc;
}
static int8_t data[300];
int main(void)
{
    int32_t i;
    for (i = 0; i < 300; ++i) {
        data[i] = (int8_t)(i * 37);
    }
    sink = work(data, 300);
    tg_done(sink, 0);
    return 0;
}
"""


@pytest.mark.parametrize("board", GENERIC_BOARDS)
def test_instruction_counts_are_exact(board):
    """Native hook == Python hook == the instructions of every executed block (disassembled with
    capstone) times its executions. Unicorn's per-instruction hook skips the conditional
    instructions of an IT block whose condition fails; the block count includes them (they are
    executed as no-ops), so on ARMv6-M (no IT) both agree exactly and on v7-M/v8-M the block count
    is the per-instruction count plus the skipped IT-block instructions."""
    b, fw, elf = program(board, LOOPS, name="loops")
    native = CortexM(elf, b, fw.layout, native=True).run()
    python = CortexM(elf, b, fw.layout, native=False).run()
    assert native.counter == ("native" if native_library() else "python") and python.counter == "python"
    assert native.status == python.status
    assert (native.instructions, native.startup_instructions) == (python.instructions, python.startup_instructions)

    emu = CortexM(elf, b, fw.layout)
    blocks: collections.Counter = collections.Counter()
    per_insn: collections.Counter = collections.Counter()   # per-instruction hook calls, by block
    current = [None]
    engine = emu._engine

    def on_block(uc, a, s, _):
        current[0] = (a, s)
        blocks[(a, s)] += 1

    def on_insn(uc, a, s, _):
        per_insn[current[0]] += 1

    def instrumented():
        uc, log = engine()
        uc.hook_add(UC_HOOK_BLOCK, on_block)
        uc.hook_add(UC_HOOK_CODE, on_insn)
        instrumented.uc = uc
        return uc, log

    emu._engine = instrumented
    res = emu.run()
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    by_capstone = 0
    it_blocks = 0
    for (addr, size), n in blocks.items():
        code = bytes(instrumented.uc.mem_read(addr, size))
        insns = list(md.disasm(code, addr))
        assert sum(i.size for i in insns) == size
        assert len(insns) == thumb_instruction_count(code)
        by_capstone += n * len(insns)
        if per_insn[(addr, size)] != n * len(insns):
            # only blocks with an IT instruction lose instructions in the per-instruction count
            assert per_insn[(addr, size)] < n * len(insns)
            assert any(i.mnemonic.startswith("it") for i in insns), [i.mnemonic for i in insns]
            it_blocks += 1
    total = native.instructions + native.startup_instructions
    assert by_capstone == total == res.instructions + res.startup_instructions
    if board == "generic-m0plus":
        assert sum(per_insn.values()) == total and it_blocks == 0
    else:
        assert it_blocks > 0


@pytest.mark.parametrize("board", ["generic-m0plus", "generic-m4"])
def test_stack_high_water_mark(board):
    """A function with a 1000-byte local array: the measured peak covers it, and the peak of the
    same program without the call is much smaller."""
    body = r"""
__attribute__((noinline)) static int32_t big_frame(int32_t k)
{
    volatile int8_t buf[1000];
    int32_t i, s = 0;
    for (i = 0; i < 1000; ++i) {
        buf[i] = (int8_t)(i + k);
    }
    for (i = 0; i < 1000; i += 100) {
        s += buf[i];
    }
    return s;
}
static volatile int32_t use = USE;
int main(void)
{
    tg_done(use ? big_frame(use) : 0, 0);
    return 0;
}
"""
    b, fw, elf = program(board, body.replace("USE", "1"), name="stack1")
    deep = CortexM(elf, b, fw.layout).run()
    b, fw, elf = program(board, body.replace("USE", "0"), name="stack0")
    shallow = CortexM(elf, b, fw.layout).run()
    assert 1000 <= deep.stack_peak_bytes <= 1000 + 128
    assert shallow.stack_peak_bytes < 100
    assert deep.stack_reserved_bytes == b.stack_bytes


def test_stack_reservation_option():
    b, fw, elf = program("generic-m4", FAULT_PROGRAMS["stack overflow"][1], name="fault", stack=65536)
    res = CortexM(elf, b, fw.layout).run()   # 100 frames of ~520 bytes fit in 64 KB
    assert 100 * 512 < res.stack_peak_bytes < 65536 and res.stack_reserved_bytes == 65536


def test_emulator_requires_halt_symbol():
    b, fw, elf = program("generic-m4", "int main(void) { tg_done(0, 0); return 0; }", name="halt")
    with pytest.raises(TinygenError, match="no symbol 'nowhere'"):
        CortexM(elf, b, fw.layout).run(halt="nowhere")
    assert CortexM(elf, b, fw.layout).run().status == 0
    assert runner.DEFAULT_MAX_INSTRUCTIONS == 2_000_000_000


def test_svc_is_an_exception_fault():
    b, fw, elf = program("generic-m4", "int main(void) { __asm volatile (\"svc #3\"); tg_done(0, 0); return 0; }",
                         name="svc")
    with pytest.raises(EmulatorFault) as ei:
        CortexM(elf, b, fw.layout).run()
    assert ei.value.kind == "exception" and "supervisor call" in str(ei.value)
    assert ei.value.function.startswith("main")


def test_silent_stop_is_detected():
    """Unicorn returns silently when stopped early (count, timeout, emu_stop): that is a fault,
    never a result."""
    from unicorn import UC_HOOK_CODE

    b, fw, elf = program("generic-m4", LOOPS, name="loops")
    emu = CortexM(elf, b, fw.layout)
    engine = emu._engine
    target = elf.address("main")

    def stopping_engine():
        uc, log = engine()
        uc.hook_add(UC_HOOK_CODE, lambda uc, a, s, _: uc.emu_stop(), begin=target, end=target)
        return uc, log

    emu._engine = stopping_engine
    with pytest.raises(EmulatorFault) as ei:
        emu.run()
    assert ei.value.kind == "unexpected stop" and ei.value.pc == target and "tg_done" in str(ei.value)


def test_model_error_status(monkeypatch):
    """A non-zero status from <name>_run() (a kernel refusing its arguments) is reported as a
    fault of kind 'model error'."""
    from tinygen.target import run_on_board

    from ._util import small_conv_model

    real_run = CortexM.run

    def run_with_status(self, *a, **k):
        res = real_run(self, *a, **k)
        res.status = -1
        return res

    monkeypatch.setattr(CortexM, "run", run_with_status)
    with pytest.raises(EmulatorFault) as ei:
        run_on_board(small_conv_model(), "generic-m4")
    assert ei.value.kind == "model error" and "returned -1" in str(ei.value)
    assert ei.value.report.error.startswith("emulator fault: model error")


def test_every_fault_kind_is_tested():
    from tinygen.emulator import KINDS

    here = open(__file__).read()
    for kind in KINDS:
        assert f'"{kind}"' in here, kind


def test_default_instruction_limit_scales_with_the_model():
    """Regression: the default limit was a fixed 2,000,000,000 instructions, which stopped
    MobileNet-size inferences (about 3-4 G instructions) as 'runaways'. It now grows with the
    model's multiply-accumulates."""
    from tinygen.compiler import compile_model
    from tinygen.options import CompileOptions
    from tinygen.target import instruction_limit, run_on_board
    from tinygen.testing.mobilenet import mobilenet_v2

    from ._util import small_conv_model

    rep = run_on_board(small_conv_model(seed=4), "generic-m4")
    cm = compile_model(small_conv_model(seed=4), CompileOptions(alignment=8))
    assert rep.instruction_limit == instruction_limit(cm.macs) > 1_000_000_000 > rep.instructions
    big = compile_model(mobilenet_v2(1.0, 224), CompileOptions(name="m"))
    # measured: 4.4 G instructions on the M4 with the portable kernels (benchmarks/patches_results.md)
    assert big.macs > 250_000_000 and instruction_limit(big.macs) > 5 * 4_400_000_000
