"""Board files, the generated start-up code and linker scripts, boot headers: every board boots a
model in the emulator and computes what TFLM computes."""

import struct

import numpy as np
import pytest
from unicorn import UC_ARCH_ARM, UC_MODE_THUMB, UC_PROT_ALL, Uc
from unicorn import arm_const as A

from tinygen.boards import BoardError, list_boards, load_board, parse_board
from tinygen.compiler import compile_model
from tinygen.emulator import CPU_MODELS, CortexM
from tinygen.options import CompileOptions
from tinygen.target import run_on_board
from tinygen.toolchain.arm import build_firmware, build_program, crc32_rp2040, rp2040_boot2, size_berkeley
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import PROGRAM_HEAD, small_conv_model

KB, MB = 1024, 1024 * 1024


def elf_bytes(elf: ElfInfo, addr: int, n: int) -> bytes:
    for seg in elf.segments:
        if seg.paddr <= addr and addr + n <= seg.paddr + len(seg.data):
            return seg.data[addr - seg.paddr:addr - seg.paddr + n]
    raise AssertionError(f"{addr:#x} not in a loaded segment")


@pytest.mark.parametrize("name,core,fpu,flash_end,sram_budget,sram_total", [
    ("generic-m0plus", "cortex-m0plus", "none", None, None, None),
    ("generic-m4", "cortex-m4", "fpv4-sp-d16", None, None, None),
    ("generic-m7", "cortex-m7", "fpv5-d16", None, None, None),
    ("generic-m33", "cortex-m33", "fpv5-sp-d16", None, None, None),
    ("NUCLEO-F411RE", "cortex-m4", "fpv4-sp-d16", 0x08000000 + 512 * KB, 128 * KB, 128 * KB),
    ("NUCLEO-L4R5ZI", "cortex-m4", "fpv4-sp-d16", 0x08000000 + 2 * MB, 640 * KB, 640 * KB),
    ("STM32F746G-DISCO", "cortex-m7", "fpv5-sp-d16", 0x08000000 + 1 * MB, 320 * KB, 336 * KB),
    ("NUCLEO-H743ZI", "cortex-m7", "fpv5-d16", 0x08000000 + 2 * MB, 512 * KB, 1056 * KB),
    ("Arduino-Nano-33-BLE", "cortex-m4", "fpv4-sp-d16", 1 * MB, 256 * KB, 256 * KB),
    ("Raspberry-Pi-Pico", "cortex-m0plus", "none", 0x10000000 + 2 * MB, 264 * KB, 264 * KB),
    ("MIMXRT1060-EVK", "cortex-m7", "fpv5-d16", 0x60000000 + 8 * MB, 768 * KB, 1 * MB),
])
def test_required_boards(name, core, fpu, flash_end, sram_budget, sram_total):
    b = load_board(name)
    assert (b.core, b.fpu) == (core, fpu)
    if flash_end is not None:
        assert b.flash.end == flash_end
        assert b.sram_budget == sram_budget and b.sram_total == sram_total
    assert b.arena_alignment in (8, 16)
    assert b.clock_hz > 0
    assert load_board(name.lower()).name == name  # case-insensitive


def test_board_lookup_and_errors():
    assert load_board("nucleo-f411re").name == "NUCLEO-F411RE"
    assert {b.name for b in list_boards()} >= {"generic-m4", "MIMXRT1060-EVK"}
    with pytest.raises(BoardError, match="unknown board 'nope'.*NUCLEO-F411RE"):
        load_board("nope")
    good = dict(name="x", core="cortex-m4", fpu="fpv4-sp-d16", flash=dict(origin=0, size=0x10000),
                sram=[dict(name="A", origin=0x20000000, size=0x1000), dict(name="B", origin=0x20001000, size=0x1000),
                      dict(name="C", origin=0x30000000, size=0x4000)])
    b = parse_board(good)
    assert b.main_ram_names == ("C",) and b.sram_budget == 0x4000  # largest contiguous run
    assert parse_board(dict(good, main_ram=["A", "B"])).main_ram.size == 0x2000
    for bad, msg in [
        (dict(good, core="cortex-m3"), "unknown core"),
        (dict(good, fpu="fpv5-d16"), "cannot have FPU"),
        (dict(good, main_ram=["A", "C"]), "not contiguous"),
        (dict(good, sram=[dict(name="A", origin=0x20000000, size=0x2000), dict(name="B", origin=0x20001000, size=0x1000)]),
         "overlap"),
        (dict(good, flash=dict(origin=0, size=100)), "multiple of 256"),
        (dict(good, boot=dict(kind="uf2")), "unknown boot kind"),
        ({k: v for k, v in good.items() if k != "sram"}, "missing 'sram'"),
    ]:
        with pytest.raises(BoardError, match=msg):
            parse_board(bad)


