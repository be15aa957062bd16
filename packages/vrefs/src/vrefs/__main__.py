"""``python -m vrefs TASK [options]``: the same as ``vrefs-train``."""

import sys

from .cli import main

sys.exit(main())
