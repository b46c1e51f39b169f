"""README claims that can be checked mechanically."""

import re
from pathlib import Path

from tinygen.ops import registry

ROOT = Path(__file__).resolve().parents[2]


def test_supported_operator_table_matches_the_registry():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Supported operators", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| ([A-Z0-9_]+) \|", section, flags=re.M)) - {"operator"}
    public = {k for k in registry() if not k.startswith("TG_")}
    assert listed == public


def test_ci_runs_the_readme_test_command():
    text = (ROOT / "README.md").read_text()
    assert "./dev.sh test" in text and "./dev.sh demo" in text
    assert "./dev.sh test" in (ROOT / ".ci" / "run").read_text()
