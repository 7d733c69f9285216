"""The examples in the docstrings of the public ops run and print what they show.

``pytest --doctest-modules`` does not collect them: an op made by ``primitive`` is a function
defined in ``ops/core.py`` carrying its op's docstring, so doctest's module check skips it.
"""

import doctest

import numpy as np
import pytest

import autodiff as ad
import autodiff.ops


def _namespace() -> dict:
    """What an op's docstring may use: every public op, ``ad`` and ``np``."""
    return {**{name: getattr(autodiff.ops, name) for name in autodiff.ops.__all__}, "ad": ad, "np": np}


def _examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(recurse=False)
    found = []
    for name in sorted(set(autodiff.ops.__all__)):
        found += [t for t in finder.find(getattr(autodiff.ops, name), name, globs=_namespace()) if t.examples]
    return found


EXAMPLES = _examples()


def test_many_ops_show_an_example():
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda t: t.name)
def test_docstring_example_runs(example: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(example, out=report.append)
    assert runner.failures == 0, "".join(report)
