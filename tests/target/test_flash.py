"""tinygen flash without hardware: the images (.bin/.hex booted by QEMU's loader, .uf2 block by
block), the pyOCD and OpenOCD command lines for every board (fake tools on PATH record them), the
board files against pyOCD's built-in memory maps and OpenOCD's configuration files, the missing
tool / missing probe errors of the real tools, and the GDB back end end to end against QEMU
started with empty flash (load, verify, reset, run, outputs identical)."""

import json
import os
import shlex
import shutil
import socket
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tinygen.backends import QemuBackend
from tinygen.boards import list_boards, load_board
from tinygen.compiler import compile_model
from tinygen.emulator.qemu import QemuProcess, qemu_missing
from tinygen.flash import parse_intel_hex, probe_argv, to_bin, write_images
from tinygen.options import CompileOptions
from tinygen.toolchain.arm import build_firmware
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import small_conv_model
from .test_qemu import cli

needs_qemu = pytest.mark.skipif(qemu_missing() is not None, reason=f"QEMU unavailable: {qemu_missing()}")
REAL_BOARDS = [b.name for b in list_boards() if not b.name.startswith("generic-")]


def _model(tmp_path: Path, seed: int = 2) -> Path:
    p = tmp_path / "net.tflite"
    p.write_bytes(small_conv_model(seed=seed))
    return p


def _firmware(board: str, seed: int = 2):
    b = load_board(board)
    cm = compile_model(small_conv_model(seed=seed), CompileOptions(alignment=b.arena_alignment, name="net"))
    return cm, b, build_firmware(cm, b)


# -- images ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("board", ["NUCLEO-F411RE", "Raspberry-Pi-Pico", "MIMXRT1060-EVK", "qemu-mps2-an505"])
def test_bin_and_hex_hold_exactly_the_elf_segments(board, tmp_path):
    cm, b, fw = _firmware(board)
    im = write_images(fw.elf, b, tmp_path, "net")
    elf = ElfInfo(fw.elf)
    segs = [(s.paddr, s.data) for s in elf.segments if s.data]
    data = im.bin.read_bytes()
    assert im.bin_base == min(a for a, _ in segs) == b.flash.origin
    for addr, d in segs:
        assert data[addr - im.bin_base:addr - im.bin_base + len(d)] == d
    assert len(data) == max(a + len(d) for a, d in segs) - im.bin_base == im.bytes
    # the .hex decodes to the same bytes (and objcopy's reading of the ELF agrees with ours)
    records = parse_intel_hex(im.hex.read_text())
    assert to_bin(records)[1] == data and to_bin(records)[0] == im.bin_base
    ref = tmp_path / "objcopy.bin"
    only = [x for sec in elf.sections if sec.alloc and not sec.nobits and sec.size for x in ("-j", sec.name)]
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", "--gap-fill", "0xff", *only, str(fw.elf), str(ref)],
                   check=True)
    assert ref.read_bytes() == data
    text = im.hex.read_text().splitlines()
    assert text[-1] == ":00000001FF" and text[-2] == ":04000005" + f"{elf.entry:08X}" + text[-2][-2:]
    manifest = json.loads((tmp_path / "net.flash.json").read_text())
    assert manifest["bin_base"] == im.bin_base and manifest["board"] == b.name
    assert (im.uf2 is not None) == (b.boot_kind == "rp2040-boot2")


