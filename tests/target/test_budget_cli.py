"""Budgets (flash and peak SRAM vs the board) and the `tinygen run` / `tinygen boards` /
`tinygen firmware` commands."""

import json

import numpy as np
import pytest

from tinygen.boards import list_boards, load_board
from tinygen.cli import main
from tinygen.errors import BudgetError, MismatchError
from tinygen.target import RunReport, raise_for_report, run_on_board
from tinygen.testing import GraphBuilder

from ._util import small_conv_model

REQUIRED_JSON = ["model", "board", "core", "outputs_match_reference", "flash_bytes", "sram_peak_bytes",
                 "static_sram_bytes", "arena_bytes", "stack_peak_bytes", "instructions", "fits", "flash_budget_bytes",
                 "sram_budget_bytes"]


def big_activation_model() -> bytes:
    """96x96x16 int8 activations (147 KB) do not fit the F411's 128 KB of SRAM."""
    b = GraphBuilder("bigact", seed=3)
    x = b.input((1, 96, 96, 3))
    y = b.conv2d(x, 16)
    z = b.conv2d(y, 4, stride=(2, 2))
    return b.tflite([z])


def big_weights_model() -> bytes:
    """590 KB of weights (3x3x256 -> 256) do not fit the F411's 512 KB of flash."""
    b = GraphBuilder("bigw", seed=4)
    x = b.input((1, 3, 3, 256))
    y = b.conv2d(x, 256, padding="VALID")
    return b.tflite([y])


def run_cli(capsys, *args) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sram_budget_exceeded_is_reported_not_fitting(tmp_path, capsys):
    model = tmp_path / "bigact.tflite"
    model.write_bytes(big_activation_model())
    rep = run_on_board(model, "NUCLEO-F411RE")
    b = load_board("NUCLEO-F411RE")
    assert not rep.fits and not rep.link_fits and rep.measurement_build
    assert rep.outputs_match_reference  # measured and still correct
    assert rep.sram_budget_bytes == 128 * 1024 and rep.sram_peak_bytes > rep.sram_budget_bytes
    assert rep.arena_bytes > 96 * 96 * 16
    over = rep.sram_peak_bytes - b.sram_budget
    assert len(rep.budget_messages) == 1
    assert f"SRAM budget exceeded by {over} B" in rep.budget_messages[0]
    assert "overflowed" in rep.link_message and ".elf" not in rep.link_message
    with pytest.raises(BudgetError, match="does not fit NUCLEO-F411RE: SRAM budget exceeded") as ei:
        raise_for_report(rep)
    assert ei.value.exit_code == 1
    # the same model fits a bigger board
    assert run_on_board(model, "NUCLEO-L4R5ZI").fits

    # the CLI: exit code 1, the message, and the JSON report anyway
    js = tmp_path / "r.json"
    code, out, err = run_cli(capsys, "run", str(model), "--board", "NUCLEO-F411RE", "--json", str(js))
    assert code == 1
    assert "does not fit" in out and "SRAM budget exceeded by" in out and "%" in out
    d = json.loads(js.read_text())
    assert all(k in d for k in REQUIRED_JSON)
    assert d["fits"] is False and d["outputs_match_reference"] is True
    assert d["sram_peak_bytes"] == rep.sram_peak_bytes and d["sram_budget_bytes"] == 131072


def test_flash_budget_exceeded():
    rep = run_on_board(big_weights_model(), "NUCLEO-F411RE", n_random=1)
    assert not rep.fits and rep.flash_bytes > 512 * 1024 and rep.const_bytes > 512 * 1024
    msg = " ".join(rep.budget_messages)
    assert f"flash budget exceeded by {rep.flash_bytes - 512 * 1024} B" in msg
    assert "SRAM budget" not in msg
    assert rep.flash_percent > 100 and rep.outputs_match_reference


def test_reserved_stack_that_does_not_fit_is_reported():
    """Peak SRAM fits, but static SRAM + the stack reservation do not: the firmware would not link."""
    b = load_board("NUCLEO-F411RE")
    from tinygen.target import TargetOptions

    rep = run_on_board(small_conv_model(), b, target=TargetOptions(stack_bytes=128 * 1024 - 256))
    assert not rep.fits and not rep.link_fits
    assert rep.sram_peak_bytes < b.sram_budget
    assert "reserve less stack" in rep.budget_messages[0]


