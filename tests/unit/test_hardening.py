"""Issue 12: hostile and broken inputs at the edges. Outputs appear together or not at all (also
across file systems), stray temporary folders of killed runs are cleaned up, environment and usage
errors are one line with exit 2, long names are shortened, input files are checked, reserved
model names are refused or prefixed, board files cannot inject into generated files."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygen import fsio
from tinygen.boards import BoardError, load_board, parse_board
from tinygen.check import load_input_file
from tinygen.errors import TinygenError
from tinygen.ir import Graph, Tensor
from tinygen.names import model_name
from tinygen.paths import DEFAULT_MODEL
from tinygen.sanitize import quote_name
from tinygen.testing import GraphBuilder


def tinygen(*args, env=None, cwd=None, preexec_fn=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "tinygen.cli", *map(str, args)], capture_output=True, text=True,
                          env=e, cwd=cwd, timeout=300, preexec_fn=preexec_fn)


def one_line_error(r, code=2) -> str:
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, r.stderr
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("tinygen: error: ") and "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    b = GraphBuilder("small", seed=5)
    x = b.input((1, 6, 6, 2))
    y = b.conv2d(x, 3, activation="RELU")
    p = tmp_path_factory.mktemp("m") / "small.tflite"
    p.write_bytes(b.tflite([y]))
    return p


# -- 1. output folder on another file system ---------------------------------------------------------
def _other_fs() -> Path | None:
    here = os.stat(Path.cwd()).st_dev
    for cand in ("/dev/shm", "/run", "/tmp"):
        p = Path(cand)
        if p.is_dir() and os.access(p, os.W_OK) and os.stat(p).st_dev != os.stat(p.parent).st_dev \
                and os.stat(p).st_dev != here:
            return p
    return None


def test_output_folder_that_is_a_mount_point(tmp_path, model):
    """Regression: `-o /dev/shm` failed with EXDEV (the temporary folder was made in /dev and the
    files moved across file systems). Staging happens inside the destination now."""
    mnt = _other_fs()
    if mnt is None:
        pytest.skip("no writable mount point on another file system than its parent (/dev/shm, /run, /tmp)")
    sub = Path(fsio.tempfile.mkdtemp(prefix="tinygen-test-", dir=mnt))
    try:
        # the destination is a mount point's folder: use the mount point itself when we may
        out = mnt if os.access(mnt, os.W_OK) else sub
        r = tinygen("compile", model, "-o", out, "--name", f"xdev_{os.getpid()}")
        assert r.returncode == 0, r.stderr
        assert (out / f"xdev_{os.getpid()}.c").is_file() and (out / f"xdev_{os.getpid()}.h").is_file()
        assert not [p for p in out.iterdir() if ".tmp-" in p.name and p.name.startswith(".tinygen")]
        assert not list(mnt.parent.glob(".tinygen-*"))
    finally:
        for f in (mnt / f"xdev_{os.getpid()}.c", mnt / f"xdev_{os.getpid()}.h"):
            f.unlink(missing_ok=True)
        fsio.shutil.rmtree(sub, ignore_errors=True)


def test_new_output_folder_renamed_into_place_with_normal_permissions(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    fsio.write_folder(out, {"x.c": "int x;\n", "x.h": "extern int x;\n"})
    assert sorted(p.name for p in out.iterdir()) == ["x.c", "x.h"]
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["out"]


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


# -- 2. half-written output ------------------------------------------------------------------------------
def test_compile_over_a_folder_named_like_the_header_writes_nothing(tmp_path, model):
    """Regression: with out/small.h a folder, compile moved small.c in, then failed (exit 3):
    a new .c beside a missing .h. Now: one line, exit 2, the folder as it was."""
    out = tmp_path / "out"
    (out / "small.h").mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    err = one_line_error(tinygen("compile", model, "-o", out))
    assert "small.h" in err and "folder" in err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "small.h"]


def test_failed_swap_restores_the_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "m.c").write_text("old c")
    (out / "m.h").write_text("old h")
    real = os.rename
    calls = []

    def flaky(src, dst):  # moving the second new file in fails once (e.g. an I/O error)
        if Path(dst).name == "m.h" and Path(src).name == "m.h" and not calls:
            calls.append(dst)
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(fsio.os, "rename", flaky)
    with pytest.raises(TinygenError, match="cannot write the output"):
        fsio.write_folder(out, {"m.c": "new c", "m.h": "new h"})
    assert (out / "m.c").read_text() == "old c" and (out / "m.h").read_text() == "old h"
    assert sorted(p.name for p in out.iterdir()) == ["m.c", "m.h"] and calls


def test_mem_json_and_plot_appear_together(tmp_path, model):
    """Two outputs of one command: the plot's folder cannot be made (a file is in the way), so
    the JSON is not written either."""
    (tmp_path / "blocker").write_text("a file")
    r = tinygen("mem", model, "--json", tmp_path / "m.json", "--plot", tmp_path / "blocker" / "m.png")
    one_line_error(r)
    assert not (tmp_path / "m.json").exists()


def _limit_file_size():  # runs in the child: files over 6 KB cannot be written (a full disk)
    resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))


@pytest.mark.parametrize("command", ["compile", "firmware"])
def test_full_disk_leaves_nothing(tmp_path, command):
    """Regression: on a full disk `firmware` left a truncated .c and an empty tg_startup.c. A file
    size limit (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk) must give one line, exit
    2 and no output."""
    cache = tmp_path / "cache"
    env = dict(TINYGEN_CACHE=str(cache))
    extra = ["--board", "generic-m4"] if command == "firmware" else []
    warm = tinygen(command, DEFAULT_MODEL, "-o", tmp_path / "warm", *extra, env=env)  # fills the cache first
    assert warm.returncode == 0, warm.stderr
    out = tmp_path / "out"
    r = tinygen(command, DEFAULT_MODEL, "-o", out, *extra, env=env, preexec_fn=_limit_file_size)
    err = one_line_error(r)
    assert "file too large" in err or "no space" in err
    assert not out.exists() and not list(tmp_path.glob(".tinygen-*"))


# -- stray temporary folders of killed runs -----------------------------------------------------------
def test_stray_temporary_folders_of_killed_runs_are_removed(tmp_path):
    cache = tmp_path / "host"
    code = ("import sys, time; from pathlib import Path; from tinygen.fsio import cache_entry\n"
            "with cache_entry(Path(sys.argv[1]) / 'entry-1') as d:\n"
            "    (d / 'half.o').write_text('x'); print(d, flush=True); time.sleep(600)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE, text=True)
    stage = Path(p.stdout.readline().strip())
    assert stage.is_dir() and stage.name.startswith("entry-1.tmp-")
    assert fsio.sweep_stale(cache) == [] and stage.is_dir()  # a live run's folder is kept
    p.kill()
    p.wait()
    assert stage.is_dir()  # killed: left behind...
    old_lockless = cache / "entry-2.tmp-abc"  # a run killed before it took its lock, long ago
    old_lockless.mkdir()
    past = time.time() - 2 * fsio.LOCKLESS_STALE_SECONDS
    os.utime(old_lockless, (past, past))
    young_lockless = cache / "entry-3.tmp-def"
    young_lockless.mkdir()
    removed = fsio.sweep_stale(cache)  # ...and removed by the next run
    assert sorted(removed) == sorted([stage, old_lockless])
    assert not stage.exists() and young_lockless.is_dir()


def test_cache_entries_sweep_and_publish(tmp_path):
    final = tmp_path / "host" / "kernels-x"
    with fsio.cache_entry(final) as d:
        (d / "lib.a").write_text("x")
    assert (final / "lib.a").read_text() == "x" and not (final / fsio.LOCK_NAME).exists()
    with pytest.raises(RuntimeError):
        with fsio.cache_entry(tmp_path / "host" / "kernels-y") as d:
            raise RuntimeError("compiler failed")
    assert sorted(p.name for p in (tmp_path / "host").iterdir()) == ["kernels-x"]


# -- 9. environment errors ----------------------------------------------------------------------------
def test_output_below_a_file(tmp_path, model):
    (tmp_path / "afile").write_text("x")
    err = one_line_error(tinygen("compile", model, "-o", tmp_path / "afile" / "sub"))
    assert "afile" in err and "not a folder" in err


@pytest.mark.parametrize("kind", ["file", "below_a_file"])
def test_cache_that_is_a_file(tmp_path, model, kind):
    f = tmp_path / "cachefile"
    f.write_text("x")
    cache = f if kind == "file" else f / "sub"
    err = one_line_error(tinygen("check", model, "--inputs", "1", env=dict(TINYGEN_CACHE=str(cache))))
    assert str(cache) in err and "build cache" in err


@pytest.mark.parametrize("errno_", [errno.EROFS, errno.EACCES, errno.ENOSPC])
def test_read_only_or_full_output_folder_is_one_line(tmp_path, model, monkeypatch, capsys, errno_):
    """As root, chmod cannot make a folder read-only: the file system's answer is simulated."""
    from tinygen.cli import main

    real_open = open

    def refusing_open(path, mode="r", *a, **k):
        if "w" in mode and ".tinygen-" in str(path):
            raise OSError(errno_, os.strerror(errno_), str(path))
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(fsio, "open", refusing_open, raising=False)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(SystemExit) as e:
        main(["compile", str(model), "-o", str(out)])
    assert e.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygen: error: ") and "cannot write the output" in lines[0]
    assert list(out.iterdir()) == []


