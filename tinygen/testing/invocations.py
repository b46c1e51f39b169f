"""Consecutive inferences on an emulated board: for models with state (SVDF, LSTM), whose output
depends on every earlier input.

`tinygen.target.check_models_on_board` emulates each input set from reset, so each starts from the
initial state. Here one firmware runs every model `invocations` times in a row, from input sets
compiled into the firmware, and keeps every output; one emulation from reset checks them all
against TFLite Micro run on the same sequence.

    results = check_invocations_on_board(models, "generic-m4", invocations=4)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from ..boards import load_board
from ..check import _compare, random_inputs
from ..compiler import compile_model
from ..emulator import CortexM
from ..emulator.faults import MODEL_ERROR, EmulatorFault
from ..errors import BudgetError
from ..ir import np_dtype
from ..options import CompileOptions
from ..reference import TFLMReference
from ..toolchain.arm import build_program
from ..toolchain.elfinfo import ElfInfo

RESULTS = "tg_invocation_results"


def _bytes_array(name: str, data: bytes) -> str:
    body = ", ".join(f"0x{b:02x}" for b in data) or "0"
    return f"static const uint8_t {name}[{max(len(data), 1)}] = {{ {body} }};"


def invocation_main(cms, sets: Sequence[Sequence[Sequence[np.ndarray]]]) -> tuple[str, int]:
    """A firmware main that runs model i on sets[i][0], sets[i][1], ... in turn, copying every
    output into one results buffer; returns (C source, results bytes)."""
    decls, body = [], []
    offset = 0
    for i, cm in enumerate(cms):
        g = cm.graph
        for k, xs in enumerate(sets[i]):
            for j, (x, t) in enumerate(zip(xs, g.inputs)):
                sym = f"in_{i}_{k}_{j}"
                decls.append(_bytes_array(sym, np.ascontiguousarray(x, dtype=np_dtype(t.dtype)).tobytes()))
                body.append(f"    memcpy({cm.name}_input({j}), {sym}, {t.nbytes});")
            body.append(f"    status = {cm.name}_run();")
            body.append("    if (status != 0) { tg_done(status, 0u); return status; }")
            for j, t in enumerate(g.outputs):
                body.append(f"    memcpy({RESULTS} + {offset}, {cm.name}_output({j}), {t.nbytes});")
                offset += t.nbytes
    includes = "\n".join(f'#include "{cm.name}.h"' for cm in cms)
    src = f"""/* tg_main.c: consecutive inferences of {len(cms)} models (generated for a test) */
#include <stdint.h>
#include <string.h>
{includes}

uint8_t {RESULTS}[{max(offset, 1)}];

void tg_done(int32_t status, uint32_t cycles) __attribute__((noinline, noipa));
void tg_done(int32_t status, uint32_t cycles)
{{
    (void)status;
    (void)cycles;
    __asm volatile ("" ::: "memory");
}}

{chr(10).join(decls)}

int main(void)
{{
    int32_t status = 0;
{chr(10).join(body)}
    tg_done(status, 0u);
    return 0;
}}
"""
    return src, offset


def check_invocations_on_board(models: Sequence[bytes], board: str, invocations: int = 4, seed: int = 0,
                               opt: str = "O2", options: CompileOptions | None = None) -> list[dict]:
    """Run each model `invocations` times in a row in one emulated firmware and compare every
    output with TFLite Micro run on the same inputs in the same order. One dict per model:
    {"model", "bit_exact", "max_abs_diff", "mismatched_invocations"}."""
    b = load_board(board)
    base = options or CompileOptions()
    cms = [compile_model(bytes(d), replace(base, name=f"m{i}", alignment=b.arena_alignment))
           for i, d in enumerate(models)]
    sets = [random_inputs(cm.graph, invocations, seed + i) for i, cm in enumerate(cms)]
    main, total = invocation_main(cms, sets)
    sources = {"tg_main.c": main}
    for cm in cms:
        sources.update(cm.files)
    fw = build_program(b, sources, opt=opt, name=f"seq{len(cms)}")
    if not fw.fits_link:
        raise BudgetError(f"the batch of {len(cms)} models does not fit {b.name}: {fw.link_message}")
    elf = ElfInfo(fw.elf)
    res = CortexM(elf, b, fw.layout).run(reads=[(elf.address(RESULTS), total)], pause=None)
    if res.status != 0:
        raise EmulatorFault(MODEL_ERROR, None, None, None, f"a model of the batch returned {res.status}")
    data, pos = res.outputs[0], 0
    results = []
    for i, (cm, d) in enumerate(zip(cms, models)):
        ref = TFLMReference(bytes(d))
        r = dict(model=i, bit_exact=True, max_abs_diff=0.0, mismatched_invocations=[])
        for k, xs in enumerate(sets[i]):
            ours = []
            for t in cm.graph.outputs:
                ours.append(np.frombuffer(data[pos:pos + t.nbytes], dtype=np_dtype(t.dtype)).reshape(t.shape))
                pos += t.nbytes
            same, diff = _compare(ours, ref.run(xs))
            if not same:
                r["bit_exact"] = False
                r["mismatched_invocations"].append(k)
            r["max_abs_diff"] = max(r["max_abs_diff"], diff)
        results.append(r)
    return results


__all__ = ["check_invocations_on_board", "invocation_main"]
