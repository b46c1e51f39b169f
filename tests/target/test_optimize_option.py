"""CompileOptions(optimize="size") on an emulated Cortex-M4: the portable kernels, bit-exact, less
flash and stack than the default (speed), more instructions."""

from tinygen.options import CompileOptions
from tinygen.target import run_on_board

from ._util import small_conv_model


def test_size_trades_instructions_for_flash():
    model = small_conv_model(shape=(1, 12, 12, 8), channels=8)
    speed = run_on_board(model, "generic-m4")
    size = run_on_board(model, "generic-m4", options=CompileOptions(optimize="size"))
    assert speed.outputs_match_reference and size.outputs_match_reference
    assert size.flash_bytes < speed.flash_bytes and size.code_bytes < speed.code_bytes
    assert size.instructions > speed.instructions
    from tinygen.compiler import compile_model

    cm = compile_model(model, CompileOptions(cpu="cortex-m4", optimize="size"))
    assert {op.kernel.function for op in cm.graph.ops} <= {"tg_conv_s8", "tg_depthwise_conv_s8"}