def test_environment_oserror_anywhere_is_one_line(model, monkeypatch, capsys):
    """An OSError of the environment that escapes every specific handler is still one line, exit 2."""
    from tinygen import cli

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", "/some/where")

    monkeypatch.setattr(cli, "compile_model", boom)
    with pytest.raises(SystemExit) as e:
        cli.main(["compile", str(model), "-o", "/nonexistent/out"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tinygen: error: /some/where: cannot complete the command: no space left on the device"]


# -- 10. one-line contract ------------------------------------------------------------------------------
def test_usage_errors_are_one_line(tmp_path, model, capsys):
    """Regression: usage errors printed click's 4-line usage block."""
    from tinygen.cli import main

    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    for args, what in [(("compile", model, "-o", tmp_path / "afile"), "is a file"),
                       (("compile", tmp_path / "adir", "-o", tmp_path / "o"), "is a directory"),
                       (("check", model, "--json", tmp_path / "adir"), "is a directory"),
                       (("compile", model), "Missing option"),
                       (("compile", model, "-o", tmp_path / "o", "--bogus"), "No such option"),
                       (("mem", model, "--plot", tmp_path / "x.txt"), ".png, .svg or .pdf")]:
        with pytest.raises(SystemExit) as e:
            main([str(a) for a in args])
        lines = capsys.readouterr().err.strip().splitlines()
        assert e.value.code == 2 and len(lines) == 1 and lines[0].startswith("tinygen: error: "), lines
        assert what in lines[0] and "--help" in lines[0]
    assert not (tmp_path / "o").exists()
    one_line_error(tinygen("compile", model, "-o", tmp_path / "afile"))  # and from a real process


def test_long_corrupted_names_are_quoted_shortened(tmp_path):
    """Regression: a 5,000-character tensor name made a 5,000-character error line."""
    from tinygen.ir import Quant

    b = GraphBuilder("long", seed=1)
    x = b.input((1, 4), name="n" * 2500 + "/" + "m" * 2500)
    y = b.softmax(x, out_quant=Quant(scale=[0.5], zero_point=[0]))  # refused: TFLM needs 1/256, -128
    bad = tmp_path / "long.tflite"
    bad.write_bytes(b.tflite([y]))
    err = one_line_error(tinygen("compile", bad, "-o", tmp_path / "o"))
    assert len(err) < 300 and "..." in err
    assert quote_name("a" * 100, 20) == "'" + "a" * 17 + "...'" and len(quote_name("x\n" * 50)) <= 62


# -- 4. input files ----------------------------------------------------------------------------------------
def _graph(shape=(1, 4, 4, 2), dtype="int8") -> Graph:
    t = Tensor(name="in", shape=shape, dtype=dtype)
    return Graph(name="g", ops=[], inputs=[t], outputs=[t])


def test_input_files(tmp_path):
    g = _graph()
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(TinygenError, match="empty or truncated"):
        load_input_file(tmp_path / "empty.npy", g)
    np.save(tmp_path / "cut.npy", np.zeros((1, 4, 4, 2), np.int8))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "cut.npy").read_bytes()[:60])
    with pytest.raises(TinygenError, match="not a readable"):
        load_input_file(tmp_path / "cut.npy", g)
    np.save(tmp_path / "wrong.npy", np.zeros((1, 2, 4, 4), np.int8))  # the right size, the wrong shape
    with pytest.raises(TinygenError, match=r"has shape \[1, 2, 4, 4\].*needs 32 values in shape \[1, 4, 4, 2\]"):
        load_input_file(tmp_path / "wrong.npy", g)
    np.save(tmp_path / "nobatch.npy", np.ones((4, 4, 2), np.int8))  # leading 1s may be left out
    assert load_input_file(tmp_path / "nobatch.npy", g)[0].shape == (1, 4, 4, 2)
    gf = _graph(dtype="float32")
    np.save(tmp_path / "huge.npy", np.full((1, 4, 4, 2), 1e300))
    with _no_warnings():  # no numpy RuntimeWarning (overflow in the cast)
        with pytest.raises(TinygenError, match="beyond float32's range"):
            load_input_file(tmp_path / "huge.npy", gf)
    np.save(tmp_path / "nan.npy", np.full((1, 4, 4, 2), np.nan, np.float32))
    with pytest.raises(TinygenError, match="not finite"):
        load_input_file(tmp_path / "nan.npy", gf)
    np.save(tmp_path / "f64.npy", np.full((1, 4, 4, 2), 0.5))
    assert load_input_file(tmp_path / "f64.npy", gf)[0].dtype == np.float32


