"""The frozen build's entry point: `hmi.cli.main` imported as a module (not run as a script), so
every path the CLI derives from its own `__file__` (the assets folder) points into the bundle."""

import sys

from hmi.cli.main import main

sys.exit(main())
