"""The ``autodiff`` command: a training demo, and derivatives of formulas typed on the command line.

    autodiff demo [--dataset moons|circles|spirals|xor] [--epochs N] [--out DIR]
    autodiff graph "sin(x) * y" --at x=1,y=2 [-o graph.svg]
    autodiff check "x**2 * exp(y)" --at x=1,y=0.5 [--hessian]
    autodiff taylor "exp(x)" --at x=pi/4 --order 5 [--plot taylor.png]
    autodiff minimize "(1-x)**2 + 100*(y-x**2)**2" --at x=-1.2,y=1 --method newton [--plot path.png]
    autodiff explain "log(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 [--mode forward --wrt x1] [--format latex]
    autodiff serve [--port 8765] [--host 127.0.0.1]

Formulas are parsed by ``autodiff.expr`` (a whitelist over Python's ``ast``; never evaluated as code).
Bad usage exits with status 2 and a message; ``check`` exits with 1 when AD and finite differences
disagree, ``minimize`` when it does not converge.

This package only parses and dispatches. graph, check, taylor, explain and serve need only the engine
and are built in (``formulas``, ``explain``, ``serve``); demo and minimize need nn and optim, which
autodiff must not import, so optim registers them by entry point (``registry`` explains how;
``optim/commands.py`` has them).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..expr import FUNCTIONS
from . import registry
from .common import UsageError
from .formulas import BUILTIN
from .registry import Command

__all__ = ["Command", "UsageError", "build_parser", "demo", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command: autodiff's own and all that packages register."""
    return _parser(None)[0]


def _parser(wanted: str | None) -> tuple[argparse.ArgumentParser, dict[str, Command | str]]:
    """The parser, and name -> Command (or why it cannot be loaded). Registered commands are
    imported only if ``wanted`` names one of them, or all of them when it names none (help, typos);
    they cannot replace autodiff's own."""
    parser = argparse.ArgumentParser(
        prog="autodiff", description="Automatic differentiation on numpy: a demo, and derivatives of "
                                     "formulas.",
        epilog="A formula that is a negated name, such as -x, goes after '--', as in: "
               "autodiff taylor --at x=0 -- -x. Formulas use + - * / **, numbers, pi, e, "
               "variables and the functions "
               + ", ".join(sorted(FUNCTIONS)) + ".")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    entries = {name: entry for name, entry in registry.registered().items() if name not in BUILTIN}
    if wanted in entries:
        entries = {wanted: entries[wanted]}
    elif wanted in BUILTIN:
        entries = {}
    commands: dict[str, Command | str] = dict(BUILTIN)
    commands.update((name, registry.load(entry)) for name, entry in entries.items())
    for name, command in commands.items():
        if isinstance(command, Command):
            command.add_arguments(sub.add_parser(name, help=command.help, description=command.description))
            sub.choices[name].set_defaults(run=command.run)
        else:
            sub.add_parser(name, help=f"(cannot be loaded: see autodiff {name})", description=command)
    return parser, commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (2 for bad usage, as argparse does).

    >>> main(["check", "x**3 * y", "--at", "x=2,y=0.5"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    f = x**3 * y at x=2, y=0.5
    value 4
    ...
    df/dx 6 6 ...
    df/dy 8 8 ...
    OK: worst entry ...
    0
    """
    argv = [_formula_or_option(a) for a in (sys.argv[1:] if argv is None else argv)]
    wanted = next((a for a in argv if not a.startswith("-")), None)
    parser, commands = _parser(wanted)
    problem = commands.get(wanted)
    if isinstance(problem, str):  # said before parsing: the options of a command that cannot be loaded are unknown
        parser.exit(2, f"autodiff {wanted}: error: {problem}\n")
    try:
        args = parser.parse_args(argv)  # option types (picture suffixes) may raise UsageError too
        with np.errstate(all="ignore"):  # numbers outside a domain get the commands' own messages
            return args.run(args)
    except UsageError as error:
        parser.exit(2, f"autodiff {wanted}: error: {error}\n")
    except BrokenPipeError:  # `autodiff graph ... | head` closed the pipe: stop quietly, as cat does
        _silence_stdout()
        return 1
    return 2  # pragma: no cover (parser.exit raises SystemExit)


def _formula_or_option(argument: str) -> str:
    """'-log(x)' or '-1,2' -> ' -log(x)', ' -1,2': argparse takes any word that starts with '-' for an option
    (unless it is a plain negative number), but these cannot be options. The expression parser and
    ``--at`` ignore the leading space. A formula such as '-x' still needs '--' before it."""
    if argument.startswith("-") and not argument.startswith("--") and any(c in argument for c in "()*/+^ ,"):
        return " " + argument
    return argument


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's flush at exit raises no second BrokenPipeError."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by something without a file (tests)
        pass


def demo(dataset: str = "moons", epochs: int | None = None, out: str | Path = "autodiff-demo",
         seed: int = 0) -> float:
    """``autodiff demo`` from Python: train a toy network, write its pictures; return the accuracy.

    The demo needs nn and optim, so it lives in the package that registers it (optim); this finds
    it through the same entry point as the command line.
    """
    entry = registry.registered().get("demo")
    command = registry.load(entry) if entry is not None else "no package registers the demo command"
    if not isinstance(command, Command) or command.function is None:
        raise RuntimeError(command if isinstance(command, str) else "the demo command has no function")
    return command.function(dataset, epochs, out, seed=seed)