class _no_warnings:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_empty_npy_is_an_error_not_an_abort(tmp_path, model):
    """Regression: a 0-byte .npy was reported as `tinygen: aborted` (exit 130): EOFError reached
    click, which takes it for Ctrl-D."""
    (tmp_path / "x.npy").write_bytes(b"")
    err = one_line_error(tinygen("check", model, "--inputs", "0", "--input", tmp_path / "x.npy"))
    assert "x.npy" in err and "empty" in err


# -- 8. reserved names ----------------------------------------------------------------------------------------
def test_reserved_model_names():
    for name in ("string", "stdint", "tg_nn", "tg_simd", "tg_host_trace", "tg_startup", "int", "stdio", "math"):
        with pytest.raises(TinygenError, match="reserved"):
            model_name(name, "x")
        assert model_name(None, name) == f"m_{name}"
    assert model_name(None, "String") == "m_string"
    assert model_name("net", "string") == "net" and model_name(None, "hello_world_int8") == "hello_world_int8"


def test_reserved_name_on_the_command_line(tmp_path, model):
    err = one_line_error(tinygen("compile", model, "-o", tmp_path / "o", "--name", "stdint"))
    assert "stdint" in err and "reserved" in err and not (tmp_path / "o").exists()
    shadow = tmp_path / "string.tflite"
    shadow.write_bytes(model.read_bytes())
    r = tinygen("compile", shadow, "-o", tmp_path / "o2")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "o2").iterdir()) == ["m_string.c", "m_string.h"]


