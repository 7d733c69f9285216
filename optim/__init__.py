"""optim: optimizers over parameters, functional solvers, root finding, Lagrange multipliers, fitting.

* Over parameters (PyTorch's interface): ``Optimizer`` and ``SGD Adam AdamW RMSprop Adagrad``
  (sgd.py, adam.py ...), ``LBFGS``; ``Newton GaussNewton LevenbergMarquardt`` (newton.py), which
  differentiate the closure's loss or residuals themselves; ``lr_scheduler``.
* On arrays: ``minimize`` (unconstrained.py), ``line_search`` (linesearch.py), ``newton_raphson``
  (roots.py), ``lagrange`` (constrained.py), ``chi_squared linear_regression curve_fit``
  (regression.py, on the least-squares solvers of least_squares.py). Each returns a
  ``SolverResult`` (results.py): ``x fun nit success message path`` and what the problem adds.
* Fitting with the whole answer: ``chi2_fit`` (fit.py) and ``linear_regression`` return a
  ``FitResult`` (fit_result.py: errors, covariance and correlations, χ²/dof and p-value, pulls,
  confidence intervals and bands, an honest ``success``, and a printed report); ``FitWarning``
  says when the data do not determine the parameters (_covariance.py).
* One of each algorithm, shared by both sides: the search directions (directions.py: damped
  Newton, the L-BFGS two-loop, Gauss-Newton, Levenberg-Marquardt), the line searches
  (linesearch.py: Armijo, strong Wolfe), the Levenberg-Marquardt damping loop (least_squares.py).
  The optimizers over parameters are adapters over them, via the flat view of _flat.py.

Every derivative comes from automatic differentiation (_derivatives.py, over autodiff's Jacobian
machinery), never finite differences.
The modules are not named after the functions they define, so ``import optim.minimize`` can never
replace the function ``optim.minimize`` with a module.

>>> import autodiff as ad, optim
>>> w = ad.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.4)
>>> for _ in range(20):
...     opt.zero_grad()
...     loss = ((w - 1.0) ** 2).sum()
...     loss.backward()
...     opt.step()
>>> round(w.item(), 6)
1.0
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .constrained import lagrange
from .fit import chi2_fit
from .fit_result import FitResult, FitWarning
from .lbfgs import LBFGS
from .linesearch import LineSearchResult, line_search
from .newton import GaussNewton, LevenbergMarquardt, Newton
from .optimizer import Optimizer
from .regression import LinearFit, chi_squared, curve_fit, linear_regression
from .results import LagrangeResult, LeastSquaresResult, OptimizeResult, RootResult, SolverResult
from .rmsprop import RMSprop
from .roots import newton_raphson
from .sgd import SGD
from .unconstrained import minimize

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "LBFGS", "Newton", "GaussNewton",
           "LevenbergMarquardt", "lr_scheduler",
           "minimize", "OptimizeResult", "line_search", "LineSearchResult",
           "chi_squared", "linear_regression", "LinearFit", "curve_fit", "chi2_fit", "FitResult", "FitWarning",
           "newton_raphson", "RootResult", "lagrange", "LagrangeResult", "SolverResult", "LeastSquaresResult"]
