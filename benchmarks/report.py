"""Results of a workload (figures, targets, skips), the printed table and the JSON document."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from typing import Any

from .timing import Samples

UNIT_SCALES = {"s": 1.0, "ms": 1e3, "µs": 1e6}


@dataclass
class Figure:
    name: str
    unit: str
    stats: dict[str, Any]  # median, p25, p75, min, max, samples (in ``unit``)
    reference: str | None = None
    ratio: float | None = None
    note: str = ""


@dataclass
class Target:
    label: str
    value: float | None
    limit: float
    passed: bool | None  # None: could not be measured


@dataclass
class Result:
    """Everything one workload measured. ``reference`` names the figure ratios are taken against."""

    key: str
    title: str
    reference: str | None = None
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # workload-specific data for the plots

    def time(self, name: str, samples: Samples, unit: str = "ms", per: float = 1.0,
             reference: str | None = "default", note: str = "") -> Figure:
        """Add a timing; ``unit`` is s/ms/µs, optionally per ``per`` items (e.g. "µs/op", per=N)."""
        scale = UNIT_SCALES[unit.split("/")[0]] / per
        return self._add(Figure(name, unit, samples.summary(scale), note=note), reference)

    def value(self, name: str, value: float, unit: str, reference: str | None = "default",
              note: str = "") -> Figure:
        """Add a single measured number (a compile time, a peak memory, an iteration count)."""
        stats = {"median": float(value), "p25": float(value), "p75": float(value), "samples": 1}
        return self._add(Figure(name, unit, stats, note=note), reference)

    def _add(self, figure: Figure, reference: str | None) -> Figure:
        reference = self.reference if reference == "default" else reference
        figure.reference = reference if reference != figure.name else None
        self.figures.append(figure)
        return figure

    def resolve_ratios(self) -> None:
        """Fill each figure's ratio to its reference (which may have been added after it)."""
        for figure in self.figures:
            base = self.get(figure.reference, figure.unit) if figure.reference else None
            usable = base is not None and base.stats["median"] > 0
            figure.ratio = figure.stats["median"] / base.stats["median"] if usable else None

    def get(self, name: str, unit: str | None = None) -> Figure | None:
        for f in self.figures:
            if f.name == name and (unit is None or f.unit == unit):
                return f
        return None

    def ratio(self, name: str, reference: str, unit: str | None = None) -> float | None:
        a, b = self.get(name, unit), self.get(reference, unit)
        if a is None or b is None or not b.stats["median"]:
            return None
        return a.stats["median"] / b.stats["median"]

    def target(self, label: str, value: float | None, limit: float) -> None:
        """Record a target ``value <= limit`` (value None: not measurable in this run)."""
        self.targets.append(Target(label, value, limit, None if value is None else bool(value <= limit)))

    def skip(self, what: str, reason: str) -> None:
        self.notes.append(f"skipped {what}: {reason}")

    def note(self, text: str) -> None:
        self.notes.append(text)


# ----------------------------------------------------------------------------- printing
def format_table(result: Result) -> str:
    result.resolve_ratios()
    lines = [f"{result.key}  {result.title}"]
    if result.figures:
        width = max(24, *(len(f.name) for f in result.figures)) + 2
        lines.append(f"  {'':{width}}{'median':>12}  {'unit':<9}{'spread (p25..p75)':>22}  {'ratio':>8}")
        for f in result.figures:
            s = f.stats
            spread = f"{_num(s['p25'])}..{_num(s['p75'])}" if s["samples"] > 1 else ""
            ratio = f"{f.ratio:.2f}x" if f.ratio is not None else ""
            other = (f.ratio is not None and result.reference is not None
                     and not _same_family(f.reference, result.reference))
            against = f"  vs {f.reference}" if other else ""
            note = f"  ({f.note})" if f.note else ""
            lines.append(f"  {f.name:{width}}{_num(s['median']):>12}  {f.unit:<9}{spread:>22}  {ratio:>8}"
                         f"{against}{note}")
    for t in result.targets:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t.passed]
        value = "not measured" if t.value is None else f"{t.value:.3g}"
        lines.append(f"  [{verdict}] target {t.label}: {value} (limit {t.limit:g})")
    lines.extend(f"  note: {n}" for n in result.notes)
    return "\n".join(lines)


def _same_family(reference: str | None, default: str | None) -> bool:
    return reference == default or (reference or "").split(",")[0] == default


def _num(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def summary_table(results: list[Result]) -> str:
    """One line per target: the pass/fail overview printed at the end of a run."""
    lines = ["Targets (each a ratio from this run):"]
    for r in results:
        for t in r.targets:
            verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t.passed]
            value = "not measured" if t.value is None else f"{t.value:.3g}"
            lines.append(f"  [{verdict}] {r.key} {t.label}: {value} (limit {t.limit:g})")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- JSON
def machine() -> dict[str, Any]:
    import os

    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "python": platform.python_version(), "cpu_count": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def to_json(results: list[Result], meta: dict[str, Any]) -> dict[str, Any]:
    for r in results:
        r.resolve_ratios()
    return {**meta, "workloads": [
        {"key": r.key, "title": r.title, "reference": r.reference, "notes": r.notes,
         "extra": r.extra,
         "figures": [{"name": f.name, "unit": f.unit, **f.stats, "reference": f.reference, "ratio": f.ratio,
                      "note": f.note} for f in r.figures],
         "targets": [{"label": t.label, "value": t.value, "limit": t.limit, "passed": t.passed}
                     for t in r.targets]}
        for r in results]}


def write_json(path: str, document: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(document, f, indent=1, default=str)
        f.write("\n")
