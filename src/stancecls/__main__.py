"""``python -m stancecls``."""

import sys

from .cli import main

sys.exit(main())
