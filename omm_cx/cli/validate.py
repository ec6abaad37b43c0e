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
    p.add_argument("--defects", action="store_true",
                   help="also the published defect formation energies of the force field "
                   "(003 Table 5 for cdse-cu-lj; relaxed supercells, about a minute)")
    p.add_argument("--surfaces", action="store_true",
                   help="also the published surface energies of the force field (000 Tables "
                   "S8/S9 for pbcdse; relaxed slabs, about a minute)")


def run(args: argparse.Namespace) -> int:
    """Relax the phases and print the comparison table (or ``--json``)."""
    from omm_cx.lattice_statics import format_validation_table, validate_forcefield

    result = validate_forcefield(args.forcefield)
    if args.defects:
        from omm_cx.energy.defects import format_defects, validate_defects
        from omm_cx.forcefield import load_forcefield

        result["defects"] = validate_defects(load_forcefield(args.forcefield))
    if args.surfaces:
        from omm_cx.energy.surfaces import validate_surfaces
        from omm_cx.forcefield import load_forcefield

        result["surfaces"] = validate_surfaces(load_forcefield(args.forcefield))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_validation_table(result))
        if args.defects:
            print(format_defects(result["defects"]))
        if args.surfaces:
            from omm_cx.energy.surfaces import format_surfaces

            print(format_surfaces(result["surfaces"]))
    return 0