@pytest.mark.parametrize("board", [b.name for b in list_boards()])
def test_every_board_boots_and_matches_tflm(board):
    """The generated start-up code and linker script boot the model on every board (from the
    reset vector, with RAM full of garbage) and the outputs are bit-identical to TFLM."""
    b = load_board(board)
    if b.core not in CPU_MODELS:
        pytest.skip(f"Unicorn has no {b.core} model (QEMU runs it: tests/target/test_qemu.py)")
    data = small_conv_model(seed=7)
    rep = run_on_board(data, b, n_random=2, seed=3)
    assert rep.outputs_match_tflm and rep.outputs_match_host and rep.outputs_match_reference
    assert rep.fits and rep.link_fits and not rep.budget_messages
    assert 0 < rep.stack_peak_bytes < rep.stack_reserved_bytes == b.stack_bytes
    assert rep.sram_peak_bytes == rep.static_sram_bytes + rep.stack_peak_bytes
    assert rep.static_sram_bytes >= rep.arena_bytes
    sz = size_berkeley(rep.elf)  # pyelftools and arm-none-eabi-size agree
    assert rep.flash_bytes == sz["text"] + sz["data"]
    assert rep.static_sram_bytes == sz["data"] + sz["bss"] - b.stack_bytes
    assert sum(rep.flash_breakdown.values()) == rep.flash_bytes

    # what the reset handler did: FPU enabled in CPACR (FPU parts), VTOR pointed at the vectors
    cm = compile_model(data, CompileOptions(alignment=b.arena_alignment))
    fw = build_firmware(cm, b)
    elf = ElfInfo(fw.elf)
    res = CortexM(elf, b, fw.layout).run()
    writes = {addr: value for addr, _, value in res.mmio_writes}
    vectors = elf.address("tg_vector_table")
    assert writes.get(0xE000ED08) == vectors
    if b.has_fpu:
        assert writes.get(0xE000ED88, 0) & (0xF << 20) == 0xF << 20
    else:
        assert 0xE000ED88 not in writes
    if b.caches:
        assert writes.get(0xE000ED14, 0) & (3 << 16) == 3 << 16  # CCR.IC and CCR.DC
    # layout: stack at the bottom of the main RAM, vector table where the part boots from
    ram = b.main_ram
    assert elf.address("__tg_stack_limit") == ram.origin
    assert elf.address("__tg_stack_top") == ram.origin + b.stack_bytes
    expected_vectors = {"rp2040-boot2": b.flash.origin + 0x100, "imxrt-flexspi-nor": b.flash.origin + 0x2000}
    assert vectors == expected_vectors.get(b.boot_kind, b.flash.origin)
    assert vectors % 128 == 0
    sp, reset = struct.unpack("<II", elf_bytes(elf, vectors, 8))
    assert sp == ram.origin + b.stack_bytes and reset == elf.address("tg_reset_handler") | 1
    assert elf.section(".vectors").size == 4 * (16 + b.irq_count)


@pytest.mark.parametrize("board", ["generic-m0plus", "generic-m4", "Raspberry-Pi-Pico", "MIMXRT1060-EVK",
                                   "NUCLEO-H743ZI"])
