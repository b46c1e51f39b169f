"""Every shared model on the four generic cores: emulated outputs bit-identical to TFLM (and the
host build), on a random input and on the recorded sample inputs; sizes consistent with
arm-none-eabi-size; code overhead under 16 KB on the M4."""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SHARED_MODELS, needs_shared, shared_model_paths
from tinygen.target import run_on_board
from tinygen.toolchain.arm import size_berkeley
from tinygen.toolchain.elfinfo import ElfInfo

from ._util import GENERIC_BOARDS

pytestmark = [needs_shared(), pytest.mark.models]

#: sample inputs recorded in ../shared/models/golden (prefix -> model file stem)
GOLDEN = {"mlperf_ad": "ad01_int8", "mlperf_ic": "pretrainedResnet_quant", "mlperf_kws": "kws_ref_model",
          "tflm_micro_speech": "micro_speech_quantized"}


def golden_for(model: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for f in sorted((SHARED_MODELS / "golden").glob("*__input.npy")):
        prefix = f.name.split("__")[0]
        if any(prefix.startswith(p) and stem == model.stem for p, stem in GOLDEN.items()):
            out.append((np.load(f), np.load(str(f).replace("__input.npy", "__tflm_output.npy"))))
    return out


MODELS = shared_model_paths()


@pytest.mark.parametrize("board", GENERIC_BOARDS)
@pytest.mark.parametrize("model", MODELS, ids=[p.stem for p in MODELS])
def test_shared_model_bit_exact(model, board):
    golden = golden_for(model)
    from tinygen.check import random_inputs
    from tinygen.compiler import compile_model

    graph = compile_model(model).graph
    sets = random_inputs(graph, 1, seed=11) + [[x.reshape(graph.inputs[0].shape)] for x, _ in golden[:2]]
    rep = run_on_board(model, board, inputs=sets)
    assert rep.inputs_checked == len(sets)
    assert rep.outputs_match_tflm, rep.mismatches
    assert rep.outputs_match_host, rep.mismatches
    assert rep.outputs_match_reference and rep.fits, rep.budget_messages
    assert rep.instructions > 0 and 0 < rep.stack_peak_bytes < rep.stack_reserved_bytes
    assert rep.static_sram_bytes >= rep.arena_bytes
    assert rep.sram_peak_bytes == rep.static_sram_bytes + rep.stack_peak_bytes
    # sizes: pyelftools and arm-none-eabi-size agree
    sz = size_berkeley(rep.elf)
    assert rep.flash_bytes == sz["text"] + sz["data"]
    assert rep.static_sram_bytes == sz["data"] + sz["bss"] - rep.stack_reserved_bytes
    assert sum(rep.flash_breakdown.values()) == rep.flash_bytes
    assert rep.flash_breakdown["model constants"] == rep.const_bytes
    if board == "generic-m4":
        assert rep.code_bytes < 16 * 1024, rep.flash_breakdown


def test_golden_outputs_on_m4():
    """The recorded TFLM outputs (golden/) come out of the emulated M4 too."""
    from tinygen.boards import load_board
    from tinygen.compiler import compile_model
    from tinygen.emulator import CortexM
    from tinygen.options import CompileOptions
    from tinygen.toolchain.arm import build_firmware

    b = load_board("generic-m4")
    checked = 0
    for model in MODELS:
        golden = golden_for(model)
        if not golden:
            continue
        cm = compile_model(model, CompileOptions(alignment=b.arena_alignment))
        fw = build_firmware(cm, b)
        elf = ElfInfo(fw.elf)
        arena = elf.address(f"{cm.name}_arena")
        ti, to = cm.graph.inputs[0], cm.graph.outputs[0]
        emu = CortexM(elf, b, fw.layout)
        for x, y in golden:
            res = emu.run([(arena + cm.plan.tensor_offset(ti), x.astype(np.int8).tobytes())],
                          [(arena + cm.plan.tensor_offset(to), to.nbytes)])
            assert res.status == 0
            assert np.array_equal(np.frombuffer(res.outputs[0], dtype=np.int8), y.reshape(-1)), model.name
            checked += 1
    assert checked >= 6
