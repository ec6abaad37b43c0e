"""``omm-cx recipes``: the recipes shipped with omm_cx."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = "List the recipes shipped with omm_cx (systems/*.yaml); build one with 'omm-cx build NAME -o DIR'."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx recipes``."""
    p.add_argument("--json", action="store_true", help="print the names as a JSON list")


def run(args: argparse.Namespace) -> int:
    """Print the recipe names, one a line."""
    from omm_cx.systems.recipes import available_recipes

    names = available_recipes()
    print(json.dumps(names, indent=2) if args.json else "\n".join(names))
    return 0
