"""The "From model to board" commands in README.md name real commands, options, boards and probes."""

import re
import shlex
from pathlib import Path

from tinygen.boards import load_board
from tinygen.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_from_model_to_board_commands_parse():
    text = (ROOT / "README.md").read_text()
    section = text.split("## From model to board", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    lines = [ln.split("#", 1)[0].strip() for ln in block.strip().splitlines()]
    assert len(lines) >= 8
    seen = set()
    for ln in lines:
        argv = shlex.split(ln)
        assert argv[0] == "tinygen"
        cmd = cli.commands[argv[1]]
        seen.add(argv[1])
        ctx = cmd.make_context(argv[1], argv[2:], resilient_parsing=False)  # raises on unknown options
        load_board(ctx.params["board"])
        if ctx.params.get("on"):
            from tinygen.backends import backend_kind

            backend_kind(ctx.params["on"])
        if ctx.params.get("probe"):
            from tinygen.flash import probe_kind

            probe_kind(ctx.params["probe"])
    assert seen == {"run", "flash", "export"}
    assert re.search(r"`qemu-mps3-an547` \(M55", section)
