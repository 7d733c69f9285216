"""An Explanation as tables: aligned text, Markdown, LaTeX (a ``tabular`` for handouts) and HTML.

Each table has the primal trace first, then the adjoint (reverse mode) or tangent (forward mode)
trace. Scalar programs show every number, so each chain-rule sum can be checked by hand; array
programs show shapes, value summaries and the VJP/JVP rules.
"""

from __future__ import annotations

import html
import unicodedata
from typing import Any

import numpy as np

from .formula import pretty_name, summary

_TITLES = {
    "reverse": ("Adjoint trace (reverse mode)", "v̄ⱼ = Σᵢ v̄ᵢ · ∂vᵢ/∂vⱼ, summed over the variables vᵢ that read vⱼ",
                r"\bar{v}_j = \sum_i \bar{v}_i \, \partial v_i / \partial v_j"),
    "forward": ("Tangent trace (forward mode)", "v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ · v̇ⱼ, summed over the variables vⱼ that vᵢ reads",
                r"\dot{v}_i = \sum_j \partial v_i / \partial v_j \, \dot{v}_j"),
}


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _arguments(e: Any) -> str:
    values = [s for s in e.steps if s.op == "input"]
    return ", ".join(f"{pretty_name(name)} = {summary(s.value)}" for name, s in zip(e.input_names, values))


def primal_rows(e: Any) -> list[list[str]]:
    return [[pretty_name(s.name), "= " + s.expression, summary(s.value)] for s in e.steps]


def _numbers(row: Any, mode: str) -> str:
    """The chain-rule sum with numbers: ``1 · 0.5 + 1 · 5`` (scalar programs)."""
    parts = []
    for t in row.terms:
        if t.partial_value is None:
            return ""
        a, b = (t.factor, t.partial_value) if mode == "reverse" else (t.partial_value, t.factor)
        parts.append(f"{_factor(a)} · {_factor(b)}")
    return " + ".join(parts)


def _factor(value: Any) -> str:
    text = summary(value)
    return f"({text})" if text.startswith("-") else text


def derivative_rows(e: Any) -> list[list[str]]:
    rows = []
    mode = e.mode
    for row in e.adjoints if mode == "reverse" else e.tangents:
        if not row.terms:
            seed = "ȳ" if mode == "reverse" else "seed"
            rows.append([row.symbol(mode), f"= {seed}", "", summary(row.value)])
            continue
        symbolic = " + ".join(t.rule for t in row.terms).replace("+ −", "− ")
        numeric = _numbers(row, mode) if e.scalar else ""
        rows.append([row.symbol(mode), "= " + symbolic, "= " + numeric if numeric else "", summary(row.value)])
    return rows


def _result_line(e: Any) -> str:
    if e.mode == "reverse":
        return "Gradient: " + ", ".join(f"∂y/∂{pretty_name(n)} = {summary(g.data)}"
                                        for n, g in zip(e.input_names, e.gradient))
    return f"Directional derivative: ẏ = {summary(e.derivative.data)}"


def as_text(e: Any) -> str:
    title, rule, _ = _TITLES[e.mode]
    lines = [f"Primal trace at {_arguments(e)}", *_columns(primal_rows(e)), "", f"{title}: {rule}"]
    lines += _columns(derivative_rows(e))
    lines += ["", _result_line(e)]
    return "\n".join(lines)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def as_markdown(e: Any) -> str:
    title, rule, _ = _TITLES[e.mode]
    lines = [f"**Primal trace** at {_arguments(e)}", "", "| variable | formula | value |", "|---|---|---|"]
    lines += [f"| {a} | {_markdown_cell(b[2:])} | {c} |" for a, b, c in primal_rows(e)]
    lines += ["", f"**{title}**: {rule}", "", "| derivative | chain rule | with numbers | value |",
              "|---|---|---|---|"]
    lines += [f"| {a} | {_markdown_cell(b[2:])} | {c[2:]} | {d} |" for a, b, c, d in derivative_rows(e)]
    lines += ["", _result_line(e)]
    return "\n".join(lines)


def _tex_summary(value: Any) -> str:
    text = summary(value)
    return text if np.size(value) == 1 else r"\text{" + text.replace("_", r"\_") + "}"


def as_latex(e: Any) -> str:
    """Two ``tabular`` environments (math in $...$); they compile with plain LaTeX and amsmath."""
    title, _, rule = _TITLES[e.mode]
    lines = [r"% primal trace", r"\begin{tabular}{lll}", r"\hline",
             r"variable & formula & value \\", r"\hline"]
    for s in e.steps:
        name = pretty_name(s.name, latex=True)
        lines.append(f"${name}$ & $= {s.latex}$ & ${_tex_summary(s.value)}$ \\\\")
    lines += [r"\hline", r"\end{tabular}", "", f"% {title.lower()}: ${rule}$", r"\begin{tabular}{lll}",
              r"\hline", r"derivative & chain rule & value \\", r"\hline"]
    accent = "_bar" if e.mode == "reverse" else "_dot"
    for row in e.adjoints if e.mode == "reverse" else e.tangents:
        name = pretty_name(row.name + accent, latex=True)
        if row.terms:
            symbolic = " + ".join(t.latex for t in row.terms).replace("+ -", "- ")
        else:
            symbolic = r"\bar{y}" if e.mode == "reverse" else r"\text{seed}"
        lines.append(f"${name}$ & $= {symbolic}$ & ${_tex_summary(row.value)}$ \\\\")
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)


def as_html(e: Any) -> str:
    """The tables as HTML (Jupyter's rich display)."""
    title, rule, _ = _TITLES[e.mode]

    def table(header: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    primal = table(["variable", "formula", "value"], [[a, b[2:], c] for a, b, c in primal_rows(e)])
    derivative = table(["derivative", "chain rule", "with numbers", "value"],
                       [[a, b[2:], c[2:], d] for a, b, c, d in derivative_rows(e)])
    return (f"<div><p><b>Primal trace</b> at {html.escape(_arguments(e))}</p>{primal}"
            f"<p><b>{html.escape(title)}</b>: {html.escape(rule)}</p>{derivative}"
            f"<p>{html.escape(_result_line(e))}</p></div>")
