"""``python -m omm_cx.simulation CONFIG -o DIR [--steps N] [--platform NAME] [--resume]``."""

from __future__ import annotations

import argparse
import sys

from omm_cx.cli.run import DESCRIPTION, EPILOG, configure_parser


def main(argv=None) -> int:
    parser = configure_parser(argparse.ArgumentParser(
        prog="python -m omm_cx.simulation", description=DESCRIPTION, epilog=EPILOG))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
