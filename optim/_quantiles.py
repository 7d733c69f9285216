"""The few distribution functions a fit report needs, computed here (scipy is only the tests' oracle).

* ``chi2_sf(chi2, dof)``: P(χ²_dof ≥ chi2) = Q(dof/2, chi2/2), the regularised upper incomplete
  gamma function (the engine's op ``ad.gammaincc``).
* ``betainc(a, b, x)``: the regularised incomplete beta function Iₓ(a, b), by its continued
  fraction evaluated with the modified Lentz method (Press et al., Numerical Recipes §6.4, betacf).
* ``student_t_sf(t, dof)`` and ``student_t_quantile(p, dof)``: the Student t tail,
  P(T ≥ t) = ½ I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0, and its inverse by safeguarded Newton steps on
  log P(T ≥ t) (a bracket keeps every step honest; bisection when Newton leaves it).
* ``normal_quantile(p)``: Φ⁻¹(p) from Acklam's rational approximation (relative error ~1e-9),
  refined by Halley steps on Φ(x) = ½ erfc(-x/√2) (the engine's ``ad.erfc``) to full precision.

Accuracy (tests/optim/test_quantiles.py, against scipy.stats): ``normal_quantile`` to 1e-13
relative for p in [1e-300, 1 - 1e-16]; ``student_t_quantile`` to 1e-10 relative for ν in
[1, 10⁶] and tail probabilities min(p, 1 - p) in [1e-12, ½] (ν = inf is the normal quantile);
``chi2_sf`` to 1e-10 relative for ν in [1, 10⁴] where it is above 1e-300.
"""

from __future__ import annotations

import math

import numpy as np

import autodiff as ad

_TINY = 1e-300  # Lentz's guard against a zero denominator
_EPS = 1e-16


def _gammaln(a: float) -> float:
    return float(ad.gammaln(np.float64(a)))


def chi2_sf(chi2: float, dof: float) -> float:
    """P(χ² ≥ chi2) for a χ² distribution with ``dof`` degrees of freedom: Q(dof/2, chi2/2).

    The p-value of a fit: the probability that data with the stated errors give a χ² at least
    this large if the model is right. nan for dof ≤ 0 or a chi2 that is not a number.

    >>> round(chi2_sf(3.84145882, 1), 6)     # the 95% point of χ²₁
    0.05
    """
    if not dof > 0 or math.isnan(chi2):
        return math.nan
    if chi2 <= 0:
        return 1.0
    return float(ad.gammaincc(np.float64(dof / 2), np.float64(chi2 / 2)))


def _betacf(a: float, b: float, x: float) -> float:
    """The continued fraction of Iₓ(a, b) (converges fast for x < (a + 1)/(a + b + 2)); Lentz's method."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),            # the even step d_{2m}
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):  # the odd step d_{2m+1}
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > _TINY else _TINY
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"betainc: the continued fraction did not converge for a={a}, b={b}, x={x}")


# Stirling's series of log Γ(z): Σₖ B₂ₖ/(2k(2k - 1) z²ᵏ⁻¹), the coefficients B₂ₖ/(2k(2k - 1))
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)


def _log_gamma_ratio_half(a: float) -> float:
    """log Γ(a + ½) - log Γ(a), without the cancellation of two large log Γ values when a is large.

    For a ≥ 10 from Stirling's series: a·log1p(1/(2a)) - ½ + ½ log a + Σ cₖ((a + ½)¹⁻²ᵏ - a¹⁻²ᵏ)
    (eight terms: below 1e-17 for a ≥ 10); below that the two log Γ are small and exact enough.
    """
    if a < 10:
        return _gammaln(a + 0.5) - _gammaln(a)
    series = sum(c * ((a + 0.5) ** (1 - 2 * k) - a ** (1 - 2 * k)) for k, c in enumerate(_STIRLING, start=1))
    return a * math.log1p(0.5 / a) - 0.5 + 0.5 * math.log(a) + series


def _log_beta(a: float, b: float) -> float:
    """log B(a, b) = log Γ(a) + log Γ(b) - log Γ(a + b); the t distribution's B(ν/2, ½) without cancellation."""
    if b == 0.5 or a == 0.5:
        return _gammaln(0.5) - _log_gamma_ratio_half(a if b == 0.5 else b)
    return _gammaln(a) + _gammaln(b) - _gammaln(a + b)


def _betainc(a: float, b: float, x: float, y: float, log_x: float, log_y: float) -> float:
    """Iₓ(a, b) given x, y = 1 - x and their logarithms, each as accurate as the caller has them."""
    if x == 0.0 or y == 0.0:
        return 0.0 if x == 0.0 else 1.0
    front = math.exp(a * log_x + b * log_y - _log_beta(a, b))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, y) / b


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function Iₓ(a, b) = B(x; a, b)/B(a, b), for a, b > 0, 0 ≤ x ≤ 1.

    Iₓ(a, b) = xᵃ(1 - x)ᵇ/(a B(a, b)) · 1/(1 + d₁/(1 + d₂/(1 + ...))), the continued fraction where
    it converges fast (x < (a + 1)/(a + b + 2)), else 1 - I₁₋ₓ(b, a).

    >>> round(betainc(2.0, 3.0, 0.4), 12)    # 1 - (1-x)⁴ - 4x(1-x)³ = 0.5248
    0.5248
    """
    if not (a > 0 and b > 0 and 0.0 <= x <= 1.0):
        raise ValueError(f"betainc needs a > 0, b > 0 and 0 <= x <= 1, got a={a}, b={b}, x={x}")
    y = 1.0 - x
    return _betainc(a, b, x, y, math.log(x) if x else -math.inf, math.log(y) if y else -math.inf)


def _t_log_density_constant(dof: float) -> float:
    """log of Γ((ν+1)/2)/(√(νπ) Γ(ν/2)), the Student t density's constant."""
    return _log_gamma_ratio_half(dof / 2) - 0.5 * math.log(dof * math.pi)


