"""Cortex-M target tests: need arm-none-eabi-gcc (+ newlib) and Unicorn. Every test here is
marked `target` and skipped with the reason when the toolchain is missing."""

from pathlib import Path

import pytest

from tinygen.toolchain.arm import arm_toolchain_missing

_MISSING = arm_toolchain_missing()
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().parent == _HERE:
            item.add_marker(pytest.mark.target)
            if _MISSING:
                item.add_marker(pytest.mark.skip(reason=f"Cortex-M toolchain unavailable: {_MISSING}"))
