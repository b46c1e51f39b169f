"""CLI commands for Cortex-M targets: `tinygen run`, `tinygen boards`."""

from __future__ import annotations

from .cli import cli, console  # noqa: F401