def student_t_sf(t: float, dof: float) -> float:
    """P(T ≥ t) for Student's t with ``dof`` degrees of freedom (the upper tail; 1 - CDF).

    For t ≥ 0 it is ½ I_{ν/(ν+t²)}(ν/2, ½), with 1 - ν/(ν+t²) = t²/(ν+t²) and the logarithms
    log(ν/(ν+t²)) = -log1p(t²/ν) passed exactly; negative t by symmetry. ``dof = inf`` is the
    normal tail ½ erfc(t/√2).

    >>> round(student_t_sf(2.0, 1), 12)      # the Cauchy tail ½ - arctan(2)/π
    0.14758361765
    """
    if math.isinf(dof):
        return 0.5 * float(ad.erfc(np.float64(t / math.sqrt(2.0))))
    if t < 0:
        return 1.0 - student_t_sf(-t, dof)
    t2 = t * t
    if t2 == 0.0:
        return 0.5
    log_x = -math.log1p(t2 / dof)
    return 0.5 * _betainc(dof / 2, 0.5, dof / (dof + t2), t2 / (dof + t2), log_x, math.log(t2 / (dof + t2)))


def student_t_quantile(p: float, dof: float) -> float:
    """t with P(T ≤ t) = p for Student's t with ``dof`` degrees of freedom (the inverse CDF).

    Solves log P(T ≥ t) = log q for q = min(p, 1 - p) by Newton steps (the derivative of the log
    tail is -density/tail), starting from the normal quantile's Cornish-Fisher expansion and kept
    inside a bracket that bisection shrinks when a Newton step leaves it. ``dof = inf`` gives the
    normal quantile. Accurate to 1e-10 relative for dof in [1, 10⁶] and q in [1e-12, ½].

    >>> round(student_t_quantile(0.975, 10), 12)    # the 95% two-sided point of t₁₀
    2.228138851986
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"a quantile needs 0 < p < 1, got {p}")
    if not dof > 0:
        raise ValueError(f"the t distribution needs dof > 0, got {dof}")
    if math.isinf(dof):
        return normal_quantile(p)
    if p == 0.5:
        return 0.0
    q = min(p, 1.0 - p)
    sign = 1.0 if p > 0.5 else -1.0
    if dof == 1:  # Cauchy: exact
        return sign * 1.0 / math.tan(math.pi * q)
    if dof == 2:
        return sign * (1.0 - 2.0 * q) / math.sqrt(2.0 * q * (1.0 - q))
    z = -normal_quantile(q)
    t = z + (z ** 3 + z) / (4 * dof) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * dof ** 2)
    constant, log_q = _t_log_density_constant(dof), math.log(q)
    lo, hi = 0.0, math.inf
    for _ in range(200):
        tail = student_t_sf(t, dof)
        if tail > q:
            lo = t
        else:
            hi = t
        g = math.log(tail) - log_q  # decreasing in t
        density = math.exp(constant - (dof + 1) / 2 * math.log1p(t * t / dof))
        step = g * tail / density  # Newton on the log tail: t_new = t - g/g', g' = -density/tail
        new = t + step
        if not lo < new < hi:  # left the bracket: bisect (or double while there is no upper end yet)
            new = 2.0 * lo + 1.0 if math.isinf(hi) else 0.5 * (lo + hi)
        if abs(new - t) <= 1e-15 * abs(new):
            return sign * new
        t = new
    return sign * t


# Acklam's rational approximation of Φ⁻¹ (relative error below 1.15e-9), refined below.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
      -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
      -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
      4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
_P_LOW = 0.02425


def _polynomial(coefficients: tuple[float, ...], x: float) -> float:
    value = 0.0
    for c in coefficients:
        value = value * x + c
    return value


def _acklam(p: float) -> float:
    """Acklam's approximation of Φ⁻¹(p) for 0 < p ≤ ½."""
    if p < _P_LOW:
        s = math.sqrt(-2.0 * math.log(p))
        return _polynomial(_C, s) / (_polynomial(_D, s) * s + 1.0)
    s = p - 0.5
    r = s * s
    return _polynomial(_A, r) * s / (_polynomial(_B, r) * r + 1.0)


def normal_quantile(p: float) -> float:
    """x with Φ(x) = p for the standard normal distribution (the probit, the inverse CDF).

    Acklam's rational approximation, then Halley steps on Φ(x) - p with Φ(x) = ½ erfc(-x/√2),
    computed in the lower tail (p > ½ by symmetry, x(p) = -x(1 - p)), so tiny p keep their
    relative accuracy. Accurate to 1e-13 relative for p in [1e-300, 1 - 1e-16].

    >>> round(normal_quantile(0.975), 12)
    1.95996398454
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"a quantile needs 0 < p < 1, got {p}")
    if p > 0.5:
        return -normal_quantile(1.0 - p)
    if p == 0.5:
        return 0.0
    x = _acklam(p)
    for _ in range(4):
        cdf = 0.5 * float(ad.erfc(np.float64(-x / math.sqrt(2.0))))
        u = (cdf - p) * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)  # (Φ(x) - p)/φ(x)
        step = u / (1.0 + 0.5 * x * u)  # Halley: Φ'' = -xφ
        x -= step
        if abs(step) <= 1e-15 * abs(x):
            break
    return x
