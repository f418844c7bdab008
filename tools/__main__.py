"""Entry point: ``python -m tools <command> ...``."""

import sys

from tools.cli import main

sys.exit(main())
