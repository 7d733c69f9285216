"""The engine's bad inputs (the table in tests/autodiff/bad_inputs.py, and the command line's) each raise a
clear error; a backward pass that fails changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from tests.helpers import Case, run_cli

from .bad_inputs import CASES, CLI_CASES

NAN_WARNINGS = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@NAN_WARNINGS
@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_clear_error(bad: Case, tmp_path: Path) -> None:
    with pytest.raises(bad.error, match=bad.match):
        bad.call(tmp_path)


@pytest.mark.parametrize(("argv", "status", "fragment"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_hostile_command_lines_exit_with_a_message(argv: list[str], status: int, fragment: str, tmp_path: Path) -> None:
    run = run_cli(argv, tmp_path)
    assert run.status == status, run.err
    assert re.search(fragment, run.err), run.err
    assert not (tmp_path / "owned").exists()
    assert "Traceback" not in run.err


# ----------------------------------------------------------------------------- nothing half-changed
def test_failed_backward_leaves_grads_alone_and_the_graph_reusable() -> None:
    x = ad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    x.grad = ad.tensor([10.0, 20.0, 30.0])  # accumulated earlier
    hidden = ad.sin(x) * x
    loss = (hidden * hidden).sum()

    def explode(g):
        raise RuntimeError("hook failed")

    remove = hidden.register_hook(explode)
    with pytest.raises(RuntimeError, match="hook failed"):
        loss.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [10.0, 20.0, 30.0])
    remove()
    x.grad = None
    loss.backward()  # no cotangent left over from the failed pass
    expected = 2 * np.sin(x.data) * x.data * (np.cos(x.data) * x.data + np.sin(x.data))  # d/dx (x sin x)²
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


@NAN_WARNINGS
def test_anomaly_in_backward_leaves_grads_alone() -> None:
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    y = ad.tensor([3.0, 4.0], requires_grad=True)
    loss = (ad.where(x > 0, ad.sqrt(x), 0.0) + y * y).sum()
    with ad.detect_anomaly(), pytest.raises(ad.AnomalyError, match="backward of 'sqrt'"):
        loss.backward()
    assert x.grad is None and y.grad is None