def test_uf2_blocks_match_the_bin(tmp_path):
    """UF2 (the Pico's boot ROM): 512-byte blocks, magic numbers, RP2040 family ID, 256 payload
    bytes at consecutive 256-aligned flash addresses; every payload is the .bin's slice."""
    cm, b, fw = _firmware("Raspberry-Pi-Pico")
    im = write_images(fw.elf, b, tmp_path, "net")
    uf2, data = im.uf2.read_bytes(), im.bin.read_bytes()
    n = len(uf2) // 512
    assert len(uf2) % 512 == 0 and n == -(-len(data) // 256)
    for i in range(n):
        blk = uf2[512 * i:512 * (i + 1)]
        m0, m1, flags, addr, size, no, total, family = struct.unpack("<8I", blk[:32])
        assert (m0, m1, struct.unpack("<I", blk[508:])[0]) == (0x0A324655, 0x9E5D5157, 0x0AB16F30)
        assert flags & 0x2000 and family == 0xE48BFF56
        assert (addr, size, no, total) == (0x10000000 + 256 * i, 256, i, n)
        chunk = data[256 * i:256 * (i + 1)]
        assert blk[32:32 + len(chunk)] == chunk and set(blk[32 + len(chunk):32 + 256]) <= {0xFF}
        assert set(blk[32 + 256:508]) <= {0}
    # the first block starts with the boot ROM's 256-byte second-stage loader (CRC-checked)
    assert uf2[32:32 + 256] == data[:256]


@needs_qemu
@pytest.mark.parametrize("board,fmt", [("qemu-netduinoplus2", "bin"), ("qemu-netduinoplus2", "hex"),
                                       ("qemu-mps2-an386", "hex"), ("qemu-mps2-an505", "bin")])
def test_images_boot_with_qemus_loader(board, fmt, tmp_path):
    """QEMU boots the .bin (at its base address) and the .hex like the ELF: same outputs."""
    from tinygen.check import random_inputs
    from tinygen.reference import TFLMReference

    cm, b, fw = _firmware(board, seed=4)
    im = write_images(fw.elf, b, tmp_path, "net")
    loader = f"loader,file={im.bin},addr={im.bin_base:#x}" if fmt == "bin" else f"loader,file={im.hex}"
    elf = ElfInfo(fw.elf)
    arena = elf.address("net_arena")
    g = cm.graph
    xs = random_inputs(g, 1, seed=9)[0]
    writes = [(arena + cm.plan.tensor_offset(t), x.astype("int8").tobytes()) for x, t in zip(xs, g.inputs)]
    reads = [(arena + cm.plan.tensor_offset(t), t.nbytes) for t in g.outputs]
    with QemuBackend(elf, b, image_args=["-device", loader]) as q:
        got = q.run(writes, reads)
    want = TFLMReference(small_conv_model(seed=4)).run(xs)
    assert got.status == 0 and got.outputs == [w.astype("int8").tobytes() for w in want]


# -- pyOCD and OpenOCD command lines ---------------------------------------------------------------
FAKE_TOOL = """#!{python}
import json, os, sys
with open(os.environ["TG_FAKE_LOG"], "a") as f:
    f.write(json.dumps([os.path.basename(sys.argv[0])] + sys.argv[1:]) + "\\n")
"""


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    d = tmp_path / "fakebin"
    d.mkdir()
    for name in ("pyocd", "openocd"):
        p = d / name
        p.write_text(FAKE_TOOL.format(python=sys.executable))
        p.chmod(p.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TG_FAKE_LOG", str(log))
    return log


EXPECTED_PYOCD = {"NUCLEO-F411RE": "stm32f411retx", "NUCLEO-H743ZI": "stm32h743xx", "NUCLEO-L4R5ZI": "stm32l4r5zitx",
                  "STM32F746G-DISCO": "stm32f746nghx", "Arduino-Nano-33-BLE": "nrf52840",
                  "Raspberry-Pi-Pico": "rp2040", "MIMXRT1060-EVK": "mimxrt1060", "qemu-netduinoplus2": "stm32f405rgtx",
                  "qemu-microbit": "nrf51"}
EXPECTED_OPENOCD = {"NUCLEO-F411RE": ["board/st_nucleo_f4.cfg"], "NUCLEO-H743ZI": ["board/st_nucleo_h743zi.cfg"],
                    "NUCLEO-L4R5ZI": ["board/st_nucleo_l4.cfg"], "STM32F746G-DISCO": ["board/stm32f746g-disco.cfg"],
                    "Arduino-Nano-33-BLE": ["interface/cmsis-dap.cfg", "target/nrf52.cfg"],
                    "Raspberry-Pi-Pico": ["interface/cmsis-dap.cfg", "target/rp2040.cfg"],
                    "qemu-netduinoplus2": ["interface/stlink.cfg", "target/stm32f4x.cfg"],
                    "qemu-microbit": ["interface/cmsis-dap.cfg", "target/nrf51.cfg"]}


@pytest.mark.parametrize("board", REAL_BOARDS)
def test_flash_argv_for_every_board(board, tmp_path, fake_tools, capsys):
    b = load_board(board)
    model = _model(tmp_path)
    out = tmp_path / "out"
    assert b.pyocd_target == EXPECTED_PYOCD.get(b.name, "")
    assert list(b.openocd_config) == EXPECTED_OPENOCD.get(b.name, [])
    ran = []
    for probe in ("pyocd", "openocd"):
        if not (b.pyocd_target if probe == "pyocd" else b.openocd_config):
            assert cli(["flash", str(model), "--board", board, "--probe", probe, "-o", str(out)]) == 2
            assert "has no " in capsys.readouterr().err
            continue
        name = "net"
        if probe == "pyocd":
            want = ["pyocd", "load", "--no-wait", "--target", b.pyocd_target, "--format", "hex", str(out / f"{name}.hex")]
        else:
            want = ["openocd"] + [x for c in b.openocd_config for x in ("-f", c)] + \
                   ["-c", f"program {{{out / (name + '.elf')}}} verify reset exit"]
        capsys.readouterr()
        assert cli(["flash", str(model), "--board", board, "--probe", probe, "-o", str(out), "--dry-run"]) == 0
        assert shlex.join(want) in capsys.readouterr().out.splitlines()
        assert cli(["flash", str(model), "--board", board, "--probe", probe, "-o", str(out)]) == 0
        ran.append(want)
        assert (out / "net.hex").is_file() and (out / "net.elf").is_file()
    logged = [json.loads(x) for x in fake_tools.read_text().splitlines()] if fake_tools.exists() else []
    assert logged == ran


def test_dry_run_prints_the_exact_command(tmp_path, capsys):
    model = _model(tmp_path)
    b = load_board("NUCLEO-H743ZI")
    assert cli(["flash", str(model), "--board", b.name, "--probe", "openocd", "-o", str(tmp_path / "o"),
                "--dry-run"]) == 0
    out = capsys.readouterr().out
    im_elf = tmp_path / "o" / "net.elf"
    line = next(ln for ln in out.splitlines() if ln.startswith("openocd"))
    assert shlex.split(line) == ["openocd", "-f", "board/st_nucleo_h743zi.cfg", "-c",
                                 f"program {{{im_elf}}} verify reset exit"]


def test_pyocd_builtin_memory_maps_hold_the_board_memories():
    """Board flash and SRAM lie inside pyOCD's built-in target memory map (where pyOCD has one)."""
    builtin = pytest.importorskip("pyocd.target.builtin").BUILTIN_TARGETS
    # regions pyOCD's built-in maps leave out (its maps are not complete): checked against the manuals
    not_in_pyocd = {("NUCLEO-H743ZI", "AXI_SRAM"): "RM0433: 512 KB AXI SRAM at 0x24000000",
                    ("MIMXRT1060-EVK", "OCRAM"): "RT1060 RM: FlexRAM OCRAM at 0x20280000 (pyOCD lists OCRAM2 only)"}
    checked = []
    for b in list_boards():
        if not b.pyocd_target or b.pyocd_target not in builtin:
            continue
        t = builtin[b.pyocd_target]
        mm = getattr(t, "MEMORY_MAP", None) or getattr(t, "memoryMap")
        regions: list[list] = []
        for r in sorted(mm.regions, key=lambda r: r.start):  # merge contiguous banks of one kind
            if regions and regions[-1][0] == r.type.name and regions[-1][2] == r.start:
                regions[-1][2] = r.start + r.length
            else:
                regions.append([r.type.name, r.start, r.start + r.length])
        assert any(kind == "FLASH" and lo <= b.flash.origin and b.flash.end <= hi for kind, lo, hi in regions), b.name
        for r in b.sram:
            inside = any(kind == "RAM" and lo <= r.origin and r.end <= hi for kind, lo, hi in regions)
            assert inside or (b.name, r.name) in not_in_pyocd, (b.name, r.name)
        checked.append(b.name)
    assert sorted(checked) == ["Arduino-Nano-33-BLE", "MIMXRT1060-EVK", "NUCLEO-H743ZI", "Raspberry-Pi-Pico",
                               "qemu-microbit"]


@pytest.mark.skipif(shutil.which("openocd") is None, reason="openocd not installed (apt-get install openocd)")
@pytest.mark.parametrize("board", sorted({b.name for b in list_boards() if b.openocd_config}))
def test_openocd_configs_parse(board):
    b = load_board(board)
    argv = ["openocd"] + [x for c in b.openocd_config for x in ("-f", c)] + ["-c", "echo tinygen-config-ok", "-c",
                                                                             "shutdown"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "tinygen-config-ok" in r.stderr + r.stdout, r.stderr


# -- errors from the real tools --------------------------------------------------------------------
def test_missing_tool_is_one_line(tmp_path, monkeypatch, capsys):
    model = _model(tmp_path)
    bin_dir = tmp_path / "bin"  # the toolchain, but no pyocd or openocd
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        for exe in Path(d).glob("arm-none-eabi-*") if Path(d).is_dir() else []:
            if not (bin_dir / exe.name).exists():
                (bin_dir / exe.name).symlink_to(exe)
    for tool in ("gcc", "cc"):
        if shutil.which(tool) and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    for probe, msg in (("pyocd", "pyocd not found: pip install 'tinygen[flash]'"),
                       ("openocd", "openocd not found: apt-get install openocd")):
        assert cli(["flash", str(model), "--board", "NUCLEO-F411RE", "--probe", probe, "-o", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"tinygen: error: {msg}" + err[0].split(msg, 1)[1]] and len(err) == 1


@pytest.mark.parametrize("probe", ["pyocd", "openocd"])
def test_no_probe_attached_is_one_line(probe, tmp_path, capsys):
    from tinygen.flash import _tool

    try:
        _tool([probe])
    except Exception:
        pytest.skip(f"{probe} not installed")
    model = _model(tmp_path)
    board = "NUCLEO-H743ZI"
    assert cli(["flash", str(model), "--board", board, "--probe", probe, "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tinygen: error: {probe} failed:") and "probe" in err[0], err


def test_bad_probe_and_uf2_without_drive(tmp_path, capsys):
    model = _model(tmp_path)
    for args, msg in ((["--board", "NUCLEO-F411RE", "--probe", "jlink"], "unknown probe"),
                      (["--board", "NUCLEO-F411RE", "--probe", "uf2"], "does not boot UF2"),
                      (["--board", "Raspberry-Pi-Pico", "--probe", "uf2", "--check"], "--check needs a debug connection"),
                      (["--board", "Raspberry-Pi-Pico", "--probe", "uf2", "--drive", str(tmp_path / "nodrive")],
                       "no RPI-RP2 drive")):
        assert cli(["flash", str(model), "-o", str(tmp_path / "o"), *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and msg in err[0], err


def test_uf2_copy_to_the_boot_drive(tmp_path, capsys):
    model = _model(tmp_path)
    drive = tmp_path / "RPI-RP2"
    drive.mkdir()
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n")
    assert cli(["flash", str(model), "--board", "Raspberry-Pi-Pico", "--probe", "uf2", "-o", str(tmp_path / "o"),
                "--drive", str(drive)]) == 0
    assert (drive / "net.uf2").read_bytes() == (tmp_path / "o" / "net.uf2").read_bytes()
    from tinygen.flash import find_uf2_drive

    assert find_uf2_drive([tmp_path / "o", drive]) == drive


# -- the GDB back end end to end against QEMU with empty flash --------------------------------------
@needs_qemu
@pytest.mark.parametrize("board", ["qemu-netduinoplus2", "qemu-mps2-an505", "generic-m7"])
def test_flash_through_gdb_into_empty_qemu_then_check(board, tmp_path, capsys):
    """QEMU starts with empty flash (no -kernel); `tinygen flash --probe gdb://` loads the segments
    (the STM32F405's flash is read-only to the core, writable by the debugger), reads them back,
    resets, and --check runs the inference: bit-identical to TFLM and the host build."""
    b = load_board(board)
    model = _model(tmp_path, seed=6)
    with QemuProcess(b.qemu_machine) as q:
        g = q.gdb
        empty = g.read_memory(b.flash.origin, 64)
        assert set(empty) == {0}
        g.close()
        q.gdb = None  # one GDB connection at a time: leave it to tinygen flash
        url = f"gdb://127.0.0.1:{q.port}"
        assert cli(["flash", str(model), "--board", board, "--probe", url, "-o", str(tmp_path / "o"), "--check",
                    "--inputs", "3", "--json", str(tmp_path / "r.json")]) == 0
        out = capsys.readouterr().out
        im = (tmp_path / "o" / "net.bin").read_bytes()
        assert f"flashed {len(im):,} bytes through {url}, verified, reset" in " ".join(out.split())
        rep = json.loads((tmp_path / "r.json").read_text())
        assert rep["backend"] == url and rep["outputs_match_tflm"] and rep["outputs_match_host"]
        assert rep["inputs_checked"] == 3 and "instructions" not in rep and "cycles_measured" not in rep
        # the program is in QEMU's flash now
        from tinygen.emulator.gdb_rsp import GdbRemote

        with GdbRemote("127.0.0.1", q.port) as g2:
            assert g2.read_memory(b.flash.origin, len(im)) == im


STANDIN_PYOCD = """#!{python}
# Stand-in for pyOCD with a probe attached: records its arguments; `gdbserver` serves QEMU's GDB
# stub (empty flash) on the requested port in place of a board.
import json, os, sys
with open(os.environ["TG_FAKE_LOG"], "a") as f:
    f.write(json.dumps(["pyocd"] + sys.argv[1:]) + "\\n")
if sys.argv[1] == "gdbserver":
    port = sys.argv[sys.argv.index("--port") + 1]
    os.execvp("qemu-system-arm", ["qemu-system-arm", "-M", os.environ["TG_FAKE_MACHINE"], "-nodefaults", "-display",
              "none", "-monitor", "none", "-serial", "null", "-net", "none", "-S", "-gdb", "tcp:127.0.0.1:" + port])
"""


@needs_qemu
def test_check_after_pyocd_runs_through_its_gdbserver(tmp_path, monkeypatch, capsys):
    """--check with --probe pyocd: the board is programmed with `pyocd load`, then `pyocd gdbserver`
    is started on a free 127.0.0.1 port, the inference runs through it and the server is stopped.
    pyOCD is replaced by a stand-in whose gdbserver is QEMU (there is no probe here)."""
    d = tmp_path / "bin"
    d.mkdir()
    (d / "pyocd").write_text(STANDIN_PYOCD.format(python=sys.executable))
    (d / "pyocd").chmod(0o755)
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TG_FAKE_LOG", str(log))
    monkeypatch.setenv("TG_FAKE_MACHINE", "microbit")
    model = _model(tmp_path, seed=9)
    out = tmp_path / "o"
    assert cli(["flash", str(model), "--board", "qemu-microbit", "--probe", "pyocd", "-o", str(out), "--check",
                "--json", str(tmp_path / "r.json")]) == 0
    calls = [json.loads(x) for x in log.read_text().splitlines()]
    assert calls[0] == ["pyocd", "load", "--no-wait", "--target", "nrf51", "--format", "hex", str(out / "net.hex")]
    assert calls[1][:5] == ["pyocd", "gdbserver", "--no-wait", "--target", "nrf51"]
    port = int(calls[1][calls[1].index("--port") + 1])
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["backend"] == f"gdb://127.0.0.1:{port}" and rep["outputs_match_tflm"] and rep["outputs_match_host"]
    with pytest.raises(OSError):  # the server was stopped
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
