"""Reading DOT text (as the ``graphviz`` package writes it) into plain objects, for the built-in renderer.

``parse(text)`` returns a ``DotGraph``: its attributes, its nodes (with the attributes in force where
each was declared), its edges and its clusters. It understands the DOT that ``graphviz.Digraph``
writes (one statement a line, ``subgraph`` blocks, ``graph``/``node``/``edge`` defaults, quoted and
HTML-like strings) and the rest of the language except edges between subgraphs and ports, which it
refuses with a ``DotSyntaxError``. ``label_lines`` turns a label (plain, with ``\\n`` breaks, or an
HTML-like table of rows) into lines of styled text.

>>> g = parse('digraph { rankdir=LR; a [label="x\\\\ny"]; a -> b [color=red] }')
>>> g.attrs["rankdir"], list(g.nodes), g.edges[0].attrs["color"]
('LR', ['a', 'b'], 'red')
>>> [[span.text for span in line] for line in label_lines(g.nodes["a"])]
[['x'], ['y']]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


class DotSyntaxError(ValueError):
    """DOT text that this reader cannot follow (the message says where)."""


@dataclass
class DotNode:
    name: str
    attrs: dict[str, str]
    cluster: str | None = None  # the innermost cluster it was declared in


@dataclass
class DotEdge:
    tail: str
    head: str
    attrs: dict[str, str]


@dataclass
class DotCluster:
    name: str
    attrs: dict[str, str]
    parent: str | None = None


@dataclass
class DotGraph:
    name: str = ""
    directed: bool = True
    attrs: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, DotNode] = field(default_factory=dict)
    edges: list[DotEdge] = field(default_factory=list)
    clusters: dict[str, DotCluster] = field(default_factory=dict)


_TOKEN = re.compile(r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/|^\#[^\n]*)
  | (?P<arrow>->|--)
  | (?P<punct>[{}\[\]=;,:])
  | (?P<quoted>"(?:[^"\\]|\\.)*")
  | (?P<id>-?(?:\.\d+|\d+(?:\.\d*)?)|[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)
  | (?P<html><)
""", re.X | re.S | re.M)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value) pairs: kind is 'id' (names, numbers, quoted and HTML strings) or the punctuation."""
    tokens, i = [], 0
    while i < len(text):
        match = _TOKEN.match(text, i)
        if match is None:
            raise DotSyntaxError(f"unexpected {text[i]!r} at character {i} of the DOT text")
        kind = match.lastgroup
        if kind == "html":  # <...> with nested <tags>: an HTML-like string, kept with its brackets
            depth, j = 0, i
            while j < len(text):
                depth += (text[j] == "<") - (text[j] == ">")
                j += 1
                if depth == 0:
                    break
            if depth:
                raise DotSyntaxError(f"an HTML-like string at character {i} is not closed")
            tokens.append(("id", text[i:j]))
            i = j
            continue
        if kind == "quoted":
            tokens.append(("id", match.group()[1:-1].replace('\\"', '"').replace("\\\n", "")))
        elif kind == "id":
            tokens.append(("id", match.group()))
        elif kind == "arrow":
            tokens.append(("arrow", match.group()))
        elif kind != "space":
            tokens.append((match.group(), match.group()))
        i = match.end()
    return tokens


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.graph = DotGraph()

    def peek(self, ahead: int = 0) -> str | None:
        j = self.i + ahead
        return self.tokens[j][0] if j < len(self.tokens) else None

    def take(self, kind: str | None = None) -> str:
        if self.i >= len(self.tokens):
            raise DotSyntaxError("the DOT text ends too early")
        token_kind, value = self.tokens[self.i]
        if kind is not None and token_kind != kind:
            raise DotSyntaxError(f"expected {kind!r}, found {value!r} (token {self.i})")
        self.i += 1
        return value

    def read(self) -> DotGraph:
        if self.peek() == "id" and self.tokens[self.i][1].lower() == "strict":
            self.take()
        kind = self.take("id").lower()
        if kind not in ("digraph", "graph"):
            raise DotSyntaxError(f"expected 'digraph' or 'graph', found {kind!r}")
        self.graph.directed = kind == "digraph"
        if self.peek() == "id":
            self.graph.name = self.take()
        self.take("{")
        self.block({"graph": {}, "node": {}, "edge": {}}, None, self.graph.attrs)
        return self.graph

    def attributes(self) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while self.peek() == "[":
            self.take("[")
            while self.peek() != "]":
                key = self.take("id")
                self.take("=")
                attrs[key] = self.take("id")
                if self.peek() in (",", ";"):
                    self.take()
            self.take("]")
        return attrs

    def block(self, defaults: dict[str, dict[str, str]], cluster: str | None, attrs: dict[str, str]) -> None:
        """Statements up to the closing brace; ``attrs`` receives the block's own graph attributes."""
        while self.peek() != "}":
            if self.peek() is None:
                raise DotSyntaxError("a '{' is not closed")
            if self.peek() == ";":
                self.take()
                continue
            if self.peek() == "{":  # an anonymous subgraph
                self.subgraph(defaults, cluster)
                continue
            word = self.take("id")
            lowered = word.lower()
            if lowered in ("graph", "node", "edge") and self.peek() == "[":
                given = self.attributes()
                defaults = {**defaults, lowered: {**defaults[lowered], **given}}
                if lowered == "graph":
                    attrs.update(given)
            elif lowered == "subgraph":
                self.subgraph(defaults, cluster)
            elif self.peek() == "=":
                self.take("=")
                attrs[word] = self.take("id")
            elif self.peek() == "arrow":
                ends = [word]
                while self.peek() == "arrow":
                    self.take()
                    if self.peek() == "{" or (self.peek() == "id" and self.tokens[self.i][1].lower() == "subgraph"):
                        raise DotSyntaxError("edges to or from subgraphs are not supported")
                    ends.append(self.take("id"))
                given = {**defaults["edge"], **self.attributes()}
                for name in ends:
                    self.node(name, {}, defaults, cluster, declare=False)
                self.graph.edges += [DotEdge(a, b, dict(given)) for a, b in zip(ends, ends[1:])]
            else:
                if self.peek() == ":":
                    raise DotSyntaxError(f"ports ({word}:...) are not supported")
                self.node(word, self.attributes(), defaults, cluster, declare=True)
        self.take("}")

    def subgraph(self, defaults: dict[str, dict[str, str]], cluster: str | None) -> None:
        name = self.take("id") if self.peek() == "id" else ""
        self.take("{")
        own: dict[str, str] = dict(defaults["graph"])
        inner = cluster
        if name.startswith("cluster"):
            self.graph.clusters[name] = DotCluster(name, own, cluster)
            inner = name
        self.block(defaults, inner, own)

    def node(self, name: str, given: dict[str, str], defaults: dict[str, dict[str, str]], cluster: str | None,
             declare: bool) -> None:
        existing = self.graph.nodes.get(name)
        if existing is None:
            self.graph.nodes[name] = DotNode(name, {**defaults["node"], **given}, cluster)
        else:
            existing.attrs.update(given)
            if declare and cluster is not None and existing.cluster is None:
                existing.cluster = cluster


