"""W7: Newton against gradient descent (work in progress)."""

from __future__ import annotations

from .config import NUMPY, Config
from .report import Result


def run(config: Config) -> Result:
    result = Result("W7", "Newton vs gradient descent to 1e-8", reference=NUMPY)
    result.skip("W7", "not written yet")
    return result
