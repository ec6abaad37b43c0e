"""``omm-cx forcefields``: the parameter files shipped with omm_cx."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = ("List the parameter files shipped with omm_cx (forcefields/*.yaml) and their "
               "species; combine them with '+', e.g. pbcdse+psl-nonpreferential.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx forcefields``."""
    p.add_argument("--json", action="store_true", help="print {name: [species]} as JSON")


def run(args: argparse.Namespace) -> int:
    """Load every shipped parameter file and print its species."""
    from omm_cx.forcefield import available_forcefields, load_forcefield

    species = {name: sorted(load_forcefield(name).species) for name in available_forcefields()}
    if args.json:
        print(json.dumps(species, indent=2))
        return 0
    for name, names in species.items():
        print(f"{name:24s} species: {', '.join(names)}")
    return 0
