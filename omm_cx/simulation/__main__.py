"""``python -m omm_cx.simulation CONFIG -o DIR [--steps N] [--platform NAME] [--resume]``:
``omm-cx run`` under another name (same options, messages and exit codes)."""

from __future__ import annotations

import sys
from typing import Sequence

from omm_cx.cli.main import call, command_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` as ``omm-cx run`` does and run it; returns the exit code."""
    return call(command_parser("run", prog="python -m omm_cx.simulation").parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
