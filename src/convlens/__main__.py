"""``python -m convlens``: the same as the ``convlens`` command."""

import sys

from convlens.cli import main

sys.exit(main())
