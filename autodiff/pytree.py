"""Nested containers of values (tuples, lists, dicts), flattened into leaves and rebuilt.

``grad`` differentiates with respect to such a structure (a model's parameters as a dict of arrays,
``nn.functional_call``), and ``jit`` keys its cache by the structure of its arguments. A structure is
described by a hashable ``treedef``; the leaves are everything that is not a tuple, list or dict.

>>> leaves, tree = flatten({"w": [1.0, 2.0], "b": 3.0})
>>> leaves
[1.0, 2.0, 3.0]
>>> unflatten(tree, [10, 20, 30])
{'w': [10, 20], 'b': 30}
"""

from __future__ import annotations

from typing import Any

LEAF = ("leaf",)


def flatten(value: Any) -> tuple[list[Any], tuple]:
    """(leaves in order, the structure): dicts keep their key order."""
    leaves: list[Any] = []
    return leaves, _flatten(value, leaves)


_CONTAINERS = (list, tuple, dict)  # exact types: a subclass (a namedtuple, an OrderedDict...) is a leaf


def _flatten(value: Any, leaves: list[Any]) -> tuple:
    kind = type(value)
    if kind not in _CONTAINERS:
        leaves.append(value)
        return LEAF
    children = []
    for v in value.values() if kind is dict else value:
        if type(v) in _CONTAINERS:
            children.append(_flatten(v, leaves))
        else:  # a leaf, without a call: jit flattens its arguments at every call
            leaves.append(v)
            children.append(LEAF)
    if kind is dict:
        return ("dict", tuple(value), tuple(children))
    return ("list" if kind is list else "tuple", tuple(children))


def unflatten(tree: tuple, leaves: list[Any]) -> Any:
    """The structure ``tree`` rebuilt with ``leaves`` in place of the original ones."""
    position = iter(leaves)
    return _unflatten(tree, position)


def _unflatten(tree: tuple, leaves: Any) -> Any:
    kind = tree[0]
    if kind == "leaf":
        return next(leaves)
    if kind == "dict":
        return {key: _unflatten(child, leaves) for key, child in zip(tree[1], tree[2])}
    children = [_unflatten(child, leaves) for child in tree[1]]
    return tuple(children) if kind == "tuple" else children


def is_leaf(tree: tuple) -> bool:
    return tree == LEAF
