"""``omm-cx demo``: build, run and analyze a small cation exchange (the README's main job)."""

from __future__ import annotations

import argparse

DESCRIPTION = ("Build a 2.4 nm PbSe NC in Cd-PSL solution, run it hot, analyze the exchange "
               "and print where the plots and tables are. Re-running continues or reuses the "
               "finished run.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx demo``."""
    p.add_argument("-o", "--output", default="out/demo", metavar="DIR", help="default out/demo")
    p.add_argument("--ps", type=float, default=50.0, help="simulated time in ps (default 50)")
    p.add_argument("--temperature-K", type=float, default=700.0, help="default 700 K")
    p.add_argument("--platform", help="OpenMM platform (default: the fastest here)")


def run(args: argparse.Namespace) -> int:
    """Run the demo; it prints its own progress and where the results are."""
    from omm_cx.studies.demo import run_demo

    run_demo(args.output, length_ps=args.ps, temperature_K=args.temperature_K,
             platform=args.platform)
    return 0