# -- 5, 6, 7. board files ---------------------------------------------------------------------------------------
GOOD = dict(name="hostile", core="cortex-m4", fpu="fpv4-sp-d16", flash=dict(origin=0x08000000, size=0x80000),
            sram=[dict(name="SRAM", origin=0x20000000, size=0x20000)])


@pytest.mark.parametrize("bad, msg", [
    (dict(GOOD, name="../../../../tmp/x"), "'name' must be"),
    (dict(GOOD, name="a b"), "'name' must be"),
    (dict(GOOD, name=""), "'name' must be"),
    (dict(GOOD, irq_count=100_000_000), "'irq_count' must be an integer from 0 to 240"),
    (dict(GOOD, irq_count=-1), "irq_count"),
    (dict(GOOD, irq_count="86"), "irq_count"),
    (dict(GOOD, core="cortex-m0plus", fpu="none", irq_count=33), "0 to 32"),
    (dict(GOOD, clock_hz=10**12), "'clock_hz' = 1,000,000,000,000 is out of range"),
    (dict(GOOD, stack_bytes=1 << 30), "'stack_bytes'"),
    (dict(GOOD, stack_bytes=0x20000), "smaller than the main RAM"),
    (dict(GOOD, arena_alignment=3), "arena_alignment"),
    (dict(GOOD, flash=dict(origin=0, size=1 << 31)), "'size'"),
    (dict(GOOD, flash=dict(origin=-4, size=0x1000)), "'origin'"),
    (dict(GOOD, sram=[dict(name="S */ } TEXT { /*", origin=0x20000000, size=0x1000)]), "C identifier"),
    (dict(GOOD, description="x" * 300), "at most 200"),
    (dict(GOOD, description="line\nbreak"), "control characters"),
    (dict(GOOD, mcu=["not", "text"]), "'mcu' must be a string"),
    (dict(GOOD, boot=dict(kind="rp2040-boot2", clkdiv=3)), "boot.clkdiv"),
    (dict(GOOD, boot=dict(kind="rp2040-boot2", clkdiv="4; int x;")), "boot.clkdiv"),
    (dict(GOOD, boot=dict(kind="imxrt-flexspi-nor", pads=3)), "boot.pads"),
    (dict(GOOD, boot=dict(kind="imxrt-flexspi-nor", evil=1)), "unknown key boot.evil"),
])
def test_hostile_board_values_are_refused(bad, msg):
    t0 = time.monotonic()
    with pytest.raises(BoardError, match=msg) as e:
        parse_board(bad)
    assert "\n" not in str(e.value) and len(str(e.value)) < 400
    assert time.monotonic() - t0 < 30  # a hang guard (e.g. a huge table built), not a speed target


