"""``omm-cx path``: energy along a straight path of moving atoms (003's landscapes).
Imports only argparse at import time."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = (
    "Move atoms in a straight line (--move, --swap two atoms as in 003's kick-off path, or "
    "--auto entry|kickoff: 003's paths with the sites found in a build directory) "
    "and compute the energy at evenly spaced points, optionally relaxing the other atoms "
    "(--relax others) and jittering the start over several samples (003: 30 samples, 1 Å). "
    "Atom indices are 0-based in file order; positions in Å. Writes path.csv, path.json and "
    "path.png to OUT.")


def _move(text: str) -> tuple[int, tuple[float, float, float]]:
    try:
        idx, xyz = text.split(":")
        x, y, z = (float(v) for v in xyz.split(","))
        return int(idx), (x, y, z)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected INDEX:X,Y,Z (0-based atom, Å)") from None


def _pair(text: str) -> tuple[int, int]:
    try:
        i, j = (int(v) for v in text.split(","))
        return i, j
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected I,J (0-based atom indices)") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx path``."""
    p.add_argument("structure", help="PDB file or build directory (structure.pdb + build.json)")
    p.add_argument("-f", "--forcefield", help="parameter file(s), e.g. cdse-cu-lj (default: "
                   "the build directory's)")
    p.add_argument("--move", type=_move, action="append", default=[], metavar="I:X,Y,Z",
                   help="atom I goes to (X, Y, Z) Å; repeat for several atoms")
    p.add_argument("--swap", type=_pair, metavar="I,J", help="atoms I and J exchange places "
                   "(only I's start is jittered: 003 jitters the Cu)")
    p.add_argument("--auto", choices=("entry", "kickoff"),
                   help="003's paths from a build directory: entry = the ion from the surface "
                   "adsorption site into the interstitial site below it (step b); kickoff = "
                   "the ion at that site swaps with the nearest Cd (step d)")
    p.add_argument("--atom", type=int, help="the moving ion for --auto (default: the first "
                   "solution cation of --ion)")
    p.add_argument("--ion", default="Cu", help="species of the moving ion for --auto (default Cu)")
    p.add_argument("--points", type=int, default=21, help="points along the path (default 21)")
    p.add_argument("--relax", choices=("none", "others"), default="none",
                   help="relax the other atoms at each point (default none)")
    p.add_argument("--samples", type=int, default=1, help="jittered starts (default 1)")
    p.add_argument("--jitter-A", type=float, default=0.0, help="start jitter per axis, Å (default 0)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--platform", help="OpenMM platform (default: the fastest here)")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--json", action="store_true", help="print the summary (path.json) as JSON")


def run(args: argparse.Namespace) -> int:
    """Compute the path, write its files and print the barrier."""
    import numpy as np

    from omm_cx.energy.path import (allows_net_charge, load_path_inputs, straight_path,
                                    swap_moves, write_path)
    from omm_cx.errors import OmmCxError
    from omm_cx.io.tables import json_text

    if sum(map(bool, (args.move, args.swap, args.auto))) != 1:
        raise OmmCxError("give one of --move I:X,Y,Z (one or more), --swap I,J or --auto entry|kickoff")
    from omm_cx.simulation.rundir import RunFolder

    run = RunFolder(args.structure)
    source, build = run.final_structure() if run.is_run() else (args.structure, None)
    ff, structure, info = load_path_inputs(source, args.forcefield, build)
    sites, jitter_atoms = None, None
    if args.auto:
        from omm_cx.energy.sites import auto_path, default_ion

        atom = args.atom if args.atom is not None else default_ion(structure, info, args.ion)
        path = auto_path(args.auto, structure, info, atom)
        structure, moves, jitter_atoms, sites = path.structure, path.moves, path.jitter_atoms, path.description
    elif args.swap:
        moves, jitter_atoms = swap_moves(structure, *args.swap), [args.swap[0]]
    else:
        moves = {i: np.array(xyz) for i, xyz in args.move}
    prof = straight_path(ff, structure, moves, n_points=args.points, relax=args.relax,
                         samples=args.samples, jitter_A=args.jitter_A, seed=args.seed,
                         platform=args.platform, allow_net_charge=allows_net_charge(info),
                         jitter_atoms=jitter_atoms)
    s = write_path(args.output, prof, moves, source=args.structure, forcefield=ff.name, sites=sites)
    if args.json:
        print(json_text(s, indent=2), end="")
    else:
        print(f"{ff.name}: atoms {s['moving_atoms']} over {s['path_length_A']:.2f} Å, "
              f"{prof.energy_eV.shape[0]} sample(s), relax {args.relax}: barrier "
              f"{s['barrier_eV']:.3f} ± {s['barrier_sd_eV']:.3f} eV (max - start), "
              f"{s['barrier_003_eV']:.3f} ± {s['barrier_003_sd_eV']:.3f} eV (003's reading), end - start "
              f"{s['reaction_eV']:.3f} ± {s['reaction_sd_eV']:.3f} eV")
    print(f"wrote path.csv, path.json, path.png to {args.output}", file=sys.stderr)
    return 0
