"""``python -m convlens.cli``: the same as the ``convlens`` command."""

import sys

from . import main

sys.exit(main())
