"""``python -m autodiff.cli``: the same as the ``autodiff`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
