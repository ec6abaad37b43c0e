"""``omm-cx path``: energy along a straight path (003's landscapes). Imports only
argparse at import time."""

from __future__ import annotations

import argparse
import sys


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


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``path`` on an ``argparse`` subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "path", help="energy along a straight path of moving atoms (barriers, kick-off swaps)",
        description="Move atoms in a straight line (--move, or --swap two atoms as in 003's "
        "kick-off path) and compute the energy at evenly spaced points, optionally relaxing "
        "the other atoms (--relax others) and jittering the start over several samples "
        "(003: 30 samples, 1 Å). Atom indices are 0-based in file order; positions in Å. "
        "Writes path.csv, path.json and path.png to OUT.")
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
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import numpy as np

    from omm_cx.energy.path import plot_path, straight_path, swap_moves
    from omm_cx.errors import OmmCxError
    from omm_cx.forcefield import load_forcefield
    from omm_cx.io.pdb import read_pdb

    src = Path(args.structure)
    pdb = src / "structure.pdb" if src.is_dir() else src
    info = {}
    if src.is_dir() and (src / "build.json").is_file():
        info = json.loads((src / "build.json").read_text(encoding="utf-8"))
    ff_name = args.forcefield or info.get("forcefield")
    if ff_name is None:
        raise OmmCxError(f"{src}: no build.json to take the force field from; give -f FORCEFIELD")
    if bool(args.move) == bool(args.swap):
        raise OmmCxError("give either --move I:X,Y,Z (one or more) or --swap I,J")
    ff = load_forcefield(ff_name)
    structure = read_pdb(pdb, ff.species)
    moves = swap_moves(structure, *args.swap) if args.swap else {i: np.array(xyz) for i, xyz in args.move}
    prof = straight_path(ff, structure, moves, n_points=args.points, relax=args.relax,
                         samples=args.samples, jitter_A=args.jitter_A, seed=args.seed,
                         platform=args.platform,
                         allow_net_charge=str(info.get("charge_policy", "")).startswith("background"))
    from omm_cx.analysis.io import save_figure, write_csv, write_json

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "path.csv", prof.table())
    summary = {"structure": str(src), "forcefield": ff.name,
               "moves": {str(i): np.asarray(v).tolist() for i, v in moves.items()}, **prof.summary()}
    write_json(out / "path.json", summary)
    from matplotlib.figure import Figure

    ax = plot_path(prof, ax=Figure(figsize=(5, 3.6)).subplots())
    save_figure(ax.figure, out / "path.png")
    print(f"{ff.name}: atoms {summary['moving_atoms']} over {summary['path_length_A']:.2f} Å, "
          f"{prof.energy_eV.shape[0]} sample(s), relax {args.relax}: barrier "
          f"{summary['barrier_eV']:.3f} ± {summary['barrier_sd_eV']:.3f} eV, end - start "
          f"{summary['reaction_eV']:.3f} ± {summary['reaction_sd_eV']:.3f} eV")
    print(f"wrote path.csv, path.json, path.png to {out}", file=sys.stderr)
    return 0