def test_board_free_text_cannot_escape_comments():
    """Regression: a description with `*/ } TEXT { /*` broke the linker script and an mcu with
    `*/ int injected; /*` became code in tg_startup.c. Free text is sanitized where rendered."""
    from tinygen.toolchain.arm import render_support_sources

    b = parse_board(dict(GOOD, description="*/ } TEXT { /* ??/", mcu="*/ int injected; /*"))
    files = render_support_sources(b, "net", 4096)
    for name, text in files.items():
        code = _strip_comments(text)
        assert "injected" not in code and "TEXT" not in code, name
        assert "??/" not in text
    assert "int injected;" in files["tg_startup.c"].replace("* /", "")  # kept, but inside the comment


def _strip_comments(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        j = text.find("/*", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        k = text.find("*/", j + 2)
        assert k >= 0, "unterminated comment"
        i = k + 2
    return "".join(out)


def test_board_file_name_cannot_escape_the_cache(tmp_path):
    bad = tmp_path / "evil.toml"
    bad.write_text('name = "../../../../tmp/x"\ncore = "cortex-m4"\nfpu = "none"\n'
                   '[flash]\norigin = 0\nsize = 0x10000\n[[sram]]\nname = "RAM"\norigin = 0x20000000\nsize = 0x10000\n')
    with pytest.raises(BoardError, match="'name' must be"):
        load_board(str(bad))


def test_every_shipped_board_is_valid():
    from tinygen.boards import list_boards

    assert len(list_boards()) >= 10


def test_board_ranges_are_documented():
    from tinygen.board_check import IRQ_MAX, RANGES

    text = (Path(__file__).resolve().parents[2] / "boards" / "README.md").read_text()
    for key in RANGES:
        field = key.split(".", 1)[1] if key.startswith("region.") else key
        assert f"`{field}`" in text, f"{key} is not in boards/README.md's range table"
    for core_max in set(IRQ_MAX.values()):
        assert str(core_max) in text


@pytest.mark.parametrize("name", ["../../../tmp/evil", "a/b\\c", "*/ int x; /*", "x" * 500, "\u540d\u524d", "-rf",
                                  "stdio.h", "$(touch pwned)", "con\nnul"])
def test_hostile_name_values(tmp_path, model, name, capsys):
    """--name values become C identifiers (or are refused): the files land in the output folder,
    named <identifier>.c/.h, and nothing of the value reaches the code outside identifiers."""
    from tinygen.cli import main

    out = tmp_path / "out"
    try:
        main(["compile", str(model), "-o", str(out), "--name", name])
    except SystemExit as e:
        lines = capsys.readouterr().err.strip().splitlines()
        assert e.code == 2 and len(lines) == 1 and lines[0].startswith("tinygen: error: ")
        assert not out.exists()
        return
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 2 and all(f.endswith((".c", ".h")) for f in files)
    stem = files[0][:-2]
    assert stem.isidentifier() and stem.isascii() and len(stem) <= 48
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and not (tmp_path / "pwned").exists()


# -- found by the long fuzzing run --------------------------------------------------------------------------
def _edit_tensor(data: bytes, index: int, edit) -> bytes:
    """The model with tensor `index` changed by edit(TensorT), re-packed with the object API."""
    import flatbuffers

    from tinygen.schema import schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    edit(m.subgraphs[0].tensors[index])
    b = flatbuffers.Builder(len(data) + 1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _weights_index(data: bytes) -> int:
    from tinygen.frontend import parse_tflite

    g = parse_tflite(data)
    return next(t.source_index for op in g.ops for t in op.inputs if t is not None and t.is_const and t.dtype == "int8")


def test_variable_weights_are_refused():
    """Found by fuzzing (a vtable entry set is_variable on the weights): TFLM keeps variable
    tensors as state, zeroed at the start, so its outputs differed from ours (max |diff| 111-170).
    tinygen keeps variables as operator state too (SVDF, LSTM); weights that are state are not
    constant, and a convolution's weights must be: refused."""
    from tinygen.compiler import compile_model
    from tinygen.errors import UnsupportedError

    data = DEFAULT_MODEL.read_bytes()
    k = _weights_index(data)
    bad = _edit_tensor(data, k, lambda t: setattr(t, "isVariable", True))
    with pytest.raises(UnsupportedError, match=r"filter 'conv1/weights' is not constant"):
        compile_model(bad)


def test_scales_without_zero_points_are_not_quantized_as_in_tflm():
    """Found by fuzzing (a table's vtable moved, dropping the zero points of the weights): TFLM
    reads a tensor with scales but no zero points as not quantized, tinygen assumed zero points
    of 0, and the outputs differed (max |diff| 94-188). Now read as TFLM reads it (refused)."""
    from tinygen.compiler import compile_model
    from tinygen.errors import UnsupportedError

    data = DEFAULT_MODEL.read_bytes()
    k = _weights_index(data)

    def drop(t):
        t.quantization.zeroPoint = None

    with pytest.raises(UnsupportedError, match="no quantization parameters"):
        compile_model(_edit_tensor(data, k, drop))
    compile_model(_edit_tensor(data, k, lambda t: None))  # the re-packed model itself is fine
