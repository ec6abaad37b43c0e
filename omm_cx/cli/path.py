"""``omm-cx path``: energy along a straight path of moving atoms (003's landscapes).
Imports only argparse at import time."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = (
    "Move atoms in a straight line (--move, or --swap two atoms as in 003's kick-off path) "
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
    p.add_argument("--swap", type=_pair, metavar="I,J", help="atoms I and J exchange places")
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

    if bool(args.move) == bool(args.swap):
        raise OmmCxError("give either --move I:X,Y,Z (one or more) or --swap I,J")
    ff, structure, info = load_path_inputs(args.structure, args.forcefield)
    moves = swap_moves(structure, *args.swap) if args.swap else {i: np.array(xyz) for i, xyz in args.move}
    prof = straight_path(ff, structure, moves, n_points=args.points, relax=args.relax,
                         samples=args.samples, jitter_A=args.jitter_A, seed=args.seed,
                         platform=args.platform, allow_net_charge=allows_net_charge(info))
    s = write_path(args.output, prof, moves, source=args.structure, forcefield=ff.name)
    if args.json:
        print(json_text(s, indent=2), end="")
    else:
        print(f"{ff.name}: atoms {s['moving_atoms']} over {s['path_length_A']:.2f} Å, "
              f"{prof.energy_eV.shape[0]} sample(s), relax {args.relax}: barrier "
              f"{s['barrier_eV']:.3f} ± {s['barrier_sd_eV']:.3f} eV, end - start "
              f"{s['reaction_eV']:.3f} ± {s['reaction_sd_eV']:.3f} eV")
    print(f"wrote path.csv, path.json, path.png to {args.output}", file=sys.stderr)
    return 0
