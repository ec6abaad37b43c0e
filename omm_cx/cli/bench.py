"""``omm-cx bench``: time MD of a recipe's system on the OpenMM platforms and in LAMMPS."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = ("Time MD of a recipe's system on every OpenMM platform and in LAMMPS, each at "
               "the cheapest long-range setting whose measured RMS force error is below the "
               "target.")


def _encoding_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in ("auto", "onehot", "tables", "nonbonded", "native", "native-coulomb")]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown encoding(s) {bad or text!r}; use auto, onehot, "
                                         "tables, native, native-coulomb, nonbonded (Lorentz-Berthelot LJ only)")
    return names


def _count_list(text: str) -> list[int]:
    try:
        counts = [int(t) for t in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give positive integers, e.g. 1,2,4")
    return counts


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive integer")
    return int(text)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx bench``."""
    p.add_argument("--recipe", default="pbse-nc-cd-psl")
    p.add_argument("--quick", action="store_true", help="fewer steps (a few minutes on 2 cores)")
    p.add_argument("--steps", type=int, help="MD steps timed per engine")
    p.add_argument("--platforms", help="comma-separated OpenMM platforms (default: all but Reference)")
    p.add_argument("--no-lammps", action="store_true", help="skip the LAMMPS comparison")
    p.add_argument("--target", type=float, default=1e-4, help="RMS force error target, eV/Å")
    p.add_argument("--encodings", default=["auto"], type=_encoding_list,
                   help="short-range encodings to time on each OpenMM platform, comma-separated: "
                   "auto (what a run uses: native-coulomb on CPU), onehot, tables, native, "
                   "native-coulomb (default auto)")
    p.add_argument("--replicas", metavar="N[,N...]", type=_count_list,
                   help="also time N independent replicas at once on the first platform "
                   "(e.g. 1,2,4,8: throughput of several runs on one GPU)")
    p.add_argument("--scaling", action="store_true", help="also time 1x, 2x, 4x the system")
    p.add_argument("--lammps-search", choices=("quick", "staged", "full"),
                   help="LAMMPS configurations to try (default: quick with --quick, else "
                   "staged; full: every cutoff, order, differentiation and layout)")
    p.add_argument("--lammps-exe", metavar="PATH",
                   help="time this LAMMPS program (a build from source, e.g. "
                   "benchmarks/lammps_build.sh's) in every configuration, and the wheel's "
                   "generic build in the fastest one beside it")
    p.add_argument("--repeats", type=_positive_int, default=3, metavar="N",
                   help="timings of every configuration, interleaved round-robin over all of "
                   "them; the table gives the median and the range (default 3)")
    p.add_argument("--no-tune", action="store_true",
                   help="skip the OpenMM runs with PME alpha and grid tuned for the target")
    p.add_argument("--profile", action="store_true",
                   help="also print ms per force group (short range, guard, Coulomb real and "
                   "reciprocal space, integration) on each platform")
    p.add_argument("--json-file", metavar="FILE", help="write the results as JSON to FILE")
    # --json prints the results as JSON; the old spelling --json FILE is --json-file FILE
    p.add_argument("--json", nargs="?", const=True, default=False, metavar="FILE",
                   help="print the results as JSON instead of the table")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; the table (or ``--json``) on stdout, progress on stderr."""
    from omm_cx.bench import benchmark
    from omm_cx.bench.report import format_table, write_json
    from omm_cx.bench.scaling import run_scaling

    json_file = args.json_file or (args.json if isinstance(args.json, str) else None)
    log = (lambda msg: print(msg, file=sys.stderr))
    result = benchmark.run_benchmark(
        args.recipe, quick=args.quick, steps=args.steps, lammps=not args.no_lammps,
        platforms=args.platforms.split(",") if args.platforms else None,
        target=args.target, encodings=args.encodings, replicas=args.replicas or (),
        profile=args.profile, tune=not args.no_tune, lammps_search=args.lammps_search,
        lammps_exe=args.lammps_exe, repeats=args.repeats, log=log)
    if args.scaling:
        result["scaling"] = run_scaling(args.recipe, steps=args.steps or 20, log=log)
    if args.json is True:
        from omm_cx.io.tables import json_text

        print(json_text(result, indent=2), end="")
    else:
        print(format_table(result))
        if result.get("profile"):
            from omm_cx.bench.profile import format_profile

            print()
            print(format_profile(result["profile"]))
    if json_file:
        write_json(result, json_file)
        print(f"wrote {json_file}", file=sys.stderr if args.json is True else sys.stdout)
    return 0
