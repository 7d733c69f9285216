"""Interleaved timing and peak-memory measurement.

Candidates doing the same work are timed round-robin in one process (A B C, B C A, C A B, ...) so
that drift of a shared machine (other processes, frequency changes) hits all of them alike; the
figure reported is the median of the samples, with the quartiles as the spread. Python's cyclic
garbage collector stays on, as users run it, but is emptied before every sample; the objects of
the imported libraries are frozen first (``gc.freeze`` in ``__main__``), or every full collection
would rescan torch's and JAX's hundreds of thousands of objects and charge that to whichever
framework allocates the most Python objects.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Samples:
    """Seconds per call, one entry per sample (each sample averages ``number`` calls)."""

    values: list[float] = field(default_factory=list)
    number: int = 1

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    def summary(self, scale: float = 1.0) -> dict[str, Any]:
        v = np.asarray(self.values) * scale
        return {"median": float(np.median(v)), "p25": float(np.percentile(v, 25)),
                "p75": float(np.percentile(v, 75)), "min": float(v.min()), "max": float(v.max()),
                "samples": len(v), "calls_per_sample": self.number}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.process_time


def now() -> float:
    """The current reading of the clock in use (for one-off measurements such as compile times)."""
    return _clock()


def use_clock(name: str) -> None:
    """Measure elapsed time ("wall") or this process's CPU time ("cpu", the default: all its threads;
    robust to other processes taking the cores of a shared machine, blind to time spent waiting)."""
    global _clock
    _clock = CLOCKS[name]


def compare(candidates: dict[str, Callable[[], Any]], rounds: int, min_sample: float,
            max_number: int = 10_000) -> dict[str, Samples]:
    """Time each candidate ``rounds`` times, interleaved; each sample lasts at least ``min_sample`` s."""
    clock = _clock
    samples = {name: Samples() for name in candidates}
    for name, fn in candidates.items():  # warm up, then calibrate the calls per sample
        start = clock()
        fn()
        once = clock() - start
        if once < 10 * min_sample:  # the first call may pay for caches and imports: time a second
            start = clock()
            fn()
            once = clock() - start
        samples[name].number = int(min(max_number, max(1, min_sample // max(once, 1e-9))))
    names = list(candidates)
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn, number = candidates[name], samples[name].number
            gc.collect()
            start = clock()
            for _ in range(number):
                fn()
            samples[name].values.append((clock() - start) / number)
    return samples


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by one call (for compile times and long single runs), and its result."""
    gc.collect()
    start = _clock()
    result = fn()
    return _clock() - start, result


def peak_python_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated through Python's allocators (numpy arrays included) while ``fn`` runs,
    above what was allocated when it started. tracemalloc sees numpy's data buffers, not torch's."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def resident_bytes() -> int:
    """Resident set size of this process (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def check_steps(result: Any, steps: dict[str, Callable[[], Any]], reference: str, rtol: float) -> None:
    """Run two training steps of every candidate (all start from the same parameters) and note any
    loss that differs from the reference's: the first checks the forward pass, the second the
    gradients of the first update."""
    for step_number in (1, 2):
        losses = {name: float(step()) for name, step in steps.items()}
        expected = losses[reference]
        for name, value in losses.items():
            if abs(value - expected) > rtol * abs(expected):
                result.note(f"{name}: loss after {step_number - 1} steps {value!r} differs from the "
                            f"{reference}'s {expected!r}")
