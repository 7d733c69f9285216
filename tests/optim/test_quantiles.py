"""The fit report's distribution functions (optim/_quantiles.py) against scipy.stats and scipy.special.

The ranges are those the module docstring states: the normal quantile to 1e-13 relative for p in
[1e-300, 1 - 1e-16]; the Student t quantile to 1e-10 relative for ν in [1, 10⁶] (and fractional ν)
with tail probabilities in [1e-12, ½]; the χ² survival function to 1e-10 relative for ν in [1, 10⁴].
"""

import math

import numpy as np
import pytest

from optim._quantiles import betainc, chi2_sf, normal_quantile, student_t_quantile, student_t_sf

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")

TAILS = np.concatenate([np.logspace(-12, -1, 23), np.linspace(0.1, 0.49, 8)])
DOFS = [1, 2, 3, 4, 5, 7, 10, 15, 23, 37, 50, 100, 300, 1000, 1e4, 1e5, 1e6, 0.5, 2.5, 17.3]


def relative(ours: float, reference: float) -> float:
    return abs(ours - reference) / abs(reference) if reference else abs(ours)


def test_normal_quantile_against_scipy():
    ps = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-16, -1, 50)])
    worst = max(relative(normal_quantile(p), stats.norm.ppf(p)) for p in ps)
    assert worst < 1e-13
    assert normal_quantile(0.5) == 0.0


@pytest.mark.parametrize("dof", DOFS)
def test_student_t_quantile_against_scipy(dof):
    worst = max(relative(student_t_quantile(p, dof), stats.t.ppf(p, dof)) for q in TAILS for p in (q, 1 - q))
    assert worst < 1e-10


def test_student_t_quantile_limits_and_symmetry():
    assert student_t_quantile(0.975, math.inf) == normal_quantile(0.975)
    assert student_t_quantile(0.5, 7) == 0.0
    assert student_t_quantile(0.1, 7) == pytest.approx(-student_t_quantile(0.9, 7), rel=1e-14)
    with pytest.raises(ValueError, match="0 < p < 1"):
        student_t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="dof > 0"):
        student_t_quantile(0.9, 0)


@pytest.mark.parametrize("dof", [1, 3, 10, 37, 1000, 1e5])
def test_student_t_sf_against_scipy(dof):
    for t in np.concatenate([-np.logspace(-3, 2, 12), np.logspace(-3, 3, 25)]):
        assert relative(student_t_sf(t, dof), stats.t.sf(t, dof)) < 1e-11, t


@pytest.mark.parametrize("dof", [1, 2, 3, 10, 37, 100, 1000, 1e4])
def test_chi2_sf_against_scipy(dof):
    for chi2 in np.logspace(-3, 4, 60):
        reference = stats.chi2.sf(chi2, dof)
        if reference > 1e-300:
            assert relative(chi2_sf(chi2, dof), reference) < 1e-10, chi2
    assert chi2_sf(0.0, 3) == 1.0 and math.isnan(chi2_sf(1.0, 0))


def test_betainc_against_scipy():
    for a in (0.5, 1.0, 2.5, 10.0, 100.0, 1e4):
        for b in (0.5, 1.0, 3.0, 50.0, 1e3):
            for x in np.linspace(0.001, 0.999, 25):
                reference = special.betainc(a, b, x)
                if reference > 1e-300:
                    assert relative(betainc(a, b, x), reference) < 1e-10, (a, b, x)
    assert betainc(2.0, 3.0, 0.0) == 0.0 and betainc(2.0, 3.0, 1.0) == 1.0
    with pytest.raises(ValueError, match="a > 0"):
        betainc(-1.0, 2.0, 0.5)
