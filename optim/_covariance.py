"""The parameters' covariance from the Jacobian of the weighted residuals, and what can go wrong with it.

At the minimum of χ² = ‖r_w‖² (r_w = the residuals in units of σ) the curvature is
½∇²χ² ≈ JᵀJ, J = ∂r_w/∂p, so cov = (JᵀJ)⁻¹ (scaled by χ²/dof when σ are only relative). That
inverse means something only when the data determine every parameter. Three things are checked:

* **flat parameters**: the residuals do not change with pⱼ at all, to working precision
  (``least_squares.flat_columns``): pⱼ is not determined; a start where every parameter is flat
  is a fit that never moved;
* **rank deficiency**: the columns of J, each scaled to unit length (so that a change of units,
  seconds to milliseconds, changes nothing), have a singular value below ε·max(m, n) times the
  largest (scipy's cut): the model depends on some combination of parameters not at all;
* **ill-conditioning**: the scale-free condition number of JᵀJ above ``ILL_CONDITIONED`` (1e10): a
  combination is determined only very loosely, and its errors are large and strongly correlated.

Undetermined parameters get an infinite variance and nan covariances (no finite number that means
nothing). The nearly degenerate combination is the right singular vector of the scaled J with the
smallest singular value, written as a direction in the parameters' own units: moving the
parameters in those proportions changes the model least.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .least_squares import flat_columns

ILL_CONDITIONED = 1e10  # the scale-free cond(JᵀJ) above which a fit warns
INVOLVED = 1e-3  # a parameter takes part in a degenerate direction when its scaled component is above this


@dataclass
class Covariance:
    """The unscaled covariance (JᵀJ)⁻¹ with undetermined entries inf/nan, and what was found on the way."""

    cov: np.ndarray
    cond: float
    cond_scaled: float
    undetermined: np.ndarray  # bool per parameter
    flat: np.ndarray  # bool per parameter
    notes: list[str]


def _direction(vector: np.ndarray, norms: np.ndarray, names: list[str]) -> str:
    """'δa : δb ≈ 1 : -0.98' for a right singular vector of the column-scaled Jacobian."""
    involved = np.flatnonzero(np.abs(vector) >= INVOLVED * np.max(np.abs(vector)))
    step = vector[involved] / norms[involved]  # back to the parameters' own units
    lead = int(np.argmax(np.abs(vector[involved])))
    step = step / step[lead]
    left = " : ".join(f"δ{names[i]}" for i in involved)
    right = " : ".join("1" if k == lead else f"{s:.4g}" for k, s in enumerate(step))
    return f"{left} ≈ {right}"


def analyse(jac: np.ndarray, params: np.ndarray, names: list[str], data_scale: float) -> Covariance:
    """(JᵀJ)⁻¹ of the weighted Jacobian ``jac`` (m×n) at ``params``, with the checks of the module docstring.

    ``data_scale`` is the size of the weighted data and model (‖(|y| + |f|)/σ‖), against which a
    parameter's effect is called flat.

    >>> import numpy as np
    >>> J = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]])     # the model depends on a + 2b only
    >>> found = analyse(J, np.array([1.0, 1.0]), ["a", "b"], data_scale=3.0)
    >>> found.undetermined, found.notes[0][:60]
    (array([ True,  True]), 'rank-deficient: the data determine only some combinations of')
    """
    m, n = jac.shape
    singular = np.linalg.svd(jac, compute_uv=False) if n else np.zeros(0)
    cond = float((singular[0] / singular[-1]) ** 2) if n and singular[-1] > 0 else math.inf
    flat = flat_columns(jac, params, data_scale)
    notes: list[str] = []
    if flat.any():
        which = ", ".join(names[i] for i in np.flatnonzero(flat))
        notes.append(f"the model does not change with {which} at these parameters (a change of each by "
                     f"max(1, |value|) moves it by less than 1e-8 of the data): not determined by the data, "
                     "error inf")
    live = np.flatnonzero(~flat)
    norms = np.linalg.norm(jac[:, live], axis=0)
    undetermined = flat.copy()
    cov = np.full((n, n), np.nan)
    cond_scaled = math.inf
    if live.size:
        scaled = jac[:, live] / norms
        _, s, vt = np.linalg.svd(scaled, full_matrices=False)
        if s.size < live.size:  # fewer points than live parameters: the missing singular values are 0
            s = np.concatenate([s, np.zeros(live.size - s.size)])
            vt = np.linalg.svd(scaled, full_matrices=True)[2]
        null = s <= np.finfo(float).eps * max(m, n) * s[0]
        cond_scaled = float((s[0] / s[-1]) ** 2) if s[-1] > 0 else math.inf
        kept = ~null
        block = (vt[kept].T / s[kept] ** 2) @ vt[kept] / np.outer(norms, norms)
        cov[np.ix_(live, live)] = block
        names_live = [names[i] for i in live]
        if null.any():
            involved = np.any(np.abs(vt[null]) >= INVOLVED * np.max(np.abs(vt[null]), axis=1, keepdims=True),
                              axis=0)
            undetermined[live[involved]] = True
            combos = "; ".join(_direction(v, norms, names_live) for v in vt[null])
            notes.append(f"rank-deficient: the data determine only some combinations of "
                         f"{', '.join(n for n, i in zip(names_live, involved, strict=True) if i)}; "
                         f"moving them as {combos} leaves the model unchanged, so their errors are inf")
        elif cond_scaled > ILL_CONDITIONED:
            notes.append(f"ill-conditioned: cond(JᵀJ) = {cond_scaled:.2g} > {ILL_CONDITIONED:.0e} with the "
                         f"parameters scaled; the data barely constrain the combination "
                         f"{_direction(vt[-1], norms, names_live)} (the smallest singular vector of the weighted "
                         "Jacobian): those errors are large and strongly correlated; fix or reparametrise one")
    cov[undetermined, :] = np.nan
    cov[:, undetermined] = np.nan
    cov[undetermined, undetermined] = np.inf
    return Covariance(cov, cond, cond_scaled, undetermined, flat, notes)


def correlation(cov: np.ndarray) -> np.ndarray:
    """The correlation matrix cov/(σσᵀ) with σ = √diag(cov); nan where a variance is infinite or zero.

    >>> correlation(np.array([[4.0, -1.0], [-1.0, 1.0]]))
    array([[ 1. , -0.5],
           [-0.5,  1. ]])
    """
    errors = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(errors, errors)
    corr[~np.isfinite(corr)] = np.nan
    np.fill_diagonal(corr, np.where(np.isfinite(errors) & (errors > 0), 1.0, np.nan))
    return corr
