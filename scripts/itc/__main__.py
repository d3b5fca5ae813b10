"""``python -m scripts.itc …``: the ``itc`` command (also installed as ``.venv/bin/itc``)."""

import sys

from scripts.itc.cli import main

sys.exit(main())
