"""W8: ad.explain on a 1,000-op scalar program (tanh(1.01 v + 0.1), 333 times over): recording it,
the adjoint (or tangent) trace, and writing it out as text and as Python source.

Target: under a second for each mode, everything included (explain is for people: it must feel
immediate at the sizes people read, and stay usable well beyond them).
"""

from __future__ import annotations

from typing import Any

from .config import OURS, Config
from .report import Result
from .timing import compare

TARGET_MS = 1000.0
LAYERS = 333  # three ops each: multiply, add, tanh


def program(x: Any) -> Any:
    import autodiff as ad

    v = x
    for _ in range(LAYERS):
        v = ad.tanh(v * 1.01 + 0.1)
    return v


def run(config: Config) -> Result:
    import autodiff as ad

    result = Result("W8", f"ad.explain of a {3 * LAYERS}-op scalar program, then str() and source()", reference=None)

    def explained(mode: str) -> Any:
        e = ad.explain(program, 0.3, mode=mode)
        return str(e), e.source()

    fns = {f"{OURS} explain, {mode} mode": (lambda mode=mode: explained(mode)) for mode in ("reverse", "forward")}
    samples = compare(fns, max(1, config.rounds // 5), 0.0, max_number=1)
    for name in fns:
        result.time(name, samples[name], unit="ms", reference=None)
        result.target(f"{name} ms <= {TARGET_MS:g}", result.get(name, "ms").stats["median"], TARGET_MS)
    return result
