"""``omm-cx build``: the starting configuration of a recipe, as a build directory."""

from __future__ import annotations

import argparse

DESCRIPTION = ("Build the starting configuration a recipe describes and write "
               "DIR/structure.pdb, DIR/system.xml and DIR/build.json.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx build``."""
    p.add_argument("recipe", help="recipe name (see 'omm-cx recipes') or path to a YAML file")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    p.add_argument("--seed", type=int, help="override the recipe's seed")
    p.add_argument("--overwrite", action="store_true", help="replace files in a non-empty DIR")
    p.add_argument("--json", action="store_true", help="print the build record (build.json) as JSON")


def run(args: argparse.Namespace) -> int:
    """Build the recipe into ``args.output`` and print a summary."""
    from pathlib import Path

    from omm_cx.errors import OmmCxError
    from omm_cx.systems.recipes import build_recipe

    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.overwrite:
        what = "is not empty" if out.is_dir() else "is a file"
        raise OmmCxError(f"{out} exists and {what}; pass --overwrite to replace its files "
                         f"or choose another -o DIR")
    built = build_recipe(args.recipe, seed=args.seed)
    built.write(out)
    i = built.info
    if args.json:
        from omm_cx.io.tables import json_text

        print(json_text(i, indent=2), end="")
        return 0
    dmin = i.get("min_distance_A")  # None for a one-atom build
    dmin_text = "-" if dmin is None else f"{dmin:.2f} Å"
    print(f"{i['name']}: {i['n_atoms']} atoms ({i['formula']}), NC {i['nc_formula'] or '-'}, "
          f"net charge {i['net_charge_e']:+g} e, min distance {dmin_text}")
    from omm_cx.systems.builddir import BuildFolder

    folder = BuildFolder(out)
    print(f"wrote {folder.structure_pdb}, {folder.system_xml}, {folder.record_json}")
    return 0
