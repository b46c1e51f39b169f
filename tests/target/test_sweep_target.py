"""tinygen sweep with firmware: linked and emulated rows equal what `tinygen run` measures for the
same model and board (tinygen.target.run_on_board), and a model too large for a board is a row
with fits = False measured through the enlarged-memory build."""

from __future__ import annotations

from tinygen.boards import load_board
from tinygen.options import CompileOptions
from tinygen.sweep import sweep
from tinygen.target import TargetOptions, board_compile_options, run_on_board
from tinygen.testing import GraphBuilder


def small(i: int) -> bytes:
    b = GraphBuilder(f"s{i}", seed=10 + i)
    x = b.input((1, 10 + 2 * i, 10 + 2 * i, 3))
    y = b.conv2d(x, 6 + i, activation="RELU")
    y = b.depthwise_conv2d(y, stride=(2, 2))
    return b.tflite([b.conv2d(y, 4, kernel=(1, 1))])


def options_for(board: str) -> CompileOptions:
    """What `tinygen run --board` compiles with (the sweep names every model "model")."""
    return board_compile_options(CompileOptions(name="model"), load_board(board))


def test_emulated_rows_equal_a_direct_run(tmp_path):
    models = [(f"s{i}", small(i)) for i in range(2)]
    res = sweep(space=models, boards=["NUCLEO-F411RE"], stage="emulate", jobs=2, output=tmp_path / "r.jsonl")
    assert not res.errors, [r["error"] for r in res.errors]
    for name, data in models:
        (row,) = [r for r in res.rows if r["model"] == name]
        rep = run_on_board(data, "NUCLEO-F411RE", options=options_for("NUCLEO-F411RE"),
                           target=TargetOptions(check_host=False))
        assert row["bit_exact"] is True and rep.outputs_match_reference
        assert row["fits"] is True and row["stage"] == "emulate"
        for field, value in (("flash_bytes", rep.flash_bytes), ("sram_peak_bytes", rep.sram_peak_bytes),
                             ("arena_bytes", rep.arena_bytes), ("instructions", rep.instructions),
                             ("cycles_estimate", rep.cycles_estimate), ("macs", rep.macs),
                             ("latency_ms_estimate", rep.latency_ms_estimate)):
            assert row[field] == value, (name, field, row[field], value)
        assert row["instructions"] > row["macs"] > 0


def test_linked_rows_and_a_model_that_does_not_fit(tmp_path):
    b = GraphBuilder("wide", seed=3)
    x = b.input((1, 48, 48, 8))  # an 18 KB input: more than the micro:bit's 16 KB of SRAM
    wide = b.tflite([b.conv2d(x, 8, activation="RELU")])
    res = sweep(space=[("wide", wide), ("s0", small(0))], boards=["qemu-microbit", "generic-m4"], stage="link",
                jobs=2, output=tmp_path / "r.jsonl")
    assert not res.errors, [r["error"] for r in res.errors]
    by = {(r["model"], r["board"]): r for r in res.rows}
    assert by[("wide", "qemu-microbit")]["fits"] is False
    assert by[("wide", "qemu-microbit")]["static_sram_bytes"] >= 48 * 48 * 8  # measured all the same
    assert by[("wide", "generic-m4")]["fits"] is True and by[("s0", "qemu-microbit")]["fits"] is True
    rep = run_on_board(small(0), "qemu-microbit", options=options_for("qemu-microbit"),
                       target=TargetOptions(check_host=False))
    row = by[("s0", "qemu-microbit")]
    assert (row["flash_bytes"], row["static_sram_bytes"]) == (rep.flash_bytes, rep.static_sram_bytes)
    assert row["sram_peak_bytes"] == rep.static_sram_bytes + rep.stack_reserved_bytes
    assert row["instructions"] is None and row["bit_exact"] is None  # linked, not run
