"""Pictures of a benchmark run: ``python -m benchmarks.plots RESULTS.json [--out docs]``.

Writes ``perf_w4_scaling.png`` (W4: time of forward + backward against the chain length N, and µs
per op) and ``perf_ratios.png`` (W1, W2, W5, W6: each framework's time as a multiple of the
hand-written numpy reference, with the targets). Needs matplotlib.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

COLORS = {"autodiff": "#d62728", "numpy reference": "#7f7f7f", "torch eager": "#1f77b4",
          "jax eager": "#9467bd", "jax jit": "#2ca02c", "HIPS autograd": "#ff7f0e"}
ORDER = list(COLORS)


def _workload(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((w for w in document["workloads"] if w["key"] == key), None)


def w4_scaling(document: dict[str, Any], path: str) -> bool:
    import matplotlib.pyplot as plt

    w4 = _workload(document, "W4")
    if w4 is None or not w4.get("extra", {}).get("us_per_op"):
        return False
    per_op = w4["extra"]["us_per_op"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in sorted(per_op, key=lambda n: ORDER.index(n) if n in ORDER else 99):
        points = sorted((int(n), v) for n, v in per_op[name].items())
        ns = [n for n, _ in points]
        left.loglog(ns, [n * v * 1e-6 for n, v in points], "o-", color=COLORS.get(name), label=name)
        right.loglog(ns, [v for _, v in points], "o-", color=COLORS.get(name), label=name)
    ours = sorted((int(n), v) for n, v in per_op.get("autodiff", {}).items())
    if ours:
        n0, v0 = ours[0]
        ns = [n for n, _ in ours]
        left.loglog(ns, [v0 * 1e-6 * n for n in ns], "k:", lw=1, label="linear (from autodiff's first point)")
    left.set(xlabel="N (ops in the chain)", ylabel="forward + backward (s)", title="W4: time against N")
    right.set(xlabel="N (ops in the chain)", ylabel="µs per op (log scale)",
              title="W4: µs per op (a flat line = linear in N)")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8, loc="upper right")
    left.legend(fontsize=8, loc="lower right")
    fig.suptitle(_caption(document), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


TARGETS = {"W1": 2.0, "W2": 1.10, "W5": 2.5}
CEILING = 8.0
LABELS = {"W1": "W1 tiny MLP step", "W2": "W2 medium MLP step", "W5": "W5 per-op overhead",
          "W6": "W6 small conv net step"}


def ratios(document: dict[str, Any], path: str) -> bool:
    import matplotlib.pyplot as plt

    groups = []
    for key in LABELS:
        w = _workload(document, key)
        if w is None:
            continue
        found = {f["name"]: f["ratio"] for f in w["figures"]
                 if f["reference"] == "numpy reference" and f["ratio"] is not None and f["name"] in COLORS}
        if found:
            groups.append((key, found))
    if not groups:
        return False
    names = [n for n in ORDER if n != "numpy reference" and any(n in g for _, g in groups)]
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(11, 5))
    for i, name in enumerate(names):
        xs = [g + (i - (len(names) - 1) / 2) * width for g, (_, found) in enumerate(groups) if name in found]
        ys = [found[name] for _, found in groups if name in found]
        bars = ax.bar(xs, [min(y, CEILING) for y in ys], width * 0.92, color=COLORS[name], label=name)
        for bar, y in zip(bars, ys, strict=True):
            label = (f"{y:.2f}x" if y < 10 else f"{y:.0f}x") + (" ↑" if y > CEILING else "")  # cut bars
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, min(y, CEILING)), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 1), textcoords="offset points",
                        bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.8})
    for g, (key, _) in enumerate(groups):
        if key in TARGETS:
            ax.hlines(TARGETS[key], g - 0.45, g + 0.45, colors="k", linestyles="--", lw=1.2,
                      label="target for autodiff" if g == 0 else None)
    ax.axhline(1.0, color=COLORS["numpy reference"], lw=1.5, label="numpy reference = 1")
    ax.set_ylim(0, CEILING * 1.08)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    ax.set_xticks(range(len(groups)), [LABELS[k] + (f"\n(target ≤ {TARGETS[k]:g}x)" if k in TARGETS else "")
                                       for k, _ in groups])
    ax.set_ylabel(f"time / hand-written numpy (bars cut at {CEILING:g}x)")
    ax.set_title("Time as a multiple of the hand-written numpy reference (lower is better)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=len(names) + 2, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    fig.suptitle(_caption(document), fontsize=8, y=0.995)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def _caption(document: dict[str, Any]) -> str:
    v = document.get("versions", {})
    peers = ", ".join(f"{k} {v[k]}" for k in ("numpy", "torch", "jax", "autograd") if v.get(k))
    command = document.get("command", "").split(" --json")[0]
    return (f"{command} · {document.get('clock', 'wall')} time, "
            f"{document.get('threads', {}).get('OMP_NUM_THREADS')} thread · {peers} · "
            f"{document.get('machine', {}).get('cpu', '')}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plots", description=__doc__)
    parser.add_argument("results", help="JSON written by python -m benchmarks --json")
    parser.add_argument("--out", default="docs", help="directory for the PNGs (default docs)")
    args = parser.parse_args(argv)
    with open(args.results) as f:
        document = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    for name, draw in (("perf_w4_scaling.png", w4_scaling), ("perf_ratios.png", ratios)):
        path = os.path.join(args.out, name)
        print(("wrote " if draw(document, path) else "no data for ") + path)


if __name__ == "__main__":
    main()
