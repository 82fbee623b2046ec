"""`python -m conformance` is the same as `oss-conformance`."""

import sys

from .cli import main

sys.exit(main())
