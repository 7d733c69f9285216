"""Every op, grouped by family; each file holds forwards, VJPs and rules side by side.

The public names (``autodiff.ops.<name>``, ``ad.<name>``, and ``__all__``) are the op records'
(``record.PUBLIC``): defining an op in its family's file is all it takes to export it.
"""

from . import (  # noqa: F401 (they record the ops)
    conv,
    elementwise,
    gamma,
    incomplete_gamma,
    index,
    linalg,
    nnops,
    reduce,
    shape,
    special,
)
from .core import apply, data_of, unbroadcast, unwrap_index  # noqa: F401 (the machinery, by name)
from .record import OPS, PUBLIC, Op, primitive, public_op  # noqa: F401

globals().update({name: entry.function for name, entry in PUBLIC.items()})

__all__ = list(PUBLIC)  # the machinery above (Op, primitive, unbroadcast...) is imported by name only
