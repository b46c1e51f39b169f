"""`tinygen demo`: the bundled int8 digit classifier end to end."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.table import Table

from .check import _compare
from .compiler import compile_model
from .errors import TinygenError
from .paths import DEFAULT_MODEL
from .reference import TFLMReference
from .reports import write_json
from .target import raise_for_report, run_and_print
from .toolchain.host import build_host


def run_demo(board: str, console, json_path: Path | None = None, model: Path = DEFAULT_MODEL) -> bool:
    data_file = model.with_name("digits_test.npz")
    if not model.is_file() or not data_file.is_file():
        raise TinygenError(f"bundled demo model not found at {model} (broken installation?)")
    test = np.load(data_file)
    xs, ys = test["x"], test["y"]
    console.print(f"[bold]tinygen demo[/bold]: {model.name}, an int8 CNN classifying 8x8 handwritten digits "
                  f"({len(xs)} held-out test images)")

    t0 = time.perf_counter()
    with console.status("compiling and building on the host..."):
        cm = compile_model(model)
        (host,) = build_host([cm])
    t_build = time.perf_counter() - t0
    ref = TFLMReference(model.read_bytes())
    ours_pred, ref_pred, identical = [], [], 0
    with console.status("classifying the test digits with the generated C and TensorFlow Lite Micro..."):
        for x in xs:
            a = host.invoke([x[None]])[0]
            b = ref.run([x[None]])[0]
            identical += _compare([a], [b])[0]
            ours_pred.append(int(np.argmax(a)))
            ref_pred.append(int(np.argmax(b)))
    acc_ours = float(np.mean(np.array(ours_pred) == ys))
    acc_ref = float(np.mean(np.array(ref_pred) == ys))
    t = Table(title="Host build vs TensorFlow Lite Micro", title_justify="left")
    t.add_column("")
    t.add_column("tinygen (generated C)", justify="right")
    t.add_column("TensorFlow Lite Micro", justify="right")
    t.add_row("accuracy", f"{acc_ours:.2%}", f"{acc_ref:.2%}")
    t.add_row("outputs identical", f"{identical}/{len(xs)}", "")
    t.add_row("working memory", f"{cm.arena_bytes} B arena", "")
    t.add_row("constants (flash)", f"{cm.const_bytes} B", "")
    console.print(t)
    console.print(f"compile + host build: {t_build:.1f} s")

    rep = run_and_print(model, board, console=console, inputs=[[xs[i][None]] for i in range(3)])
    if json_path:
        write_json(json_path, dict(host=dict(accuracy=acc_ours, tflm_accuracy=acc_ref, identical=identical,
                                             images=len(xs), arena_bytes=cm.arena_bytes, const_bytes=cm.const_bytes),
                                   target=rep.to_dict()))
    ok = identical == len(xs)
    if not ok:
        console.print(f"[red]MISMATCH[/red]: {len(xs) - identical} test digits give different outputs")
    raise_for_report(rep)
    return ok
