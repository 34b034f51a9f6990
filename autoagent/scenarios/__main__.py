"""``python -m autoagent.scenarios test|record ...``: the same commands as ``autoagent test|record``."""

import sys

from autoagent.scenarios.commands import main

sys.exit(main())
