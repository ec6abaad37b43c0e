"""``python -m omm_cx ...`` is ``omm-cx ...``."""
import sys

from omm_cx.cli.main import main

sys.exit(main())
