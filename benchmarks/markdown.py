"""The README's performance tables from a run's JSON: ``python -m benchmarks.markdown RESULTS.json``."""

from __future__ import annotations

import json
import sys
from typing import Any

COLUMNS = ["autodiff", "autodiff jit", "autodiff nn+optim", "torch eager", "torch nn+optim", "jax eager",
           "jax jit", "HIPS autograd"]


def _figures(document: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    for w in document["workloads"]:
        if w["key"] == key:
            return {f["name"]: f for f in w["figures"]}
    return {}


def _targets(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    for w in document["workloads"]:
        if w["key"] == key:
            return w["targets"]
    return []


def _verdict(targets: list[dict[str, Any]], words: str) -> str:
    found = [t for t in targets if words in t["label"]]
    if not found:
        return ""
    return "; ".join(f"{'**pass**' if t['passed'] else '**FAIL**' if t['passed'] is False else 'n/a'} "
                     f"({t['value']:.2f} ≤ {t['limit']:g})" if t["value"] is not None else "n/a" for t in found)


def _time(f: dict[str, Any] | None) -> str:
    if f is None:
        return "-"
    value, unit = f["median"], f["unit"]
    return f"{value:,.0f} {unit}" if value >= 1000 else f"{value:.3g} {unit}"


def _ratio(f: dict[str, Any] | None) -> str:
    if f is None or f.get("ratio") is None:
        return "-"
    return f"{f['ratio']:.0f}x" if f["ratio"] >= 100 else f"{f['ratio']:.2f}x"


def main_table(document: dict[str, Any]) -> str:
    header = ["workload", "numpy by hand", *COLUMNS, "targets (autodiff; autodiff jit)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(label: str, reference: dict[str, Any] | None, cells: list[str], target: str) -> None:
        lines.append("| " + " | ".join([label, _time(reference), *cells, target]) + " |")

    for key, label, words in (("W1", "W1 tiny MLP step", "time"), ("W2", "W2 medium MLP step", "time"),
                              ("W5", "W5 per-op overhead", "µs"), ("W6", "W6 small conv net step", "")):
        f = _figures(document, key)
        if f:
            row(label, f.get("numpy reference"), [_ratio(f.get(c)) for c in COLUMNS],
                _verdict(_targets(document, key), words) if words else "")
    f = _figures(document, "W2")
    if f.get("autodiff peak memory"):
        cells = [_ratio(f["autodiff peak memory"])] + ["-"] * (len(COLUMNS) - 1)
        row("W2 peak memory", f.get("numpy reference peak memory"), cells,
            _verdict(_targets(document, "W2"), "memory"))
    f = _figures(document, "W3")
    if f:
        vectorised = {"autodiff": f.get("autodiff vectorised"), "autodiff jit": f.get("autodiff jit"),
                      "torch eager": f.get("torch eager vectorize=True"),
                      "jax eager": f.get("jax eager"), "jax jit": f.get("jax jit"),
                      "HIPS autograd": f.get("HIPS autograd")}
        rows = {"autodiff": f.get("autodiff row by row"), "torch eager": f.get("torch eager row by row")}
        row("W3 Hessian, vectorised", f.get("numpy reference"), [_ratio(vectorised.get(c)) for c in COLUMNS],
            "; ".join(v for v in (_verdict(_targets(document, "W3"), "vectorised"),
                                  _verdict(_targets(document, "W3"), "jit")) if v))
        row("W3 Hessian, row by row", f.get("numpy reference"), [_ratio(rows.get(c)) for c in COLUMNS], "")
    f = _figures(document, "W4")
    sizes = sorted({int(n.rsplit("N=", 1)[1].replace(",", "")) for n in f if ", N=" in n and "memory" not in n})
    for n in [s for s in sizes if s >= 100_000][:1] + sizes[-1:]:
        cells = [_time(f.get(f"{c}, N={n:,}")) for c in COLUMNS]
        verdict = _verdict(_targets(document, "W4"), f"per op at N={n:,} <=")
        if n == sizes[-1]:
            verdict += " · linear: " + _verdict(_targets(document, "W4"), "linear")
        row(f"W4 deep chain per op, N = {n:,}", f.get(f"numpy reference, N={n:,}"), cells, verdict)
    memory = {c: f.get(f"{c} memory/node (RSS), N={sizes[-1]:,}") for c in COLUMNS} if sizes else {}
    if any(memory.values()):
        row("W4 memory per node", None, [_time(memory.get(c)) for c in COLUMNS], "")
    return "\n".join(lines)


def newton_table(document: dict[str, Any]) -> str:
    f = _figures(document, "W7")
    if not f:
        return ""
    lines = ["| problem, method | iterations (numpy / autodiff) | numpy by hand | autodiff | ratio | autodiff jit "
             "| ratio |", "|---|---|---|---|---|---|---|"]
    for name, figure in f.items():
        if not name.startswith("autodiff: ") or figure["unit"] != "ms":
            continue
        label = name.removeprefix("autodiff: ")
        ref = f.get(f"numpy reference: {label}")
        its = (f.get(f"numpy reference: {label} iterations"), f.get(f"autodiff: {label} iterations"))
        it_text = " / ".join(f"{i['median']:,.0f}" + (" (not converged)" if i["note"] else "") if i else "-"
                             for i in its)
        jit = f.get(f"autodiff jit: {label}")
        lines.append(f"| {label} | {it_text} | {_time(ref)} | {_time(figure)} | {_ratio(figure)} | {_time(jit)} "
                     f"| {_ratio(jit)} |")
    return "\n".join(lines)


def trace_costs(document: dict[str, Any]) -> str:
    """One line: what ``ad.jit``'s first call (tracing and compiling) costs per workload, and W8."""
    parts = []
    for w in document["workloads"]:
        for figure in w["figures"]:
            if figure["name"] == "autodiff jit trace (once)":
                parts.append(f"{w['key']} {figure['median']:.3g} ms")
    explain = _figures(document, "W8")
    line = "autodiff jit trace (first call, once per signature): " + ", ".join(parts) + "."
    if explain:
        line += " W8, ad.explain of a 999-op program with its text and source: " + ", ".join(
            f"{name.split(', ')[1]} {figure['median']:.0f} ms" for name, figure in explain.items()) + "."
    return line


def main(argv: list[str]) -> None:
    with open(argv[0]) as f:
        document = json.load(f)
    print(main_table(document), end="\n\n")
    print(newton_table(document), end="\n\n")
    print(trace_costs(document))


if __name__ == "__main__":
    main(sys.argv[1:])