def test_reset_handler_copies_data_and_zeroes_bss(board):
    src = PROGRAM_HEAD + r"""
static volatile uint32_t initialized[4] = { 0x12345678u, 0x9abcdef0u, 42u, 7u };
static volatile uint32_t zeroed[64];
static volatile float scale = 1.5f;
static volatile uint32_t not_initialized __attribute__((section(".noinit")));
int main(void)
{
    int32_t ok = 1;
    uint32_t i;
    ok &= initialized[0] == 0x12345678u && initialized[1] == 0x9abcdef0u && initialized[2] == 42u && initialized[3] == 7u;
    for (i = 0; i < 64u; ++i) {
        ok &= zeroed[i] == 0u;
    }
    scale = scale * 3.0f;
    ok &= scale == 4.5f;
    /* RAM the start-up code does not touch holds what the emulator put there at power-up */
    tg_done(ok | (not_initialized == 0xA5A5A5A5u ? 2 : 0), 0);
    return 0;
}
"""
    b = load_board(board)
    fw = build_program(b, {"prog.c": src}, name="datatest")
    elf = ElfInfo(fw.elf)
    assert elf.section(".data").size >= 20 and elf.section(".bss").size >= 256
    data = elf.section(".data")
    assert data.lma != data.addr and b.flash.contains(data.lma)  # initial values stored in flash
    res = CortexM(elf, b, fw.layout).run()
    assert res.status == 3  # .data copied, .bss zeroed, and the rest of RAM was garbage (0xA5) before reset


def test_crc32_rp2040():
    assert crc32_rp2040(b"123456789") == 0x0376E6E7  # CRC-32/MPEG-2 check value
    assert crc32_rp2040(b"") == 0xFFFFFFFF


def test_rp2040_boot2_in_image_and_runs():
    """The second-stage boot loader is the first 256 bytes of flash with a valid CRC; run as the
    boot ROM would (copied to 0x20041f00, LR = 0) it configures the XIP SSI, sets VTOR, loads the
    stack pointer and enters the reset handler."""
    b = load_board("Raspberry-Pi-Pico")
    blob = rp2040_boot2(4)
    assert len(blob) == 256
    assert crc32_rp2040(blob[:252]) == int.from_bytes(blob[252:], "little")
    fw = build_firmware(compile_model(small_conv_model(), CompileOptions(alignment=8)), b)
    elf = ElfInfo(fw.elf)
    assert elf_bytes(elf, 0x10000000, 256) == blob
    assert elf.address("tg_vector_table") == 0x10000100
    sp_expected, reset = struct.unpack("<II", elf_bytes(elf, 0x10000100, 8))

    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM_CORTEX_M0)
    uc.mem_map(0x10000000, 0x200000, UC_PROT_ALL)
    uc.mem_map(0x20000000, 0x42000, UC_PROT_ALL)
    for seg in elf.segments:
        uc.mem_write(seg.paddr, seg.data)
    uc.mem_write(0x20041f00, blob)
    regs, writes = bytearray(0x1000), []

    def rd(uc, off, size, _):
        return int.from_bytes(regs[off:off + size], "little")

    def wr(uc, off, size, value, _):
        regs[off:off + size] = value.to_bytes(size, "little")
        writes.append((off, value))

    uc.mmio_map(0x18000000, 0x1000, rd, None, wr, None)
    scs = {}
    uc.mmio_map(0xE000E000, 0x1000, lambda uc, o, s, _: scs.get(o, 0), None,
                lambda uc, o, s, v, _: scs.__setitem__(o, v), None)
    uc.reg_write(A.UC_ARM_REG_SP, 0x20041f00)
    uc.reg_write(A.UC_ARM_REG_LR, 0)
    uc.ctl_flush_tb()
    uc.emu_start(0x20041f01, reset & ~1, count=200)
    assert uc.reg_read(A.UC_ARM_REG_PC) == reset & ~1
    assert uc.reg_read(A.UC_ARM_REG_SP) == sp_expected
    assert scs[0xD08] == 0x10000100
    assert writes == [(0x08, 0), (0x14, 4), (0x00, 0x001F0300), (0xF4, 0x03000218), (0x04, 0), (0x08, 1)]
    # called as a function (non-zero LR), it returns
    uc.reg_write(A.UC_ARM_REG_SP, 0x20041f00)
    uc.reg_write(A.UC_ARM_REG_LR, 0x20000101)
    uc.mem_write(0x20000100, b"\x00\xbf\x00\xbf")  # nops
    uc.ctl_flush_tb()
    uc.emu_start(0x20041f01, 0x20000100, count=200)
    assert uc.reg_read(A.UC_ARM_REG_PC) == 0x20000100


