"""The gamma family: gammaln, digamma and polygamma, vectorised in float64 without scipy
(the incomplete gamma functions P and Q are in ``incomplete_gamma.py``).

**log Γ** (``gammaln``). Around 2 it is the series lnΓ(2 + ε) = (1 - γ)ε + Σₖ₌₂ (-1)ᵏ(ζ(k) - 1)/k·εᵏ
(|ε| ≤ ½, 30 terms), so the zeros at 1 and 2 keep their relative accuracy: ε = x - 2 (or x - 1, or x)
is exact, and lnΓ(1 + ε) = lnΓ(2 + ε) - log1p ε. Other x < 8 are shifted into [1.5, 2.5) by the
recurrence lnΓ(x + 1) = lnΓ(x) + log x; x ≥ 8 uses Stirling's series, (x - ½)(log x - 1) + ½log 2π - ½
+ Σ B₂ₖ/(2k(2k - 1)x²ᵏ⁻¹). Negative x: log|Γ(x)| by the reflection Γ(x)Γ(1 - x) = π/sin πx, with
sin πx reduced exactly.

**ψ and ψ⁽ⁿ⁾** (``digamma``, ``polygamma``). ψ(2 + ε) = (1 - γ) + Σₖ₌₂ (-1)ᵏ(ζ(k) - 1)εᵏ⁻¹ near 2,
a Taylor series about ψ's positive zero x₀ = 1.4616... near it (so ψ keeps its relative accuracy
there), the asymptotic series log x - 1/(2x) - Σ B₂ₖ/(2k x²ᵏ) for x ≥ 10, the recurrences
ψ(x + 1) = ψ(x) + 1/x in between (shifting down, so the terms all have ψ's sign) and the reflection
ψ(1 - x) - ψ(x) = π cot πx below 0. For n ≥ 1, ψ⁽ⁿ⁾(x) = (-1)ⁿ⁺¹ n! ζ(n + 1, x): the Hurwitz zeta
function as a direct sum up to x + N ≥ n + 10, then Euler-Maclaurin (10 Bernoulli terms); below 0 the
reflection again, with the n-th derivative of π cot πx from Taylor mode (``series.solve_ode``).

Measured against mpmath (``python -m tests.autodiff.gamma_accuracy`` prints the tables): gammaln
within 2 ulp for x > 0 (5 on [0.5, 1.5]), digamma within 4 ulp for x > 0, polygamma within 3 ulp for
x > 0 and n ≤ 6. Below 0 the error is a few ulp of the terms of the reflection formula, so it is
larger near the functions' zeros there (as in scipy). Everything is computed in float64; the result
has the input's float dtype (float32 stays float32), integers give float64.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from . import series
from .record import primitive, public_op

_EULER = 0.5772156649015329  # γ
_HALF_LOG_TWO_PI = 0.9189385332046728  # ½ log 2π
# ζ(k) - 1 for k = 2..33 (mpmath.zeta at 50 digits, rounded to float64)
_ZETA_MINUS_ONE = (
    0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993, 0.01734306198444914,
    0.008349277381922827, 0.00407735619794434, 0.0020083928260822143, 0.0009945751278180853,
    0.0004941886041194645, 0.0002460865533080483, 0.00012271334757848915, 6.124813505870483e-05,
    3.058823630702049e-05, 1.528225940865187e-05, 7.637197637899763e-06, 3.81729326499984e-06,
    1.908212716553939e-06, 9.539620338727962e-07, 4.769329867878064e-07, 2.38450502727733e-07,
    1.1921992596531106e-07, 5.960818905125948e-08, 2.980350351465228e-08, 1.4901554828365043e-08,
    7.45071178983543e-09, 3.725334024788457e-09, 1.862659723513049e-09, 9.313274324196682e-10,
    4.656629065033784e-10, 2.3283118336765053e-10, 1.164155017270052e-10,
)
# lnΓ(2 + ε)/ε = (1 - γ) + Σₖ₌₂ (-1)ᵏ(ζ(k) - 1)/k·εᵏ⁻¹ and ψ(2 + ε) = (1 - γ) + Σₖ₌₂ (-1)ᵏ(ζ(k) - 1)εᵏ⁻¹
_LOG_GAMMA_2 = (1.0 - _EULER,) + tuple((-1) ** k * z / k for k, z in enumerate(_ZETA_MINUS_ONE, start=2))
_DIGAMMA_2 = (1.0 - _EULER,) + tuple((-1) ** k * z for k, z in enumerate(_ZETA_MINUS_ONE, start=2))
_BERNOULLI = tuple(Fraction(n, d) for n, d in (  # B₂, B₄, ..., B₂₂
    (1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510), (43867, 798),
    (-174611, 330), (854513, 138)))
_STIRLING = tuple(float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(_BERNOULLI[:10], start=1))  # in 1/x²
_DIGAMMA_ASYMPTOTIC = tuple(float(b / (2 * k)) for k, b in enumerate(_BERNOULLI[:10], start=1))
_ROOT, _ROOT_LOW = 1.4616321449683622, 9.549995429965697e-17  # ψ's positive zero, as a sum of two floats
_STIRLING_FROM = 8.0     # lnΓ by Stirling's series from here (its 10 terms are then below 2e-17)
_ASYMPTOTIC_FROM = 10.0  # ψ by its asymptotic series from here

# ----------------------------------------------------------------------------- helpers
def _as_float64(x: Any) -> np.ndarray:
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating) or x.dtype == bool):
        raise TypeError(f"the gamma functions take real numbers, got an array of dtype {x.dtype}")
    return x.astype(np.float64, copy=False)


def _result(value: np.ndarray, *inputs: Any) -> Any:
    """value in the inputs' float dtype (float64 for integers), a numpy scalar for 0-d input."""
    dtype = np.result_type(*(i if isinstance(i, (int, float)) else np.asarray(i) for i in inputs))
    if np.issubdtype(dtype, np.floating) and dtype != np.float64:
        value = value.astype(dtype)
    return value if value.ndim else value[()]


