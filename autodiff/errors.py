"""The exceptions users can catch. Each names what was wrong and what was expected."""

from __future__ import annotations


class AutodiffError(Exception):
    """Base class of every error this library raises on purpose."""


class ShapeError(AutodiffError, ValueError):
    """Operands whose shapes do not fit the operation (the message names the op and the shapes)."""


class GraphFreedError(AutodiffError, RuntimeError):
    """Backward through a graph whose saved values were released by an earlier backward."""


class InPlaceError(AutodiffError, RuntimeError):
    """A tensor saved for backward was changed in place before backward ran."""


class AnomalyError(AutodiffError, FloatingPointError):
    """Under ``detect_anomaly()``: an op produced NaN or inf in its forward or backward."""


class DtypeError(AutodiffError, TypeError):
    """A dtype that cannot do what was asked (for example an integer tensor requiring grad)."""


class ConcretizationError(AutodiffError, TypeError):
    """A Tensor being differentiated (or traced by ``jit``) was turned into a Python number or a plain
    array (``float(t)``, ``math.sin(t)``, ``np.asarray(t)``), which would silently cut its derivative."""

    @staticmethod
    def lost(how: str) -> str:
        return (f"{how} of a Tensor that is being differentiated (inside ad.grad, ad.jacobian or another "
                "transform) would lose its derivative: math.sin(x) and float(x) see only a number. Use the "
                "library's functions on the Tensor (ad.sin(x) or np.sin(x)), or x.detach() for a value that "
                "is meant to be constant")


class TracingError(ConcretizationError):
    """Under ``ad.jit``: the function needs a traced value's number (``if x > 0:``, ``float(x)``), changes a
    traced tensor in place, or closes over a tensor that requires grad. The message says what to use."""

    IN_PLACE = ("an in-place change of a traced tensor inside ad.jit cannot be recorded; use an out-of-place "
                "op (x = x + 1, ad.where(...))")

    @staticmethod
    def concrete(how: str) -> str:
        return (f"{how} of a traced value inside ad.jit: the program is recorded once and replayed on new "
                "arguments, so it cannot depend on this value. Use the library's ops on the Tensor (ad.where "
                "instead of `if`), or mark the argument static (ad.jit(f, static_argnums=...))")
