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
