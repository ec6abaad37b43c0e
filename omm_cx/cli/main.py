"""Command-line interface ``omm-cx``. Subcommands import their heavy modules lazily, so
``omm-cx --help`` does not import OpenMM."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from omm_cx import __version__
from omm_cx.errors import OmmCxError


def _cmd_energy(args: argparse.Namespace) -> int:
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
    else:
        tol = sp.ewald_error_tolerance
        print(f"{ff.name}: {sp.n_atoms} atoms, platform {sp.platform}, "
              + (f"PME with Ewald error tolerance {tol:g}" if tol else "no periodic box: all Coulomb pairs"))
        for key in ("total", "coulomb", "short_range"):
            print(f"  {key:12s} {result[key + '_eV']:18.6f} eV  {result[key + '_kJmol']:20.4f} kJ/mol")
        if args.forces:
            print(f"forces (eV/Å, file order) written to {args.forces}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from omm_cx.lattice_statics import format_validation_table, validate_forcefield

    result = validate_forcefield(args.forcefield)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_validation_table(result))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from omm_cx.systems.recipes import build_recipe

    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise OmmCxError(f"{out} exists and is not empty; pass --overwrite to replace its files")
    built = build_recipe(args.recipe, seed=args.seed)
    built.write(out)
    i = built.info
    print(f"{i['name']}: {i['n_atoms']} atoms ({i['formula']}), NC {i['nc_formula'] or '-'}, "
          f"net charge {i['net_charge_e']:+g} e, min distance {i['min_distance_A']:.2f} Å")
    print(f"wrote {out / 'structure.pdb'}, {out / 'system.xml'}, {out / 'build.json'}")
    return 0


def _cmd_recipes(args: argparse.Namespace) -> int:
    from omm_cx.systems.recipes import available_recipes

    print("\n".join(available_recipes()))
    return 0


def _encoding_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in ("auto", "onehot", "tables")]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown encoding(s) {bad or text!r}; use auto, onehot, tables")
    return names


def _count_list(text: str) -> list[int]:
    try:
        counts = [int(t) for t in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers, e.g. 1,2,4")
    return counts


def _cmd_bench(args: argparse.Namespace) -> int:
    from omm_cx.bench import benchmark

    log = (lambda msg: print(msg, file=sys.stderr))
    result = benchmark.run_benchmark(
        args.recipe, quick=args.quick, steps=args.steps, lammps=not args.no_lammps,
        platforms=args.platforms.split(",") if args.platforms else None,
        target=args.target, encodings=args.encodings, replicas=args.replicas or (), log=log)
    if args.scaling:
        result["scaling"] = benchmark.run_scaling(args.recipe, steps=args.steps or 20, log=log)
    print(benchmark.format_table(result))
    if args.json:
        benchmark.write_json(result, args.json)
        print(f"wrote {args.json}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from omm_cx.studies.demo import run_demo

    run_demo(args.output, length_ps=args.ps, temperature_K=args.temperature_K,
             platform=args.platform)
    return 0


def _cmd_forcefields(args: argparse.Namespace) -> int:
    from omm_cx.forcefield import available_forcefields, load_forcefield

    for name in available_forcefields():
        ff = load_forcefield(name)
        print(f"{name:24s} species: {', '.join(sorted(ff.species))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="omm-cx",
        description="OpenMM simulations of cation exchange in colloidal nanocrystals.",
    )
    p.add_argument("--version", action="version", version=f"omm_cx {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("energy", help="single-point energy (eV) and forces of a PDB structure",
                       description="Single-point energy of a structure. Species come from the "
                       "PDB atom names, the box from CRYST1 (no CRYST1: non-periodic, all pairs).")
    e.add_argument("structure", help="PDB file (atom names = species)")
    e.add_argument("--forcefield", "-f", required=True,
                   help="parameter files joined by '+', e.g. pbcdse+psl-nonpreferential")
    e.add_argument("--json", action="store_true", help="print JSON (eV and kJ/mol)")
    e.add_argument("--forces", metavar="F.npy", help="write forces, (N, 3) in eV/Å, file order")
    e.add_argument("--platform", default="Reference",
                   help="OpenMM platform (default Reference: double precision)")
    e.add_argument("--ewald-tolerance", type=float, default=1e-6,
                   help="PME relative error tolerance (default 1e-6, tight: single points are cheap)")
    e.add_argument("--dispersion-correction", action="store_true",
                   help="add the long-range correction of the short-range terms beyond the cutoff")
    e.add_argument("--no-guard", action="store_true",
                   help="leave out the Buckingham-catastrophe wall (changes nothing at r > r_wall)")
    e.set_defaults(func=_cmd_energy)

    v = sub.add_parser("validate", help="lattice statics of the crystal phases vs the paper",
                       description="Relax every published crystal phase of the force field's "
                       "compounds and compare with the published lattice-statics values.")
    v.add_argument("forcefield", help="e.g. pbcdse")
    v.add_argument("--json", action="store_true", help="print JSON")
    v.set_defaults(func=_cmd_validate)

    b = sub.add_parser("build", help="build a system from a recipe (systems/*.yaml)",
                       description="Build the starting configuration a recipe describes and "
                       "write DIR/structure.pdb, DIR/system.xml and DIR/build.json.")
    b.add_argument("recipe", help="recipe name (see 'omm-cx recipes') or path to a YAML file")
    b.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    b.add_argument("--seed", type=int, help="override the recipe's seed")
    b.add_argument("--overwrite", action="store_true", help="replace files in a non-empty DIR")
    b.set_defaults(func=_cmd_build)

    r = sub.add_parser("recipes", help="list the recipes shipped with omm_cx")
    r.set_defaults(func=_cmd_recipes)

    d = sub.add_parser("demo", help="end-to-end demo: build, run and analyze a small cation exchange",
                       description="Build a 2.4 nm PbSe NC in Cd-PSL solution, run it hot, "
                       "analyze the exchange and print where the plots and tables are. "
                       "Re-running continues or reuses the finished run.")
    d.add_argument("-o", "--output", default="out/demo", metavar="DIR", help="default out/demo")
    d.add_argument("--ps", type=float, default=50.0, help="simulated time in ps (default 50)")
    d.add_argument("--temperature-K", type=float, default=700.0, help="default 700 K")
    d.add_argument("--platform", help="OpenMM platform (default: the fastest here)")
    d.set_defaults(func=_cmd_demo)

    be = sub.add_parser("bench", help="benchmark omm_cx against LAMMPS at equal force accuracy",
                        description="Time MD of a recipe's system on every OpenMM platform and "
                        "in LAMMPS, each at the cheapest long-range setting whose measured RMS force "
                        "error is below the target.")
    be.add_argument("--recipe", default="pbse-nc-cd-psl")
    be.add_argument("--quick", action="store_true", help="fewer steps (a few minutes on 2 cores)")
    be.add_argument("--steps", type=int, help="MD steps timed per engine")
    be.add_argument("--platforms", help="comma-separated OpenMM platforms (default: all but Reference)")
    be.add_argument("--no-lammps", action="store_true", help="skip the LAMMPS comparison")
    be.add_argument("--target", type=float, default=1e-4, help="RMS force error target, eV/Å")
    be.add_argument("--encodings", default=["auto"], type=_encoding_list,
                    help="short-range encodings to time on each OpenMM platform, comma-separated: "
                    "auto, onehot, tables (default auto)")
    be.add_argument("--replicas", metavar="N[,N...]", type=_count_list,
                    help="also time N independent replicas at once on the first platform "
                    "(e.g. 1,2,4,8: throughput of several runs on one GPU)")
    be.add_argument("--scaling", action="store_true", help="also time 1x, 2x, 4x the system")
    be.add_argument("--json", metavar="FILE", help="write the results as JSON")
    be.set_defaults(func=_cmd_bench)

    from omm_cx.cli.analyze import add_parser as add_analyze
    from omm_cx.cli.fit import add_parser as add_fit
    from omm_cx.cli.xrd import add_parser as add_xrd
    from omm_cx.cli.path import add_parser as add_path
    from omm_cx.cli.run import add_parser as add_run

    add_run(sub)
    add_analyze(sub)
    add_xrd(sub)
    add_path(sub)
    add_fit(sub)

    f = sub.add_parser("forcefields", help="list the parameter files shipped with omm_cx")
    f.set_defaults(func=_cmd_forcefields)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OmmCxError as exc:
        print(f"omm-cx {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
