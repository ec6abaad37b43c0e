"""``omm-cx energy``: single-point energy (eV) and forces of a PDB structure."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = ("Single-point energy of a structure. Species come from the PDB atom names, the "
               "box from CRYST1 (no CRYST1: non-periodic, all pairs).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx energy``."""
    p.add_argument("structure", help="PDB file (atom names = species)")
    p.add_argument("--forcefield", "-f", required=True,
                   help="parameter files joined by '+', e.g. pbcdse+psl-nonpreferential")
    p.add_argument("--json", action="store_true", help="print JSON (eV and kJ/mol)")
    p.add_argument("--forces", metavar="F.npy", help="write forces, (N, 3) in eV/Å, file order")
    p.add_argument("--platform", default="Reference",
                   help="OpenMM platform (default Reference: double precision)")
    p.add_argument("--ewald-tolerance", type=float, default=1e-6,
                   help="PME relative error tolerance (default 1e-6, tight: single points are cheap)")
    p.add_argument("--dispersion-correction", action="store_true",
                   help="add the long-range correction of the short-range terms beyond the cutoff")
    p.add_argument("--no-guard", action="store_true",
                   help="leave out the Buckingham-catastrophe wall (changes nothing at r > r_wall)")


def run(args: argparse.Namespace) -> int:
    """Compute the single point and print it (table or ``--json``)."""
    from omm_cx.energy.single_point import single_point
    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import CoulombSettings
    from omm_cx.io.pdb import read_pdb

    ff = load_forcefield(args.forcefield)
    structure = read_pdb(args.structure, ff.species)
    sp = single_point(
        ff, structure, platform=args.platform,
        coulomb=CoulombSettings(ewald_error_tolerance=args.ewald_tolerance),
        dispersion_correction=args.dispersion_correction, guard=not args.no_guard,
    )
    if args.forces:
        from omm_cx.io.atomic import atomic_save_npy

        atomic_save_npy(args.forces, sp.forces_eV_per_A)
    result = {"structure": str(args.structure), "forcefield": ff.name, **sp.as_dict(),
              "dispersion_correction": args.dispersion_correction}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    tol = sp.ewald_error_tolerance
    print(f"{ff.name}: {sp.n_atoms} atoms, platform {sp.platform}, "
          + (f"PME with Ewald error tolerance {tol:g}" if tol else "no periodic box: all Coulomb pairs"))
    for key in ("total", "coulomb", "short_range"):
        print(f"  {key:12s} {result[key + '_eV']:18.6f} eV  {result[key + '_kJmol']:20.4f} kJ/mol")
    if args.forces:
        print(f"forces (eV/Å, file order) written to {args.forces}")
    return 0
