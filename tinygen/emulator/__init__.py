"""Cortex-M emulation under Unicorn: run a firmware from reset to a halt function, count
instructions, measure the stack, classify faults."""

from .faults import KINDS, EmulatorFault
from .runner import CPU_MODELS, DEFAULT_MAX_INSTRUCTIONS, CortexM, RunResult

__all__ = ["CPU_MODELS", "CortexM", "DEFAULT_MAX_INSTRUCTIONS", "EmulatorFault", "KINDS", "RunResult"]
