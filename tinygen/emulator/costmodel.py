"""A static cycle estimate from the blocks an emulated run executed.

The emulator counts instructions exactly; cycles it cannot know (it models no pipeline, bus or
memory timing). This module estimates them: every executed block is disassembled (capstone) and
its instructions priced with a per-core table taken from the cores' technical reference manuals
(instruction timing at zero wait states), then multiplied by how often the block ran; blocks
that ended in a taken branch pay the pipeline refill. Flash wait states are added for taken
branches on parts without an instruction cache or accelerator (board keys `flash_wait_states`,
`flash_cache`); with a cache ("art", "cache") the inner loops are assumed to stay in it.

What the model leaves out, and why the estimate is not a measurement: load-use interlocks other
than the M4's load pipelining rule, bus contention and data wait states (weights are read from
flash: on a part with a data cache or the ART accelerator mostly hidden, on others not), cache
misses, interrupts, and the exact dual-issue rules of the Cortex-M7 (approximated by a pairing
rule). Instruction counts remain the exact, primary metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .native import BlockStats


@dataclass(frozen=True)
class CoreTiming:
    """Cycles per instruction class at zero wait states."""

    name: str
    #: where the numbers come from
    source: str
    load: int = 2            # LDR/LDRB/LDRH/LDRSB/LDRSH/STR..., single
    load_pipelined: int = 1  # a single load/store right after another one (address phases overlap)
    load_double: int = 3     # LDRD/STRD
    multiple_base: int = 1   # LDM/STM/PUSH/POP: base + one per register
    mul: int = 1             # MUL, MLA, MLS, SMULL, UMULL, SMLAL, UMLAL, DSP multiplies
    div: int = 7             # SDIV/UDIV: 2-12, data dependent
    branch_taken: int = 2    # extra cycles of a taken branch (pipeline refill P)
    call_extra: int = 0      # BL/BLX beyond a taken branch
    fp_div: int = 14         # VDIV/VSQRT
    #: the core issues two instructions per cycle where a pairing rule allows (Cortex-M7)
    dual_issue: bool = False
    #: a taken backward branch is predicted (no refill): the M7's branch target cache
    predicts_loops: bool = False


CORE_TIMINGS = {
    "cortex-m0plus": CoreTiming("cortex-m0plus", "Cortex-M0+ TRM (r0p1), 3.3: ALU 1, LDR/STR 2, LDM/STM 1+N, MULS 1 "
                                "(fast multiplier), B taken 2, BL 3", load=2, load_pipelined=2, load_double=4,
                                mul=1, div=0, branch_taken=1, call_extra=1),
    "cortex-m0": CoreTiming("cortex-m0", "Cortex-M0 TRM (r0p0), 3.3: ALU 1, LDR/STR 2, LDM/STM 1+N, MULS 1 (fast "
                            "multiplier), 3-stage pipeline: B taken 3, BL 4", load=2, load_pipelined=2, load_double=4,
                            mul=1, div=0, branch_taken=2, call_extra=1),
    "cortex-m4": CoreTiming("cortex-m4", "Cortex-M4 TRM (r0p1), table 3-1: ALU 1, LDR/STR 2 (1 when pipelined "
                            "after another load/store), LDRD/STRD 3, LDM/STM 1+N, MUL/MLA/SMULL/SMLAL/DSP 1, "
                            "SDIV 2-12, taken branch 1+P (P 1-3)"),
    "cortex-m33": CoreTiming("cortex-m33", "Cortex-M33 TRM: single-cycle ALU, multiply and DSP; loads 2 (1 "
                             "pipelined); SDIV 2-11; 3-stage pipeline, taken branch 1+P (P about 1)",
                             branch_taken=1, div=6),
    "cortex-m55": CoreTiming("cortex-m55", "Cortex-M55 TRM (scalar pipeline only; Helium not modelled): single-cycle "
                             "ALU, multiply and DSP; loads 2 (1 pipelined); taken branch 1+P (P about 2)",
                             branch_taken=2, div=6),
    "cortex-m7": CoreTiming("cortex-m7", "Cortex-M7 TRM: 6-stage dual-issue pipeline, loads from TCM/cache 1, "
                            "single-cycle MAC, branch target cache (predicted loop branches free)", load=1,
                            load_pipelined=1, load_double=2, div=6, branch_taken=2, dual_issue=True,
                            predicts_loops=True),
}

_MUL = {"mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "smulbb", "smulbt", "smultb", "smultt",
        "smlabb", "smlabt", "smlatb", "smlatt", "smulwb", "smulwt", "smlawb", "smlawt", "smlad", "smladx",
        "smlsd", "smlsdx", "smuad", "smuadx", "smusd", "smusdx", "smlald", "smlaldx", "smlsld", "smlsldx",
        "smmul", "smmulr", "smmla", "smmlar", "smmls", "smmlsr", "umaal", "muls"}
_DIV = {"sdiv", "udiv"}
_LOAD_DOUBLE = {"ldrd", "strd"}
_MULTIPLE = {"ldm", "ldmia", "ldmdb", "stm", "stmia", "stmdb", "push", "pop", "ldmfd", "stmfd", "vpush", "vpop",
             "vldm", "vstm", "vldmia", "vstmia", "vldmdb", "vstmdb"}
_FP_DIV = {"vdiv", "vsqrt"}
_BRANCH = {"b", "bl", "blx", "bx", "cbz", "cbnz", "tbb", "tbh"}


def _base(mnemonic: str) -> str:
    """The mnemonic without condition codes, .w/.n and the flag-setting 's' where it is one."""
    m = mnemonic.lower().split(".")[0]
    if m in _MUL or m in _DIV or m in _MULTIPLE or m in _BRANCH or m in _LOAD_DOUBLE:
        return m
    for cc in ("eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al"):
        if m.endswith(cc) and m[:-2] in _BRANCH | _MUL:
            return m[:-2]
    return m


def _is_load_store(m: str) -> bool:
    return (m.startswith("ldr") or m.startswith("str") or m in ("vldr", "vstr")) and m not in _LOAD_DOUBLE


@dataclass
class BlockCost:
    cycles: int       # at zero wait states, not counting the refill of a taken branch at its end
    backward: bool    # it ends in a branch to a lower address (a loop)
    classes: dict[str, int] = field(default_factory=dict)


@lru_cache(maxsize=None)
def _disassembler():
    import capstone

    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    md.detail = False
    return md


def block_cost(code: bytes, address: int, t: CoreTiming) -> BlockCost:
    """Cycles of one pass through a block of Thumb code."""
    md = _disassembler()
    cycles = 0
    prev_ls = False
    prev_pairable = None  # for dual issue: the class of an unpaired previous instruction
    classes: dict[str, int] = {}
    backward = False
    for ins in md.disasm(code, address):
        m = _base(ins.mnemonic)
        if m in _DIV:
            c, cls = t.div, "div"
        elif m in _FP_DIV:
            c, cls = t.fp_div, "fp_div"
        elif m in _MUL or m.startswith("smla") or m.startswith("smul"):
            c, cls = t.mul, "mul"
        elif m in _LOAD_DOUBLE:
            c, cls = t.load_double, "load_store"
        elif m in _MULTIPLE:
            regs = ins.op_str.count(",") + 1 if "{" in ins.op_str else 1
            if "-" in ins.op_str:  # a register range: count it
                regs += 2
            c, cls = t.multiple_base + regs, "multiple"
        elif _is_load_store(m):
            c, cls = (t.load_pipelined if prev_ls else t.load), "load_store"
        elif m in _BRANCH or (m.startswith("b") and len(m) == 3 and m[1:] in ("eq", "ne", "cs", "cc", "mi", "pl", "vs",
                                                                             "vc", "hi", "ls", "ge", "lt", "gt",
                                                                             "le", "hs", "lo")):
            c, cls = 1, "branch"
            if m in ("bl", "blx"):
                c += t.call_extra
            if ins.op_str.startswith("#"):
                try:
                    backward = int(ins.op_str[1:], 0) <= address
                except ValueError:
                    pass
        else:
            c, cls = 1, "alu"
        if t.dual_issue and c == 1 and cls in ("alu", "mul", "load_store"):
            if prev_pairable is not None and not (prev_pairable == cls and cls != "alu"):
                c = 0  # issued together with the previous instruction
                prev_pairable = None
            else:
                prev_pairable = cls
        else:
            prev_pairable = None
        prev_ls = cls == "load_store"
        cycles += c
        classes[cls] = classes.get(cls, 0) + 1
    return BlockCost(cycles=cycles, backward=backward, classes=classes)


@dataclass
class CycleEstimate:
    cycles: int
    #: executed instructions per class (alu, load_store, multiple, mul, div, branch...)
    classes: dict[str, int]
    taken_branches: int
    wait_state_cycles: int
    core: str

    def to_dict(self) -> dict:
        return dict(cycles=self.cycles, classes=self.classes, taken_branches=self.taken_branches,
                    wait_state_cycles=self.wait_state_cycles, core=self.core)


def estimate_cycles(blocks: BlockStats, read, core: str, flash_wait_states: int = 0,
                    flash_cache: str = "none", flash: tuple[int, int] | None = None) -> CycleEstimate:
    """Cycles of the blocks in `blocks` on `core`. `read(address, size) -> bytes` reads the code;
    `flash` is the (start, end) of the flash region, for wait states on taken branches there."""
    t = CORE_TIMINGS[core]
    total = 0
    taken_total = 0
    wait = 0
    classes: dict[str, int] = {}
    costs: dict[tuple[int, int], BlockCost] = {}
    for a, s, hits, taken in zip(blocks.address.tolist(), blocks.size.tolist(), blocks.hits.tolist(),
                                 blocks.taken.tolist()):
        bc = costs.get((a, s))
        if bc is None:
            bc = costs[(a, s)] = block_cost(read(a, s), a, t)
        refill = 0 if (t.predicts_loops and bc.backward) else t.branch_taken
        total += bc.cycles * hits + refill * taken
        taken_total += taken
        if flash_cache in ("none", "prefetch") and flash is not None and flash[0] <= a < flash[1]:
            wait += flash_wait_states * taken
        for k, v in bc.classes.items():
            classes[k] = classes.get(k, 0) + v * hits
    return CycleEstimate(cycles=int(total + wait), classes=classes, taken_branches=int(taken_total),
                         wait_state_cycles=int(wait), core=core)


__all__ = ["CORE_TIMINGS", "CoreTiming", "CycleEstimate", "block_cost", "estimate_cycles"]
