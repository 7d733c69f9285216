"""erf and erfc: values to a few ulp against independent oracles, edge values, dtypes, derivatives, Taylor.

The oracles are Python's ``math.erf``/``math.erfc`` (the C library's, within ~2 ulp themselves) and
scipy's Cephes ``erf``/``erfc``. The bounds below are set a little above what was measured (see
the comments), so a change that costs accuracy fails here.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.special
from numpy.polynomial import hermite

import autodiff as ad
from autodiff.ops import special

TINY = np.finfo(np.float64).tiny  # the smallest normal float64: below it results are subnormal
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

math_erf = np.vectorize(math.erf, otypes=[float])
math_erfc = np.vectorize(math.erfc, otypes=[float])


def _relative_error(got, want):
    return np.abs(got - want) / np.abs(want)


def _points(rng):
    """A dense grid over [-30, 30] (erfc underflows past 27.2) and random points, most near 0."""
    return np.concatenate([np.linspace(-30.0, 30.0, 240_001), rng.uniform(-30.0, 30.0, 20_000),
                           rng.normal(0.0, 2.0, 20_000), rng.uniform(-1.0, 1.0, 20_000)])


# ----------------------------------------------------------------------------- values
def test_erf_matches_math_erf_to_a_couple_of_ulp(rng):
    x = _points(rng)
    got, want = ad.erf(x), math_erf(x)
    nonzero = want != 0
    np.testing.assert_array_equal(got[~nonzero], want[~nonzero])  # erf(0) = 0 exactly
    assert _relative_error(got[nonzero], want[nonzero]).max() <= 4e-16  # measured 2.7e-16 (math: ~1 ulp)


def test_erfc_matches_math_erfc_to_a_few_ulp_far_into_the_tail(rng):
    x = _points(rng)
    got, want = ad.erfc(x), math_erfc(x)
    normal = want >= TINY
    left = normal & (x < 0.5)
    right = normal & (x >= 0.5)  # erfc < 0.48: the tail formula, or 1 - erf near x = 1
    assert _relative_error(got[left], want[left]).max() <= 4e-16  # measured 2.6e-16
    assert _relative_error(got[right], want[right]).max() <= 1.6e-15  # measured 1.3e-15, up to x = 26.5
    assert right.sum() > 100_000 and x[right].max() > 26.5  # the bound covered the far tail
    # subnormal results (26.55 < x < 27.23) and the underflow to 0: off by at most a few of 2⁻¹⁰⁷⁴
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=4 * 5e-324)
    assert (got[x > 27.3] == 0).all()


def test_erf_and_erfc_match_scipy_on_100_000_points():
    rng = np.random.default_rng(12)
    x = np.concatenate([rng.uniform(-10.0, 10.0, 50_000), rng.normal(0.0, 1.5, 50_000)])
    np.testing.assert_allclose(ad.erf(x), scipy.special.erf(x), rtol=6e-16, atol=0)  # measured 4.0e-16
    # scipy's Cephes erfc rounds x² before the exponential, which costs it ~x²/2 ulp in the tail
    # (5.7e-14 at x = 24); the bound allows for its error, not ours (measured: 2.2e-15 up to x = 5)
    np.testing.assert_array_less(_relative_error(ad.erfc(x), scipy.special.erfc(x)), 3e-15 + 1.2e-16 * x * x)


def test_erf_and_erfc_are_consistent():
    x = np.linspace(-6.0, 6.0, 10_001)
    np.testing.assert_allclose(ad.erf(x) + ad.erfc(x), 1.0, rtol=0, atol=2.3e-16)
    np.testing.assert_array_equal(ad.erf(-x), -ad.erf(x))  # odd, exactly
    np.testing.assert_allclose(ad.erfc(-x), 2.0 - ad.erfc(x), rtol=0, atol=2.3e-16)


EDGES = [  # x, erf x, erfc x
    (0.0, 0.0, 1.0),
    (np.inf, 1.0, 0.0),
    (-np.inf, -1.0, 2.0),
    (1e-300, TWO_OVER_SQRT_PI * 1e-300, 1.0),
    (-1e-300, -TWO_OVER_SQRT_PI * 1e-300, 1.0),
    (5e-324, 5e-324, 1.0),  # the smallest subnormal: erf x = 1.128·x rounds back to it
    (1e-310, math.erf(1e-310), 1.0),
    (TINY, math.erf(TINY), 1.0),
    (30.0, 1.0, 0.0),
    (-30.0, -1.0, 2.0),
    (1e155, 1.0, 0.0),  # x² overflows
    (1e300, 1.0, 0.0),
    (-1e300, -1.0, 2.0),
    (np.finfo(np.float64).max, 1.0, 0.0),
]


@pytest.mark.parametrize(("x", "erf", "erfc"), EDGES, ids=[repr(e[0]) for e in EDGES])
def test_edge_values_without_warnings(x, erf, erfc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow/invalid warnings leak out of the forward
        got_erf, got_erfc = ad.erf(np.array([x])), ad.erfc(np.array([x]))
    np.testing.assert_allclose(got_erf, [erf], rtol=2.3e-16, atol=0)
    np.testing.assert_allclose(got_erfc, [erfc], rtol=2.3e-16, atol=0)


def test_nan_and_signed_zero():
    assert np.isnan(ad.erf(np.nan)) and np.isnan(ad.erfc(np.nan))
    assert ad.erf(-0.0) == 0.0 and np.signbit(ad.erf(-0.0))  # odd: -0 stays -0
    assert not np.signbit(ad.erf(0.0))
    assert ad.erfc(-0.0) == 1.0
    x = np.array([np.nan, 0.5, -3.0, np.nan])
    np.testing.assert_array_equal(np.isnan(ad.erf(x)), [True, False, False, True])
    np.testing.assert_array_equal(np.isnan(ad.erfc(x)), [True, False, False, True])


@pytest.mark.parametrize("point", [0.5, 1.0, 8.0, 26.55, 27.3])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_continuous_and_monotone_across_branch_points(point, sign):
    """Where the formula changes (|x| = 1, 8; 0.5 in Cody's original split), neighbours agree with math."""
    steps = sign * point + np.arange(-40, 41) * (1e-9 * point)  # steps in erf well above its rounding
    assert (np.diff(ad.erf(steps)) >= 0).all() and (np.diff(ad.erfc(steps)) <= 0).all()
    x = sign * point + np.arange(-40, 41) * np.spacing(point)  # the floats next to the branch point
    erf, erfc = ad.erf(x), ad.erfc(x)
    np.testing.assert_allclose(erf, math_erf(x), rtol=4e-16, atol=0)
    normal = math_erfc(x) >= TINY
    np.testing.assert_allclose(erfc[normal], math_erfc(x)[normal], rtol=1.6e-15, atol=0)
    np.testing.assert_allclose(erfc[~normal], math_erfc(x)[~normal], rtol=0, atol=4 * 5e-324)


def test_arrays_longer_than_a_block_and_not_contiguous(rng):
    """The |x| < 1 formula runs block by block and the tail is patched in by index: check the seams."""
    size = 2 * special._BLOCK + 7
    x = rng.permutation(np.concatenate([rng.uniform(-3.0, 3.0, size - 40), np.linspace(-20, 20, 40)]))
    np.testing.assert_allclose(ad.erf(x), math_erf(x), rtol=4e-16)
    np.testing.assert_allclose(ad.erfc(x), math_erfc(x), rtol=1.6e-15)
    grid = x[: 3 * 101].reshape(3, 101).T  # a transposed (non-contiguous) view
    np.testing.assert_allclose(ad.erfc(grid), math_erfc(grid), rtol=1.6e-15)
    assert ad.erfc(grid).shape == (101, 3)


# ----------------------------------------------------------------------------- dtypes and shapes
@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_float32_in_float32_out_computed_in_float64(op):
    x = np.linspace(-5.0, 5.0, 1001, dtype=np.float32)
    out = op(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, op(x.astype(np.float64)).astype(np.float32))  # float64, rounded once
    t = op(ad.tensor(x, requires_grad=True))
    assert t.dtype == np.float32
    t.sum().backward()
    assert t.dtype == np.float32


@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_integers_and_booleans_give_float64_and_float16_stays(op):
    ints = np.array([-2, 0, 3])
    assert op(ints).dtype == np.float64
    np.testing.assert_array_equal(op(ints), op(ints.astype(float)))
    assert op(np.array([True, False])).dtype == np.float64
    assert isinstance(op(2), np.float64) and op(2) == op(2.0)
    assert op(np.array([0.5], dtype=np.float16)).dtype == np.float16
    assert ad.tensor([1, 2]).dtype.kind == "i" and op(ad.tensor([1, 2])).dtype == np.float64


@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_non_real_input_is_refused(op):
    with pytest.raises(TypeError, match="real numbers"):
        op(np.array([1 + 2j]))


@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_scalars_and_empty_arrays(op):
    assert isinstance(op(0.5), np.float64) and isinstance(op(np.float32(0.5)), np.float32)
    assert isinstance(op(np.array(-3.0)), np.float64)  # 0-d in, scalar out (as numpy's ufuncs)
    assert op(np.zeros((2, 0))).shape == (2, 0) and op(np.zeros(0, np.float32)).dtype == np.float32
    x = ad.tensor(np.zeros((0, 3)), requires_grad=True)
    op(x).sum().backward()
    assert x.grad.shape == (0, 3)
    s = ad.tensor(0.25, requires_grad=True)
    y = op(s)
    assert y.shape == ()
    y.backward()
    assert s.grad.item() == pytest.approx((1 if op is ad.erf else -1) * TWO_OVER_SQRT_PI * math.exp(-0.0625))


# ----------------------------------------------------------------------------- derivatives
DERIVATIVE_POINTS = np.array([-30.0, -9.0, -3.0, -1.0, -0.6, -1e-8, 0.0, 0.4, 0.999, 1.001, 2.5, 8.5, 27.0, np.inf])


def _nth_derivative_of_erf(x, n):
    """dⁿ/dxⁿ erf x = 2/√π·(-1)ⁿ⁻¹·Hₙ₋₁(x)·e^(-x²) (Hermite polynomials, physicists')."""
    return TWO_OVER_SQRT_PI * (-1) ** (n - 1) * hermite.hermval(x, [0] * (n - 1) + [1]) * np.exp(-x * x)


@pytest.mark.parametrize(("op", "sign"), [(ad.erf, 1.0), (ad.erfc, -1.0)], ids=["erf", "erfc"])
def test_first_three_derivatives_against_closed_forms(op, sign):
    x = DERIVATIVE_POINTS[np.isfinite(DERIVATIVE_POINTS)]
    first = ad.grad(lambda t: op(t).sum())
    second = ad.grad(lambda t: first(t).sum())
    third = ad.grad(lambda t: second(t).sum())
    for derivative, n in [(first, 1), (second, 2), (third, 3)]:
        np.testing.assert_allclose(derivative(x).data, sign * _nth_derivative_of_erf(x, n), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_derivative_at_infinity_and_nan(op):
    x = ad.tensor([np.inf, -np.inf, np.nan], requires_grad=True)
    op(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, np.nan])


@pytest.mark.parametrize("op", [ad.erf, ad.erfc], ids=["erf", "erfc"])
def test_gradcheck_and_gradgradcheck_across_the_branches(op):
    x = np.array([-9.0, -3.0, -1.0 - 1e-4, -0.6, 0.0, 0.4, 1.0 - 1e-4, 1.0 + 1e-4, 2.5, 7.999, 8.001])
    assert ad.gradcheck(op, [x], atol=1e-9, rtol=1e-6)
    assert ad.gradgradcheck(op, [x], atol=1e-8, rtol=1e-5)


def test_registry_runs_the_generated_checks_for_erf_and_erfc():
    from .op_registry import registered_ops

    assert {"erf", "erfc"} <= registered_ops()  # value, gradcheck, gradgradcheck, batched, float32, torch


# ----------------------------------------------------------------------------- Taylor mode
def _erf_series(a, order, sign=1.0):
    first = math.erf(a) if sign > 0 else math.erfc(a)
    return np.array([first] + [sign * _nth_derivative_of_erf(a, n) / math.factorial(n) for n in range(1, order + 1)])


@pytest.mark.parametrize("a", [0.0, 0.7, -1.3, 2.5])
def test_taylor_coefficients_by_jets(a):
    np.testing.assert_allclose(ad.taylor(ad.erf, a, 10, method="jet"), _erf_series(a, 10), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(ad.taylor(ad.erfc, a, 10, method="jet"), _erf_series(a, 10, -1.0),
                               rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(ad.taylor(ad.erf, a, 5, method="nested"), _erf_series(a, 5), rtol=1e-12, atol=1e-16)


def test_taylor_of_erf_at_zero_is_its_maclaurin_series():
    # erf x = 2/√π (x - x³/3 + x⁵/10 - x⁷/42 + ...)
    expected = TWO_OVER_SQRT_PI * np.array([0, 1, 0, -1 / 3, 0, 1 / 10, 0, -1 / 42])
    np.testing.assert_allclose(ad.taylor(lambda t: ad.erf(t), 0.0, 7), expected, atol=1e-16)
