"""Writing reports: JSON files written atomically (tinygen.fsio: staged, then renamed into place)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .fsio import Outputs, write_file


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n"


def write_json(path: str | Path, data: dict, outputs: Outputs | None = None) -> None:
    """Write a JSON report atomically (tinygen.fsio); with `outputs`, add it to that set of
    outputs instead (written when the set is committed)."""
    if outputs is not None:
        outputs.file(path, json_text(data))
    else:
        write_file(path, json_text(data))


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
