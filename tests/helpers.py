"""Helpers shared by the test packages (tests/autodiff, tests/nn, tests/optim).

* ``params_of``, ``assert_signature``: the argument names and defaults DESIGN.md promises.
* ``run_cli``: the ``autodiff`` command in process, in a given directory, with its exit status and output.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from pathlib import Path
from typing import NamedTuple


# ----------------------------------------------------------------------------- signatures
def params_of(f) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(f).parameters)


def assert_signature(f, *names: str, **defaults) -> None:
    """``f`` takes the named arguments in this order (others may follow), with these defaults."""
    params = params_of(f)
    listed = [n for n in params if n != "self"]
    assert listed[: len(names)] == list(names), f"{f.__qualname__}{inspect.signature(f)}: expected {names}"
    for name, value in defaults.items():
        assert name in params, f"{f.__qualname__} lacks the argument {name}="
        assert params[name].default == value, f"{f.__qualname__}: {name} defaults to {params[name].default!r}"


# ----------------------------------------------------------------------------- the command line
class CliRun(NamedTuple):
    status: int | str | None
    out: str
    err: str


def run_cli(argv: list[str], cwd: Path | str | None = None) -> CliRun:
    """``autodiff ARGV`` run in process (in ``cwd`` if given): exit status, stdout, stderr."""
    from autodiff.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                status = main(list(argv))
            except SystemExit as exit_:  # argparse exits on bad usage and --help
                status = exit_.code
    finally:
        os.chdir(previous)
    return CliRun(status, stdout.getvalue(), stderr.getvalue())
