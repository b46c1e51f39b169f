"""The per-operator profile (a profiling build with markers between operators) and the cycle
estimate (a per-core cost model over the executed blocks)."""

from __future__ import annotations

import pytest

from tinygen.emulator import CortexM
from tinygen.emulator.costmodel import CORE_TIMINGS, block_cost
from tinygen.target import TargetOptions, run_on_board
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import PROGRAM_HEAD, small_conv_model

pytestmark = pytest.mark.target


def _asm(board: str, body: str):
    """A program whose main calls a naked function `probe` made of `body` (Thumb assembly)."""
    from tinygen.boards import load_board
    from tinygen.toolchain.arm import build_program

    src = PROGRAM_HEAD + f"""
__attribute__((naked, noinline)) static void probe(void)
{{
    __asm volatile (
{body}
    );
}}
int main(void)
{{
    probe();
    tg_done(0, 0);
    return 0;
}}
"""
    b = load_board(board)
    fw = build_program(b, {"prog.c": src}, name="probe")
    return b, fw, ElfInfo(fw.elf)


def test_block_costs_follow_the_manuals_tables():
    """Two loads in a row (the second pipelined), an ALU op, a DSP multiply and a return on the M4:
    2 + 1 + 1 + 1 + 1 cycles before the return's refill; the M0+ has no load pipelining."""
    import struct

    # ldr r0, [r1]; ldr r2, [r3]; adds r0, r0, r2; smlad r0, r0, r2, r0; bx lr
    code = struct.pack("<HHH", 0x6808, 0x681A, 0x1880) + struct.pack("<HH", 0xFB20, 0x0002) + struct.pack("<H", 0x4770)
    m4 = block_cost(code, 0x1000, CORE_TIMINGS["cortex-m4"])
    assert m4.cycles == 2 + 1 + 1 + 1 + 1 and m4.classes == {"load_store": 2, "alu": 1, "mul": 1, "branch": 1}
    m0 = block_cost(struct.pack("<HHHH", 0x6808, 0x681A, 0x1880, 0x4770), 0x1000, CORE_TIMINGS["cortex-m0plus"])
    assert m0.cycles == 2 + 2 + 1 + 1


@pytest.mark.parametrize("board", ["generic-m4", "generic-m0plus"])
def test_block_statistics_count_runs_and_taken_branches(board):
    """A loop of 10 iterations: the loop body runs 10 times (the first pass inside the block that
    starts the function, the others in the block at the loop label) and its backward branch is taken
    9 times; the native and the Python counters agree."""
    b, fw, elf = _asm(board, '''
        ".syntax unified\\n"
        "movs r0, #10\\n"
        "1:\\n"
        "subs r0, r0, #1\\n"
        "bne 1b\\n"
        "bx lr\\n"''')
    stats = []
    for native in (True, False):
        res = CortexM(elf, b, fw.layout, native=native).run()
        s = res.blocks
        stats.append(sorted(zip(s.address.tolist(), s.size.tolist(), s.hits.tolist(), s.taken.tolist())))
    assert stats[0] == stats[1]
    probe = elf.address("probe") & ~1
    entry = next(r for r in stats[0] if r[0] == probe)
    loop = next(r for r in stats[0] if r[0] == probe + 2)
    assert (entry[2], entry[3]) == (1, 1) and (loop[2], loop[3]) == (9, 8)


def test_run_reports_a_cycle_estimate_and_a_per_operator_profile():
    data = small_conv_model(seed=6)
    rep = run_on_board(data, "NUCLEO-L4R5ZI", target=TargetOptions(profile=True))
    assert rep.outputs_match_reference
    assert rep.instructions < rep.cycles_estimate < 3 * rep.instructions
    assert rep.latency_ms_estimate == pytest.approx(1000 * rep.cycles_estimate / 120e6, rel=1e-3)
    assert rep.cycle_model["core"] == "cortex-m4" and rep.cycle_model["flash_cache"] == "art"
    ops = rep.per_op
    assert [r["op"] for r in ops] == list(range(len(ops))) and len(ops) == 2
    # a DSP convolution on the M4 does two MACs per SMLAD: fewer instructions than MACs is possible
    assert all(r["kernel"].startswith("tg_conv") and r["macs"] > 0 and r["instructions"] > r["macs"] // 4
               for r in ops), ops
    # the profiling build's per-operator counts add up to the normal build's, but for the harness
    assert 0 <= rep.instructions - sum(r["instructions"] for r in ops) < 50
    assert sum(r["cycles_estimate"] for r in ops) <= rep.cycles_estimate
    d = rep.to_dict()
    assert d["per_op"] == ops and d["cycles_estimate"] == rep.cycles_estimate
