"""Where tinygen finds its C kernels, templates and board files, and where it caches builds."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import FileSystemError

_PKG = Path(__file__).resolve().parent


def _data_root() -> Path:
    # Installed wheel: data copied under tinygen/_data. Source checkout: repo root.
    packaged = _PKG / "_data"
    if (packaged / "kernels").is_dir():
        return packaged
    return _PKG.parent


DATA_ROOT = _data_root()
KERNELS_DIR = DATA_ROOT / "kernels"
KERNELS_INCLUDE = KERNELS_DIR / "include"
TEMPLATES_DIR = DATA_ROOT / "templates"
BOARDS_DIR = DATA_ROOT / "boards"
DEFAULT_MODEL = DATA_ROOT / "models" / "digits_int8.tflite"


def cache_dir() -> Path:
    """Build cache (content-addressed); override with TINYGEN_CACHE."""
    env = os.environ.get("TINYGEN_CACHE")
    if env:
        root = Path(env)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tinygen"
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(13, "permission denied")
    except OSError as e:
        why = "it is a file" if root.is_file() else (e.strerror or type(e).__name__).lower()
        raise FileSystemError(f"build cache {root}{' (TINYGEN_CACHE)' if env else ''}: cannot use it: {why}") from None
    return root