def _polynomial(z: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """Σ cₖ zᵏ (lowest power first) by Horner's rule."""
    result = np.full(np.shape(z), coefficients[-1])
    for c in coefficients[-2::-1]:
        result = result * z + c
    return result


def _by_region(x: np.ndarray, out: np.ndarray, mask: np.ndarray, formula: Any, *more: np.ndarray) -> None:
    """out[mask] = formula(x[mask], *more[mask]) (gathering keeps each formula to its own entries)."""
    if mask.any():
        out[mask] = formula(x[mask], *(m[mask] for m in more))


def _sinpi_abs(x: np.ndarray) -> np.ndarray:
    """|sin πx| with the exact reduction x - 2·round(x/2) ∈ [-1, 1] (huge x are whole: 0)."""
    r = np.abs(x - 2.0 * np.round(0.5 * x))
    return np.sin(np.pi * np.minimum(r, 1.0 - r))


def _cotpi(x: np.ndarray) -> np.ndarray:
    """cot πx with the exact reduction r = x - round(x) ∈ [-½, ½]; ±inf at whole x."""
    r = x - np.round(x)
    with np.errstate(divide="ignore"):
        near = 1.0 / np.tan(np.pi * r)
    far = np.sign(r) * np.tan(np.pi * (0.5 - np.abs(r)))  # cot πr = tan(π(½ - r)), small argument
    return np.where(np.abs(r) <= 0.25, near, far)


# ----------------------------------------------------------------------------- log Γ
def _log_gamma_near_2(eps: np.ndarray) -> np.ndarray:
    """lnΓ(2 + ε) for |ε| ≤ ½, ε exact."""
    return eps * _polynomial(eps, _LOG_GAMMA_2)


def _log_gamma_1p(a: np.ndarray) -> np.ndarray:
    """lnΓ(1 + a) for -½ ≤ a < 1.5 without rounding 1 + a."""
    return np.where(a < 0.5, _log_gamma_near_2(a) - np.log1p(a), _log_gamma_near_2(a - 1.0))


def _log_gamma_small(x: np.ndarray) -> np.ndarray:
    """lnΓ x for 0 < x < 8: shifted to [1.5, 2.5) by lnΓ(x + 1) = lnΓ x + log x."""
    out = np.empty_like(x)
    _by_region(x, out, x < 0.5, lambda x: _log_gamma_near_2(x) - np.log(x) - np.log1p(x))
    _by_region(x, out, (x >= 0.5) & (x < 1.5), lambda x: _log_gamma_near_2(x - 1.0) - np.log1p(x - 1.0))
    _by_region(x, out, (x >= 1.5) & (x < 2.5), lambda x: _log_gamma_near_2(x - 2.0))

    def shifted_down(x):  # x = u + m with u ∈ [1.5, 2.5): lnΓ x = lnΓ u + log((x - 1)...(x - m))
        m = np.floor(x - 1.5)
        product = np.ones_like(x)
        for j in range(1, int(m.max()) + 1):
            product = np.where(j <= m, product * (x - j), product)
        return _log_gamma_near_2(x - m - 2.0) + np.log(product)

    _by_region(x, out, x >= 2.5, shifted_down)
    return out


def _stirling_correction(x: np.ndarray) -> np.ndarray:
    """lnΓ x - ((x - ½)log x - x + ½log 2π) = Σ B₂ₖ/(2k(2k - 1)x²ᵏ⁻¹), for x ≥ 8."""
    inverse = 1.0 / x
    return inverse * _polynomial(inverse * inverse, _STIRLING)


def _log_gamma_large(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return (x - 0.5) * (np.log(x) - 1.0) + (_HALF_LOG_TWO_PI - 0.5) + _stirling_correction(x)


def _log_gamma(x: Any) -> np.ndarray:
    """log|Γ(x)| in float64 (an array of x's shape)."""
    x = _as_float64(x)
    out = np.full(x.shape, np.nan)
    _by_region(x, out, (x > 0) & (x < _STIRLING_FROM), _log_gamma_small)
    _by_region(x, out, x >= _STIRLING_FROM, _log_gamma_large)  # +inf stays +inf

    def reflected(x):  # log|Γ x| = log π - log|sin πx| - lnΓ(1 - x); +inf at 0, -1, -2, ...
        with np.errstate(divide="ignore"):
            return np.log(np.pi / _sinpi_abs(x)) - _log_gamma(1.0 - x)

    finite_negative = (x <= 0) & np.isfinite(x)
    _by_region(x, out, finite_negative, reflected)
    out[x == -np.inf] = -np.inf  # |Γ| → 0 along the non-integers (scipy's choice too)
    return out


# ----------------------------------------------------------------------------- ψ and ψ⁽ⁿ⁾
def _digamma_near_2(eps: np.ndarray) -> np.ndarray:
    """ψ(2 + ε) for |ε| ≤ ½, ε exact."""
    return _polynomial(eps, _DIGAMMA_2)


def _digamma_positive(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    _by_region(x, out, x < 0.5, lambda x: _digamma_near_2(x) - 1.0 / x - 1.0 / (1.0 + x))
    _by_region(x, out, (x >= 0.5) & (x < 1.5), lambda x: _digamma_near_2(x - 1.0) - 1.0 / x)
    _by_region(x, out, (x >= 1.5) & (x < 2.5), lambda x: _digamma_near_2(x - 2.0))

    def shifted_down(x):  # ψ x = ψ(x - m) + Σⱼ₌₁..ₘ 1/(x - j): every term positive
        m = np.floor(x - 1.5)
        total = _digamma_near_2(x - m - 2.0)
        for j in range(int(m.max()), 0, -1):
            total = np.where(j <= m, total + 1.0 / (x - j), total)
        return total

    _by_region(x, out, (x >= 2.5) & (x < _ASYMPTOTIC_FROM), shifted_down)

    def asymptotic(x):  # ψ x = log x - 1/(2x) - Σ B₂ₖ/(2k x²ᵏ)
        inverse_square = (1.0 / x) ** 2
        return np.log(x) - 0.5 / x - inverse_square * _polynomial(inverse_square, _DIGAMMA_ASYMPTOTIC)

    _by_region(x, out, x >= _ASYMPTOTIC_FROM, asymptotic)  # ψ(inf) = inf
    near_root = np.abs(x - _ROOT) < 0.2  # ψ(x₀ + d) = Σ ψ⁽ᵏ⁾(x₀)/k!·dᵏ: no cancellation at the zero
    _by_region(x, out, near_root, lambda x: _digamma_near_root((x - _ROOT) - _ROOT_LOW))
    return out


def _digamma(x: Any) -> np.ndarray:
    """ψ(x) in float64: -inf at +0, +inf at -0 (the one-sided limits), nan at -1, -2, ... and -inf."""
    x = _as_float64(x)
    out = np.full(x.shape, np.nan)
    _by_region(x, out, x > 0, _digamma_positive)
    negative = (x < 0) & np.isfinite(x)
    _by_region(x, out, negative & (x != np.round(x)),  # ψ x = ψ(1 - x) - π cot πx
               lambda x: _digamma_positive(1.0 - x) - np.pi * _cotpi(x))
    zero = x == 0
    out[zero] = np.where(np.signbit(x[zero]), np.inf, -np.inf)
    return out


def _hurwitz_zeta(s: int, x: np.ndarray) -> np.ndarray:
    """ζ(s, x) = Σⱼ (x + j)⁻ˢ for whole s ≥ 2 and x > 0: the sum up to y = x + N ≥ s + 10, then
    Euler-Maclaurin, y¹⁻ˢ/(s - 1) + y⁻ˢ/2 + Σₖ B₂ₖ/(2k)!·s(s + 1)...(s + 2k - 2)·y⁻ˢ⁻²ᵏ⁺¹."""
    steps = np.maximum(np.ceil(s + 10.0 - x), 0.0)
    steps = np.where(np.isfinite(steps), steps, 0.0)
    y = x + steps
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        inverse = 1.0 / y
        rising = float(s)  # s(s + 1)...(s + 2k - 2), times B₂ₖ/(2k)!
        terms = []
        for k, b in enumerate(_BERNOULLI[:10], start=1):
            terms.append(float(b / math.factorial(2 * k)) * rising)
            rising *= (s + 2 * k - 1) * (s + 2 * k)
        tail = inverse * _polynomial(inverse * inverse, tuple(terms))
        total = y ** (1.0 - s) * (1.0 / (s - 1) + inverse * (0.5 + tail))  # y¹⁻ˢ first: no early underflow
        for j in range(int(steps.max(initial=0.0)) - 1, -1, -1):  # smallest terms first
            total = np.where(j < steps, total + (x + j) ** -float(s), total)
    return total


def _cot_derivative(x: np.ndarray, n: int) -> np.ndarray:
    """dⁿ/dxⁿ π cot πx, from the Taylor coefficients of cot(π(x + t)) (cot' = -(1 + cot²))."""
    u = np.zeros((n + 1,) + x.shape)
    u[0], u[1] = np.pi * x, np.pi
    coefficients = series.solve_ode(u, _cotpi(x), lambda y, m: -(series.one(m) + series.square(y, m)))
    return np.pi * math.factorial(n) * coefficients[n]


def _polygamma(x: Any, n: int) -> np.ndarray:
    """ψ⁽ⁿ⁾(x) in float64; ±inf at 0, -1, -2, ... (sign (-1)ⁿ⁺¹, as x → 0⁺), 0 at +inf."""
    if n == 0:
        return _digamma(x)
    x = _as_float64(x)
    sign = (-1.0) ** (n + 1)
    out = np.full(x.shape, np.nan)
    with np.errstate(over="ignore"):
        factorial = float(math.factorial(n)) if n <= 170 else np.inf
    _by_region(x, out, x > 0, lambda x: sign * factorial * _hurwitz_zeta(n + 1, x))
    negative = (x < 0) & np.isfinite(x) & (x != np.round(x))
    # ψ⁽ⁿ⁾(x) = (-1)ⁿ ψ⁽ⁿ⁾(1 - x) - dⁿ/dxⁿ π cot πx  (the reflection ψ(1 - x) - ψ(x) = π cot πx, differentiated)
    _by_region(x, out, negative, lambda x: (-1.0) ** n * _polygamma(1.0 - x, n) - _cot_derivative(x, n))
    out[(x <= 0) & (x == np.round(x))] = sign * np.inf
    out[x == np.inf] = sign * 0.0
    return out


_ROOT_SERIES = tuple(float(_polygamma(np.array(_ROOT), k)) / math.factorial(k) for k in range(1, 21))


def _digamma_near_root(d: np.ndarray) -> np.ndarray:
    """ψ(x₀ + d), |d| < 0.2, by its Taylor series about the zero x₀ (radius x₀: the pole at 0)."""
    return d * _polynomial(d, _ROOT_SERIES)


# ----------------------------------------------------------------------------- P(a, x) and Q(a, x)
def _gamma_small(a: np.ndarray) -> np.ndarray:
    """Γ(a) for 0 < a < 171 (past that it overflows): e^lnΓ(u) for u ∈ [1.5, 2.5) (|lnΓ u| < 0.3),
    times or divided by the factors of the recurrence Γ(a + 1) = aΓ(a), each rounding ½ ulp."""
    m = np.floor(a - 1.5)  # a = u + m, m ∈ {-2, ..., 7}
    value = np.exp(_log_gamma_near_2(a - m - 2.0))
    for j in range(1, int(m.max(initial=0.0)) + 1):
        value = np.where(j <= m, value * (a - j), value)
    value = np.where(m < 0, value / a, value)
    return np.where(m < -1, value / (1.0 + a), value)


# ----------------------------------------------------------------------------- the ops
def _taylor_coefficients(u: series.Jet, derivatives: Any) -> series.Jet:
    """The jet of φ(u) from φ's derivatives at u₀ (``derivatives(k)`` = φ⁽ᵏ⁾(u₀)): Σₖ φ⁽ᵏ⁾(u₀)/k!·(u - u₀)ᵏ."""
    shift = u.copy()
    shift[0] = 0.0
    order = len(u) - 1
    result = series.constant(derivatives(order) / math.factorial(order), len(u))
    for k in range(order - 1, -1, -1):  # Horner's rule on jets: (...(cₙ·h + cₙ₋₁)·h + ...) + c₀
        result = series.cauchy(result, shift)
        result[0] = result[0] + derivatives(k) / math.factorial(k)
    return result


def _gammaln_forward(x: Any) -> Any:
    return _result(_log_gamma(x), x)


def _digamma_forward(x: Any) -> Any:
    return _result(_digamma(x), x)


def _polygamma_forward(x: Any, n: int) -> Any:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: the order n must be a whole number >= 0, got {n!r}")
    return _result(_polygamma(x, int(n)), x)


gammaln = primitive(
    "gammaln", _gammaln_forward,
    lambda g, out, x: g * digamma(x),  # d/dx log|Γ(x)| = ψ(x)
    formula="gammaln(x)", partials=("digamma(x)",),
    jet=lambda node, u: _taylor_coefficients(
        u, lambda k: node.data if k == 0 else _polygamma(u[0], k - 1)),
    method=True, formula_names=("gammaln", "lgamma"),
    doc="""log|Γ(x)|, elementwise, within 2 ulp for x > 0 (float64, no scipy).

Relative accuracy holds at its zeros x = 1 and x = 2 too; below 0 it is log|Γ(x)| by the
reflection formula (+inf at 0, -1, -2, ..., and -inf at -inf, where |Γ| → 0 off the poles).
The derivative is ``digamma``.

>>> gammaln([0.5, 1.0, 3.0, 10.0])
array([ 0.57236494,  0.        ,  0.69314718, 12.80182748])
""",
)
digamma = primitive(
    "digamma", _digamma_forward,
    lambda g, out, x: g * polygamma(1, x),  # ψ'(x) = ψ⁽¹⁾(x), the trigamma function
    formula="digamma(x)", partials=("polygamma(1, x)",),
    jet=lambda node, u: _taylor_coefficients(u, lambda k: node.data if k == 0 else _polygamma(u[0], k)),
    method=True, formula_names=("digamma", "psi"),
    doc="""The digamma function ψ(x) = d/dx log Γ(x), elementwise, within a few ulp for x > 0.

Relative accuracy holds at its positive zero x₀ = 1.46163...; ψ(+0) = -inf, ψ(-0) = +inf (the
one-sided limits), nan at -1, -2, ... and at -inf. Its derivative is ``polygamma(1, x)``.

>>> digamma([1.0, 2.0, 0.5])
array([-0.57721566,  0.42278434, -1.96351003])
""",
)
_polygamma_op = primitive(
    "polygamma", _polygamma_forward,
    lambda g, out, x, n: g * _polygamma_op(x, n=n + 1),  # d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾
    formula="polygamma(n, x)", vjp_rules=("g * polygamma(n + 1, x)",), tangent="polygamma(n + 1, x) * dx",
    jet=lambda node, u, n: _taylor_coefficients(u, lambda k: node.data if k == 0 else _polygamma(u[0], n + k)),
    public=False,
)


@public_op(_polygamma_op)
def polygamma(n: int, x: Any) -> Any:
    """The polygamma function ψ⁽ⁿ⁾(x) = dⁿ⁺¹/dxⁿ⁺¹ log Γ(x), elementwise, for a whole order n ≥ 0.

    n = 0 is ``digamma``, n = 1 the trigamma function. For x > 0 it is (-1)ⁿ⁺¹ n! ζ(n + 1, x), within
    a few ulp; below 0 the reflection formula; ±inf at 0, -1, -2, ... (the sign of x → 0⁺). n is a
    static parameter; x is differentiable, d/dx ψ⁽ⁿ⁾ = ψ⁽ⁿ⁺¹⁾.

    >>> polygamma(1, [1.0, 2.0])
    array([1.64493407, 0.64493407])
    """
    return _polygamma_op(x, n=n)

