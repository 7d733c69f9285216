"""What every example shares: the --out folder and the --quick switch (a fast run for CI)."""

from __future__ import annotations

import argparse
from pathlib import Path


def options(description: str, name: str) -> tuple[Path, bool]:
    """Parse --out/--quick; return the output folder (created) and whether to run quickly."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=f"out/{name}", help=f"folder for the pictures (default out/{name})")
    parser.add_argument("--quick", action="store_true", help="a fast, smaller run (used by the tests)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out, args.quick


def wrote(*paths: Path) -> None:
    for path in paths:
        print(f"wrote {path}")


def save_graph_or_dot(graph, path: Path) -> Path:
    """Render a graph picture (Graphviz's `dot` if installed, else autodiff's own renderer: SVG always, PNG
    and PDF with matplotlib); keep the DOT text instead only when neither can draw the format."""
    from autodiff.viz import DotNotFoundError, save_graph

    try:
        return save_graph(graph, path)
    except DotNotFoundError as error:
        print(f"note: {error}")
        return save_graph(graph, path.with_suffix(".dot"))
