"""Accuracy of the gamma family against mpmath (40 digits), as tables of ulp errors, ours beside scipy's.

    python -m tests.autodiff.gamma_accuracy            # the full grids (about a minute)
    python -m tests.autodiff.gamma_accuracy --quick    # smaller grids

The error of a value is |ours - exact| in units of the spacing of float64 numbers at the exact value
(np.spacing), the exact value being mpmath's at the very float64 inputs. test_ops_gamma.py uses the
same helpers on smaller grids, with bounds a little above what the full tables show.
"""

from __future__ import annotations

import argparse

import mpmath
import numpy as np
import scipy.special

import autodiff as ad

mpmath.mp.dps = 40


def ulp_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in ulp of want (want must be nonzero and finite)."""
    return np.abs(np.asarray(got, dtype=float) - want) / np.spacing(np.abs(want))


def _vectorised(function):
    return np.vectorize(lambda *args: float(function(*(mpmath.mpf(float(a)) for a in args))), otypes=[float])


exact_lower = _vectorised(lambda a, x: mpmath.gammainc(a, 0, x, regularized=True))
exact_upper = _vectorised(lambda a, x: mpmath.gammainc(a, x, mpmath.inf, regularized=True))
exact_gammaln = _vectorised(lambda x: mpmath.log(abs(mpmath.gamma(x))))
exact_digamma = _vectorised(mpmath.digamma)


def exact_polygamma(n: int, x: np.ndarray) -> np.ndarray:
    return _vectorised(lambda x: mpmath.polygamma(n, x))(x)


A_BANDS = [(0.1, 1.0), (1.0, 10.0), (10.0, 100.0), (100.0, 1000.0)]


def incomplete_gamma_points(lo: float, hi: float, count: int, rng: np.random.Generator) -> tuple:
    """(a, x) pairs with a log-uniform in [lo, hi]: x log-uniform over [1e-3, 1e3], and a third of
    them near the transition x ≈ a ± 4√a, where the series and the fraction converge slowest."""
    a = np.exp(rng.uniform(np.log(lo), np.log(hi), count))
    x = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), count))
    near = rng.random(count) < 1 / 3
    x[near] = np.clip(a[near] + 4.0 * np.sqrt(a[near]) * rng.uniform(-1.0, 1.0, near.sum()), 1e-3, 1e3)
    return a, x


def incomplete_gamma_errors(a: np.ndarray, x: np.ndarray, upper: bool) -> dict[str, np.ndarray]:
    """ulp errors of ours and scipy's at the points where the exact value is a normal float64."""
    want = (exact_upper if upper else exact_lower)(a, x)
    normal = want >= np.finfo(np.float64).tiny
    ours = (ad.gammaincc if upper else ad.gammainc)(a, x)
    theirs = (scipy.special.gammaincc if upper else scipy.special.gammainc)(a, x)
    return {"ours": ulp_error(ours[normal], want[normal]), "scipy": ulp_error(theirs[normal], want[normal]),
            "a": a[normal], "x": x[normal]}


def _row(label: str, errors: dict[str, np.ndarray]) -> str:
    ours, theirs = errors["ours"], errors["scipy"]
    return (f"| {label} | {ours.size} | {np.median(ours):.1f} | {np.percentile(ours, 99):.0f} | {ours.max():.0f} "
            f"| {np.median(theirs):.1f} | {theirs.max():.0f} |")


HEADER = ("| range | points | ours median | ours p99 | ours max | scipy median | scipy max |\n"
          "|---|---:|---:|---:|---:|---:|---:|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller grids")
    count = 300 if parser.parse_args().quick else 3000
    rng = np.random.default_rng(2024)
    for upper in (False, True):
        print(f"\n{'Q = gammaincc' if upper else 'P = gammainc'}(a, x), x in [1e-3, 1e3], ulp error\n\n{HEADER}")
        for lo, hi in A_BANDS:
            a, x = incomplete_gamma_points(lo, hi, count, rng)
            print(_row(f"a in [{lo:g}, {hi:g}]", incomplete_gamma_errors(a, x, upper)))
    bands = [(1e-300, 1e-5), (1e-5, 0.5), (0.5, 1.5), (1.5, 2.5), (2.5, 8.0), (8.0, 1e3), (1e3, 1e300)]
    cases = [("gammaln", ad.gammaln, scipy.special.gammaln, exact_gammaln),
             ("digamma", ad.digamma, scipy.special.digamma, exact_digamma)]
    cases += [(f"polygamma(n={n})", lambda x, n=n: ad.polygamma(n, x), lambda x, n=n: scipy.special.polygamma(n, x),
               lambda x, n=n: exact_polygamma(n, x)) for n in (1, 2, 3)]
    for name, ours, theirs, exact in cases:
        print(f"\n{name}, ulp error\n\n{HEADER}")
        for lo, hi in bands + [(-10.0, 0.0)]:
            x = (rng.uniform(lo, hi, count // 3) if lo < 0
                 else np.exp(rng.uniform(np.log(lo), np.log(hi), count // 3)))
            want = exact(x)
            keep = (want != 0) & np.isfinite(want)
            label = f"x in [{lo:g}, {hi:g}]" + (" (non-integers)" if lo < 0 else "")
            print(_row(label, {"ours": ulp_error(ours(x)[keep], want[keep]),
                               "scipy": ulp_error(theirs(x)[keep], want[keep])}))


if __name__ == "__main__":
    main()
