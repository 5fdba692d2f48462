"""``python -m memlab``: the ``memlab`` command line."""

import sys

from memlab.verification.cli import main

sys.exit(main())
