"""The model zoo (models/zoo: real TensorFlow Lite converter and litert-torch output, made by
scripts/make_zoo.py): which models tinygen can compile now, and why the others wait."""

from __future__ import annotations

from pathlib import Path

from ..frontend import parse_tflite
from ..ops import get_op_def

ZOO_DIR = Path(__file__).resolve().parent.parent.parent / "models" / "zoo"


def zoo_models(zoo: Path = ZOO_DIR) -> list[Path]:
    return sorted(zoo.glob("*.tflite"))


def missing_operators(data: bytes) -> list[str]:
    """The model's operator types tinygen does not register (yet)."""
    return sorted({op.kind for op in parse_tflite(data).ops if get_op_def(op.kind) is None})
