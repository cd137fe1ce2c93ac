"""``python -m reelmake.cli``: the ``reelmake`` command."""

import sys

from reelmake.cli import main

sys.exit(main())
