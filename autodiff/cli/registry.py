"""The commands of ``autodiff``: autodiff's own, and those other packages register by entry point.

Dependencies flow one way, ``optim -> nn -> autodiff``, and ``autodiff`` imports neither of the
others, not even lazily. So the command line only parses and dispatches: a command that trains a
network or runs an optimiser lives in the package that can import what it needs (``demo`` and
``minimize`` live in ``optim``, the only package allowed to import both ``nn`` and ``optim``) and
registers itself by an entry point in the group ``autodiff.commands``, declared in pyproject.toml:

    [project.entry-points."autodiff.commands"]
    minimize = "optim.commands:minimize"

The entry point names a ``Command``; ``autodiff`` finds it with ``importlib.metadata`` and imports
its module only when that command (or the list of all commands) is asked for.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

GROUP = "autodiff.commands"


@dataclass(frozen=True)
class Command:
    """One subcommand of ``autodiff``: its help, its options and what it runs.

    Attributes:
        help: one line for ``autodiff --help``.
        description: the paragraph of ``autodiff NAME --help``.
        add_arguments: adds the command's options to its ``argparse`` parser.
        run: does the work on the parsed options and returns the exit status; bad input raises
            ``autodiff.cli.common.UsageError``, which becomes a one-line message and status 2.
        function: the same work as a Python function, for callers who want its result (optional).

    >>> hello = Command("greet", "Say hello.", lambda parser: parser.add_argument("name"),
    ...                 lambda args: print(f"hello {args.name}") or 0)
    >>> hello.run(argparse.Namespace(name="world"))
    hello world
    0
    """

    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], Any]
    run: Callable[[argparse.Namespace], int]
    function: Callable[..., Any] | None = None


def registered() -> dict[str, EntryPoint]:
    """Command name -> its entry point, for every command that installed packages register.

    In a source checkout (pyproject.toml beside the ``autodiff`` package), the checkout's own
    declarations replace those of the installed ``autodiff`` distribution: an editable install
    keeps the entry points of the day it was made, and a command added or moved since must still
    be found. Entry points of other distributions (plug-ins) are kept either way.
    """
    found = {entry.name: entry for entry in entry_points(group=GROUP)}
    checkout = _checkout_entry_points()
    if checkout is not None:
        found = {name: entry for name, entry in found.items() if _distribution(entry) != "autodiff"}
        found.update(checkout)
    return found


def load(entry: EntryPoint) -> Command | str:
    """The ``Command`` an entry point names, or why it cannot be loaded (a message for the user)."""
    try:
        command = entry.load()
    except Exception as error:  # noqa: BLE001 (a broken or missing package must not break the other commands)
        reason = f"{type(error).__name__}: {error}"
    else:
        if isinstance(command, Command):
            return command
        reason = f"it is a {type(command).__name__}, not an autodiff.cli.Command"
    return (f"the {entry.name} command is registered by {entry.value} (entry point group {GROUP}), which "
            f"cannot be loaded ({reason}). Install the package that provides it; from the project folder: "
            f'pip install -e ".[dev]"')


def _distribution(entry: EntryPoint) -> str | None:
    dist = getattr(entry, "dist", None)
    return None if dist is None else dist.metadata["Name"]


def _checkout_entry_points() -> dict[str, EntryPoint] | None:
    """The commands declared in the pyproject.toml of the checkout autodiff runs from, if any."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        import tomllib  # Python 3.11+; on 3.10 only the installed metadata counts
    except ImportError:  # pragma: no cover
        return None
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):  # no checkout (an installed wheel), or a file being edited
        return None
    if project.get("name") != "autodiff":
        return None
    declared = project.get("entry-points", {}).get(GROUP, {})
    return {name: EntryPoint(name, value, GROUP) for name, value in declared.items()}
