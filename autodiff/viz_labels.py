"""The text of a graph picture: tensor boxes, op ellipses, constants, edge partials, values.

A tensor's box shows its name (and its row in an explanation, ``v₃``), its shape, its value (all
entries up to ``SMALL``, else its range) and its gradient; an op's ellipse its name and the static
parameters it was given. Labels are Graphviz's HTML-like tables, which both renderers read.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from .formula import pretty_name
from .tensor import Tensor

SMALL = 6  # arrays with at most this many entries show their values; larger ones show their range
STYLE = {  # fill colours by kind of node
    "parameter": "#ffe29a", "input": "#cfe6ff", "constant": "#eeeeee", "intermediate": "#ffffff",
    "op": "#e4d9ff", "released": "#ffd6d6", "hidden": "#f4f4f4",
}
PATH_COLOR = "#d62728"  # edges and boxes on the highlighted paths
GRAD_COLOR = "#b02020"


class Labels:
    """Node attributes for the tensors and ops of one picture.

    ``owners`` maps id(parameter) -> (its layer, its dotted name); ``gradients`` id(tensor) -> a
    gradient to show where the tensor has no ``.grad`` (what backward kept, or an explanation's
    adjoints); ``names`` id(tensor) -> a name for tensors that have none (an explanation's
    argument names); ``rows`` id(tensor) -> its row in an explanation (``v3``).
    """

    def __init__(self, show_values: bool, show_grads: bool, owners: dict[int, tuple[str, str]],
                 gradients: dict[int, Any] | None = None, names: dict[int, str] | None = None,
                 rows: dict[int, str] | None = None) -> None:
        self.show_values = show_values
        self.show_grads = show_grads
        self.owners = owners
        self.gradients = gradients or {}
        self.names = names or {}
        self.rows = rows or {}

    def kind(self, t: Tensor) -> str:
        if not t.is_leaf:
            return "intermediate"
        if id(t) in self.owners or any(c.__name__ == "Parameter" for c in type(t).__mro__):
            return "parameter"
        return "input" if t.requires_grad else "constant"

    def name(self, t: Tensor) -> str | None:
        """The name a picture gives a tensor: its layer's dotted name, its own, or one given for it."""
        if id(t) in self.owners:
            return self.owners[id(t)][1]
        return t.name or self.names.get(id(t))

    def gradient(self, t: Tensor) -> np.ndarray | None:
        if t.grad is not None:
            return t.grad.data if isinstance(t.grad, Tensor) else np.asarray(t.grad)
        found = self.gradients.get(id(t))
        return None if found is None else np.asarray(found)

    def tensor_node(self, t: Tensor, is_root: bool, on_path: bool = False) -> dict[str, str]:
        kind = self.kind(t)
        name = self.name(t)
        row = self.rows.get(id(t))
        rows = []
        if name or row:
            shown = f"<b>{html.escape(str(name))}</b>" if name else ""
            if row and row != name:
                shown += f'{" " if shown else ""}<font color="#5a4a9a">{html.escape(pretty_name(row))}</font>'
            rows.append(shown)
        elif kind != "intermediate":
            rows.append(f"<i>{kind}</i>")
        rows.append(f'<font point-size="9">{html.escape(shape_text(t))}</font>')
        if self.show_values:
            rows.append(html.escape(values_text("", t.data)))
        grad = self.gradient(t) if self.show_grads else None
        if grad is not None:
            rows.append(f'<font color="{GRAD_COLOR}">{html.escape(values_text("grad ", grad))}</font>')
        table = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
        table = f'<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{table}</table>'
        attrs = {"label": f"<{table}>",
                 "shape": "box", "style": "rounded,filled" if kind == "parameter" else "filled",
                 "fillcolor": STYLE[kind]}
        if kind == "constant":
            attrs["color"] = "#999999"
            attrs["fontcolor"] = "#555555"
        if is_root:
            attrs["penwidth"] = "2.5"
        if on_path:
            attrs["color"] = PATH_COLOR
            attrs["penwidth"] = "2.5"
        return attrs

    def op_node(self, t: Tensor, on_path: bool = False) -> dict[str, str]:
        name = getattr(t._op, "name", type(t._op).__name__)
        params = t._params if isinstance(t._params, dict) else {}
        shown = {k: v for k, v in params.items() if v is not None and v is not False}  # skip defaults
        settings = ", ".join(f"{k}={short(v)}" for k, v in shown.items())
        label = f"{name}({settings})" if settings else name
        attrs = {"label": label, "shape": "ellipse", "fillcolor": STYLE["op"], "fontsize": "10", "height": "0.3"}
        if on_path:
            attrs["color"] = PATH_COLOR
            attrs["penwidth"] = "2"
        return attrs

    def constant_node(self, value: Any) -> dict[str, str]:
        return {"label": values_text("", np.asarray(value)) if self.show_values else "constant",
                "shape": "plaintext", "style": "", "fontcolor": "#555555", "fontsize": "9"}


def shape_text(t: Tensor) -> str:
    shape = "scalar" if t.ndim == 0 else "×".join(str(n) for n in t.shape)
    dtype = "" if t.dtype == np.float64 else f" {t.dtype}"
    return shape + dtype


def values_text(prefix: str, array: np.ndarray) -> str:
    if array.size == 0:
        return prefix + "[]"
    if array.size <= SMALL:
        text = np.array2string(array.reshape(-1) if array.ndim > 1 else array, separator=", ",
                               formatter={"float_kind": number})
        return prefix + (text if array.ndim <= 1 else text + f" ({array.ndim}-d)")
    if not np.issubdtype(array.dtype, np.number):
        return prefix + f"{array.size} entries"
    return prefix + f"in [{number(np.min(array))}, {number(np.max(array))}]"


def number(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0 turns -0.0 into 0


def short(value: Any) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) and value.size <= SMALL else value)
    return text if len(text) <= 24 else text[:21] + "..."


def partial_text(partial: str, value: Any) -> str:
    """An edge's label: the local partial's number (scalars), else its rule."""
    if value is not None and np.size(value) == 1:
        return number(float(np.real(np.asarray(value).reshape(-1)[0])))
    return partial if len(partial) <= 40 else partial[:37] + "..."
