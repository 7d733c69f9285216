"""Shared test settings: deterministic hypothesis profiles (``ci`` is chosen when CI=true)."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run only when asked for: ``pytest -m slow`` or ``HYPOTHESIS_PROFILE=deep``."""
    if "slow" in (config.getoption("-m") or "") or os.environ.get("HYPOTHESIS_PROFILE") == "deep":
        return
    skip = pytest.mark.skip(reason="long campaign: run with `pytest -m slow` or HYPOTHESIS_PROFILE=deep")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
