import sys

from autoagent.cli import main

sys.exit(main())
