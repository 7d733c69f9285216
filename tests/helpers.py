"""Helpers shared by the test packages (tests/autodiff, tests/nn, tests/optim) and by docs/make_errors.py.

* ``params_of``, ``assert_signature``: the argument names and defaults DESIGN.md promises.
* ``run_cli``: the ``autodiff`` command in process, in a given directory, with its exit status and output.
* ``Case``, ``BadInputs``, ``raised_by``: the bad-input tables (``tests/<package>/bad_inputs.py``) that
  the ``test_bad_input.py`` files run and ``docs/make_errors.py`` turns into docs/errors.md.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np


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


# ----------------------------------------------------------------------------- bad-input tables
@dataclass
class Case:
    """One bad input: ``call`` (given a fresh temporary directory) must raise ``error`` matching ``match``."""

    id: str
    family: str
    call: Callable[[Path], Any]
    error: type[BaseException] | tuple[type[BaseException], ...]
    match: str  # a regular expression the message must contain


class BadInputs:
    """A package's table of bad inputs, in the order they are listed (the order of docs/errors.md)."""

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def add(self, id: str, family: str, call: Callable[[], Any], error: type[BaseException], match: str) -> None:
        """A row whose ``call`` needs no temporary directory."""
        self.cases.append(Case(id, family, lambda tmp: call(), error, match))

    def add_with_tmp(self, id: str, family: str, call: Callable[[Path], Any], error: type[BaseException],
                     match: str) -> None:
        """A row whose ``call`` takes a fresh temporary directory (save files)."""
        self.cases.append(Case(id, family, call, error, match))

    def case(self, id: str, family: str, error: type[BaseException], match: str):
        """Decorator form of ``add_with_tmp``, for calls longer than a lambda."""
        def register(call: Callable[[Path], Any]) -> Callable[[Path], Any]:
            self.add_with_tmp(id, family, call, error, match)
            return call
        return register


def raised_by(bad: Case) -> tuple[type[BaseException] | None, str]:
    """What ``bad.call`` raises in a fresh temporary directory: its type (None if nothing) and message,
    on one line, with the directory written ``<dir>``."""
    with tempfile.TemporaryDirectory() as tmp, np.errstate(all="ignore"):
        try:
            bad.call(Path(tmp))
        except BaseException as error:  # noqa: B036 (we report whatever was raised)
            lines = str(error).replace(tmp, "<dir>").splitlines()
            return type(error), " ".join(line.strip() for line in lines if line.strip())
    return None, ""