def test_mismatch_verdict():
    rep = RunReport(model="m", board="b", core="c", fpu="none", opt="O2", outputs_match_reference=False,
                    inputs_checked=3, mismatches=[dict(input=1, against="tflm", max_abs_diff=2.0)], fits=True)
    with pytest.raises(MismatchError, match="differ from TFLM on 1 of 3 inputs") as ei:
        raise_for_report(rep)
    assert ei.value.exit_code == 1


def test_cli_run_json_and_input_file(tmp_path, capsys):
    data = small_conv_model(seed=9)
    model = tmp_path / "small.tflite"
    model.write_bytes(data)
    x = np.random.default_rng(1).integers(-128, 128, size=(1, 12, 12, 3)).astype(np.int8)
    np.save(tmp_path / "x.npy", x)
    js = tmp_path / "out" / "report.json"
    code, out, err = run_cli(capsys, "run", str(model), "--board", "generic-m33", "--input", str(tmp_path / "x.npy"),
                             "--json", str(js))
    assert code == 0, err
    assert "bit-identical" in out and "fits generic-m33" in out and "instructions" in out
    d = json.loads(js.read_text())
    assert all(k in d for k in REQUIRED_JSON)
    assert d["board"] == "generic-m33" and d["core"] == "cortex-m33" and d["fits"] is True
    assert d["outputs_match_reference"] is True and d["inputs_checked"] == 1
    assert d["sram_peak_bytes"] == d["static_sram_bytes"] + d["stack_peak_bytes"]
    assert d["flash_budget_bytes"] == 4 << 20 and d["instructions"] > 1000

    # errors are one line with exit code 2
    code, out, err = run_cli(capsys, "run", str(model), "--board", "nope", "--json", str(js))
    assert code == 2 and err.startswith("tinygen: error: unknown board 'nope'") and err.count("\n") == 1
    d = json.loads(js.read_text())  # written in every case
    assert all(k in d for k in REQUIRED_JSON) and d["fits"] is False and "unknown board" in d["error"]
    np.save(tmp_path / "bad.npy", np.zeros(5, np.int8))
    code, out, err = run_cli(capsys, "run", str(model), "--board", "generic-m4", "--input", str(tmp_path / "bad.npy"))
    assert code == 2 and "needs 432" in err


def test_cli_emulator_fault_writes_json(tmp_path, capsys, monkeypatch):
    """A fault during the run: exit code 2, one line, and the JSON report with the error."""
    model = tmp_path / "small.tflite"
    model.write_bytes(small_conv_model(seed=2))
    js = tmp_path / "fault.json"
    code, out, err = run_cli(capsys, "run", str(model), "--board", "generic-m4", "--max-instructions", "5000",
                             "--json", str(js))
    assert code == 2
    assert err.startswith("tinygen: error: emulator fault: instruction limit at pc 0x") and err.count("\n") == 1
    d = json.loads(js.read_text())
    assert d["error"].startswith("emulator fault: instruction limit") and d["flash_bytes"] > 0


def test_cli_boards(tmp_path, capsys):
    js = tmp_path / "boards.json"
    code, out, err = run_cli(capsys, "boards", "--json", str(js))
    assert code == 0
    for b in list_boards():
        assert b.name in out
    assert "512 KB" in out and "128 KB" in out
    d = json.loads(js.read_text())["boards"]
    f411 = next(x for x in d if x["name"] == "NUCLEO-F411RE")
    assert f411["flash_budget_bytes"] == 524288 and f411["sram_budget_bytes"] == 131072


def test_cli_firmware_sources(tmp_path, capsys):
    model = tmp_path / "m.tflite"
    model.write_bytes(small_conv_model())
    code, out, err = run_cli(capsys, "firmware", str(model), "--board", "MIMXRT1060-EVK", "-o", str(tmp_path / "fw"))
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "fw").iterdir())
    assert names == ["board.ld", "m.c", "m.h", "tg_boot.c", "tg_main.c", "tg_startup.c"]
    ld = (tmp_path / "fw" / "board.ld").read_text()
    assert "ORIGIN = 0x60000000" in ld and "ORIGIN = 0x20200000" in ld and "MIMXRT1060-EVK" in ld
