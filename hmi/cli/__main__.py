"""`python -m hmi.cli` is `ms5`."""

import sys

from hmi.cli.main import main

sys.exit(main())
