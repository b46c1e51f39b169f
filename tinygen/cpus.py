"""Cortex-M cores: the -mcpu name, its architecture, and what it can have (FPUs, the DSP
extension, fault vectors, the Security Extension). Board files name one of these cores; compile
options may name one to pick kernel variants (DSP/SIMD kernels on cores with the DSP extension)."""

from __future__ import annotations

CORES: dict[str, dict] = {
    "cortex-m0plus": dict(arch="armv6-m", fpus=("none",), dsp=False, fault_vectors=False, secure=False),
    "cortex-m4": dict(arch="armv7e-m", fpus=("none", "fpv4-sp-d16"), dsp=True, fault_vectors=True, secure=False),
    "cortex-m7": dict(arch="armv7e-m", fpus=("none", "fpv5-sp-d16", "fpv5-d16"), dsp=True, fault_vectors=True,
                      secure=False),
    "cortex-m33": dict(arch="armv8-m.main", fpus=("none", "fpv5-sp-d16"), dsp=True, fault_vectors=True, secure=True),
    # Cortex-M0 (armv6-m like the M0+): the BBC micro:bit's nRF51, emulated by QEMU
    "cortex-m0": dict(arch="armv6-m", fpus=("none",), dsp=False, fault_vectors=False, secure=False),
    # Cortex-M55 with Helium (MVE); fpu "auto": the core's own FPU (-mfpu=auto). QEMU only.
    "cortex-m55": dict(arch="armv8.1-m.main", fpus=("none", "auto"), dsp=True, fault_vectors=True, secure=True),
}


def has_dsp(cpu: str | None) -> bool:
    """The core executes the DSP (SIMD32) instructions: SMLAD, SXTB16, PKHBT..."""
    return cpu is not None and bool(CORES.get(cpu, {}).get("dsp", False))


__all__ = ["CORES", "has_dsp"]
