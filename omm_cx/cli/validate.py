"""``omm-cx validate``: lattice statics of a force field's crystal phases vs the papers."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = ("Relax every published crystal phase of the force field's compounds and compare "
               "with the published lattice-statics values.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx validate``."""
    p.add_argument("forcefield", help="e.g. pbcdse")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    """Relax the phases and print the comparison table (or ``--json``)."""
    from omm_cx.lattice_statics import format_validation_table, validate_forcefield

    result = validate_forcefield(args.forcefield)
    print(json.dumps(result, indent=2) if args.json else format_validation_table(result))
    return 0
