import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TINYGEN_SHARED", ROOT.parent / "shared"))
SHARED_MODELS = SHARED / "models"

# Deterministic by default (CI must not flake); `--hypothesis-profile=dev` explores new examples.
settings.register_profile("ci", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def shared_model_paths() -> list[Path]:
    if not SHARED_MODELS.is_dir():
        return []
    return sorted(SHARED_MODELS.rglob("*.tflite"))


@pytest.fixture
def shared_models_dir() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"shared models not found at {SHARED_MODELS} (set TINYGEN_SHARED to the folder holding models/)")
    return SHARED_MODELS


def needs_shared():
    return pytest.mark.skipif(not SHARED_MODELS.is_dir(),
                              reason=f"shared models not found at {SHARED_MODELS} (set TINYGEN_SHARED)")
