"""``python -m orgops.cli``."""

import sys

from orgops.cli.app import main

sys.exit(main())