def test_imxrt_flexspi_boot_headers():
    b = load_board("MIMXRT1060-EVK")
    fw = build_firmware(compile_model(small_conv_model(), CompileOptions(alignment=16)), b)
    elf = ElfInfo(fw.elf)
    base = 0x60000000
    fcb = elf_bytes(elf, base, 512)
    tag, version = struct.unpack_from("<II", fcb, 0)
    assert tag == 0x42464346 and fcb[:4] == b"FCFB" and version == 0x56010400
    assert fcb[0x0C] == 1 and fcb[0x0D] == 3 and fcb[0x0E] == 3          # DQS loopback, CS hold/setup
    assert fcb[0x44] == 1 and fcb[0x45] == 4 and fcb[0x46] == 6          # serial NOR, 4 pads, 100 MHz
    assert struct.unpack_from("<I", fcb, 0x50)[0] == 8 * MB
    lut0, lut1 = struct.unpack_from("<II", fcb, 0x80)

    def insn(h):
        return h >> 10, (h >> 8) & 3, h & 0xFF

    assert [insn(lut0 & 0xFFFF), insn(lut0 >> 16)] == [(0x01, 0, 0xEB), (0x02, 2, 24)]   # CMD 0xEB, 24-bit addr x4
    assert [insn(lut1 & 0xFFFF), insn(lut1 >> 16)] == [(0x0C, 2, 6), (0x09, 2, 4)]      # 6 dummy, read x4
    assert struct.unpack_from("<III", fcb, 0x1C0)[:2] == (256, 4096)
    assert struct.unpack_from("<I", fcb, 0x1D0)[0] == 65536
    ivt = struct.unpack("<8I", elf_bytes(elf, base + 0x1000, 32))
    assert ivt[0] == 0x412000D1
    assert ivt[1] == elf.address("tg_vector_table") == base + 0x2000
    assert ivt[3] == 0 and ivt[6] == 0                                    # no DCD, no CSF
    assert ivt[5] == base + 0x1000
    boot_data = struct.unpack("<4I", elf_bytes(elf, ivt[4], 16))
    assert ivt[4] == base + 0x1020
    end = max(s.lma + s.size for s in elf.sections if s.alloc and not s.nobits and b.flash.contains(s.lma))
    assert boot_data[0] == base and boot_data[3] == 0xFFFFFFFF
    assert 0 <= boot_data[1] - (end - base) < 8  # the image size, up to the (aligned) end of .data's load image
    # the start-up code disabled the watchdogs
    res = CortexM(elf, b, fw.layout).run()
    w = {(a, v) for a, _, v in res.mmio_writes}
    assert (0x400B8008, 0) in w and (0x400D0008, 0) in w and (0x400BC008, 0xFFFF) in w


def test_generated_sources_compile_cleanly_with_werror_at_os():
    """-Os with newlib-nano builds and runs too (the selectable size-optimized build)."""
    b = load_board("generic-m4")
    data = small_conv_model(seed=5)
    r2 = run_on_board(data, b, n_random=1)
    from tinygen.target import TargetOptions

    rs = run_on_board(data, b, n_random=1, target=TargetOptions(opt="Os"))
    assert r2.outputs_match_reference and rs.outputs_match_reference
    assert rs.opt == "Os" and rs.code_bytes < r2.code_bytes


def test_arena_alignment_follows_board():
    for name in ("generic-m4", "generic-m7"):
        b = load_board(name)
        rep = run_on_board(small_conv_model(), b, n_random=1)
        elf = ElfInfo(rep.elf)
        assert elf.address("small_arena" if "small_arena" in elf.symbols else "model_arena") % b.arena_alignment == 0
        assert np.isfinite(rep.flash_percent)
