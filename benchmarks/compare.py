"""Two runs side by side: ``python -m benchmarks.compare BEFORE.json AFTER.json``.

For every figure both runs have: its median before and after, and its ratio to the reference
before and after (the ratios are the numbers to trust on a busy machine), then the targets.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _figures(document: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(w["key"], f["name"], f["unit"]): f for w in document["workloads"] for f in w["figures"]}


def _ratio(f: dict[str, Any] | None) -> str:
    return "" if f is None or f.get("ratio") is None else f"{f['ratio']:.2f}x"


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    old, new = _figures(before), _figures(after)
    lines = [f"before: {before.get('commit')} {before.get('started')}   after: {after.get('commit')} "
             f"{after.get('started')}",
             f"{'':52}{'before':>11}{'after':>11}  {'unit':<8}{'ratio before':>13}{'ratio after':>12}"]
    for key in new:
        if key not in old:
            continue
        a, b = old[key], new[key]
        label = f"{key[0]} {key[1]}"[:50]
        lines.append(f"{label:52}{a['median']:>11.4g}{b['median']:>11.4g}  {key[2]:<8}{_ratio(a):>13}{_ratio(b):>12}")
    old_targets = {(w["key"], t["label"]): t for w in before["workloads"] for t in w["targets"]}
    lines.append("\ntargets:")
    for w in after["workloads"]:
        for t in w["targets"]:
            previous = old_targets.get((w["key"], t["label"]))
            was = "-" if previous is None or previous["value"] is None else f"{previous['value']:.3g}"
            now = "-" if t["value"] is None else f"{t['value']:.3g}"
            verdict = {True: "PASS", False: "FAIL", None: "n/a"}[t["passed"]]
            lines.append(f"  [{verdict}] {w['key']} {t['label']}: {was} -> {now}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: python -m benchmarks.compare BEFORE.json AFTER.json")
    with open(argv[0]) as f:
        before = json.load(f)
    with open(argv[1]) as f:
        after = json.load(f)
    print(compare(before, after))


if __name__ == "__main__":
    main(sys.argv[1:])
