"""Finite differences against AD: the orders of the methods, vector functions, and the step-size study."""

import numpy as np
import pytest

import autodiff as ad


def field(v):
    """A smooth map R^3 -> R^2."""
    return ad.stack([ad.sin(v[0]) * v[1] ** 2, ad.exp(0.5 * v[2]) / (1.0 + v[0] ** 2)])


def energy(v):
    return (ad.cos(v) * v).sum() + v[0] * v[1] * v[2]


POINT = np.array([0.3, -1.2, 0.8])


@pytest.mark.parametrize("method, tolerance", [("central", 1e-8), ("forward", 1e-6), ("backward", 1e-6),
                                               ("richardson", 1e-10)])
def test_numerical_jacobian_of_a_vector_function_matches_ad(method, tolerance):
    J = ad.jacobian(field)(POINT).data
    numerical = ad.numerical_jacobian(field, POINT, method=method)
    assert numerical.shape == (2, 3)
    np.testing.assert_allclose(numerical, J, rtol=0, atol=tolerance)


def test_numerical_hessian_and_grad_match_ad():
    np.testing.assert_allclose(ad.numerical_hessian(energy, POINT), ad.hessian(energy)(POINT).data, atol=1e-6)
    np.testing.assert_allclose(ad.numerical_grad(energy, POINT), ad.grad(energy)(POINT).data, atol=1e-9)


ORDERS = [("central", 2), ("forward", 1), ("backward", 1), ("richardson", 4)]


@pytest.mark.parametrize("method, order", ORDERS)
def test_truncation_error_falls_with_the_order_of_the_method(method, order):
    # in the truncation regime, halving h divides the error by 2^order
    steps = [0.08, 0.04]
    study = ad.step_size_study(ad.sin, 0.7, steps=steps, methods=[method])
    ratio = study.errors[method][0] / study.errors[method][1]
    assert ratio == pytest.approx(2.0 ** order, rel=0.1)


def test_step_size_study_draws_a_v():
    study = ad.step_size_study(ad.exp, 1.0)
    assert study.steps.shape == (49,) and study.steps[0] == 1e-16 and study.steps[-1] == 1.0
    np.testing.assert_allclose(study.reference, np.e)
    for method, errors in study.errors.items():
        assert errors.shape == study.steps.shape
        bottom = int(np.argmin(errors))
        assert 0 < bottom < len(errors) - 1, method
        # both arms rise far above the bottom: round-off on the left, truncation on the right
        assert errors[0] > 1e4 * errors[bottom] and errors[-1] > 1e4 * errors[bottom], method
        # the bottom lies within a few decades of the step that theory recommends
        assert abs(np.log10(study.best_step(method)) - np.log10(ad.default_step(method))) <= 3, method
    assert study.errors["central"].min() < study.errors["forward"].min()
    assert study.errors["richardson"].min() < study.errors["forward"].min()
    assert "best" in str(study)


def test_step_size_study_of_a_vector_function_uses_the_worst_entry():
    study = ad.step_size_study(field, POINT, steps=[1e-3], methods=["forward"])
    J = ad.jacobian(field)(POINT).data
    worst = np.abs(ad.numerical_jacobian(field, POINT, eps=1e-3, method="forward") - J).max()
    assert study.errors["forward"][0] == pytest.approx(worst, rel=1e-12)
    assert study.reference.shape == (2, 3)


def test_step_size_study_errors():
    with pytest.raises(ValueError, match="unknown finite-difference method"):
        ad.step_size_study(ad.exp, 1.0, methods=["sideways"])
    with pytest.raises(ValueError, match="positive step sizes"):
        ad.step_size_study(ad.exp, 1.0, steps=[1e-3, -1.0])