def parse(text: str) -> DotGraph:
    """The graph of a DOT text (see the module docstring for what is understood)."""
    return _Reader(text).read()


# ----------------------------------------------------------------------------- labels
@dataclass
class Span:
    """A run of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    color: str | None = None
    size: float | None = None


class _HtmlLabel(HTMLParser):
    """An HTML-like label's rows (``<tr>``, ``<br/>``) as lines of styled spans."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[Span]] = [[]]
        self.styles: list[dict[str, object]] = [{}]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("tr", "br") and self.lines[-1]:
            self.lines.append([])
        if tag in ("b", "i", "font"):
            style = dict(self.styles[-1])
            if tag == "b":
                style["bold"] = True
            elif tag == "i":
                style["italic"] = True
            else:
                found = dict(attrs)
                if found.get("color"):
                    style["color"] = found["color"]
                if found.get("point-size"):
                    style["size"] = float(found["point-size"] or 0) or None
            self.styles.append(style)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.lines.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "i", "font") and len(self.styles) > 1:
            self.styles.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.lines[-1].append(Span(text, **self.styles[-1]))  # type: ignore[arg-type]


def label_lines(node: DotNode | DotEdge | None = None, label: str | None = None, name: str = "") -> list[list[Span]]:
    """The lines of a label: an HTML-like one (``<...>``) by its rows, a plain one split at ``\\n``,
    ``\\l`` and ``\\r``, with ``\\N`` standing for the node's name (a node's default label)."""
    if label is None:
        attrs = node.attrs if node is not None else {}
        label = attrs.get("label", "\\N" if isinstance(node, DotNode) else "")
        name = node.name if isinstance(node, DotNode) else name
    if label.startswith("<") and label.endswith(">"):
        reader = _HtmlLabel()
        reader.feed(label[1:-1])
        reader.close()
        return [line for line in reader.lines if line]
    text = label.replace("\\N", name).replace("\\G", "")
    parts = re.split(r"\\[nlr]", text)
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return [[Span(part.replace("\\\\", "\\"))] for part in parts]
