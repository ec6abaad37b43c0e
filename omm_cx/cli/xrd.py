"""``omm-cx xrd``: powder X-ray patterns (Debye equation) of structures and runs.

    omm-cx xrd INPUT [INPUT ...] -o OUT [--q-min 1 --q-max 4 --dq 0.002] [--a-A A]
               [--frames START:STOP:STEP] [--conversion PARENT_A,PRODUCT_A]

This module imports only argparse at import time.
"""

from __future__ import annotations

import argparse

DESCRIPTION = (
    "Powder X-ray pattern I(Q) of the NC in each INPUT (a PDB file, a build directory or a "
    "run directory, whose frames are averaged) by the Debye scattering equation with "
    "Waasmaier-Kirfel form factors; the (111), (200) and (220) peaks, I111/I200 and, with "
    "--conversion, the conversion from the (220) position (002). Writes xrd.csv, xrd.json "
    "and xrd.png to OUT.")


def _slice(text: str) -> slice:
    parts = text.split(":")
    try:
        vals = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:STOP[:STEP] frame indices") from None
    if len(vals) == 1:
        return slice(vals[0], vals[0] + 1 if vals[0] != -1 else None)
    if len(vals) > 3:
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:STOP[:STEP]")
    return slice(*vals)


def _two_floats(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected PARENT_A,PRODUCT_A, e.g. 5.94,5.81") from None
    return a, b


def add_arguments(x: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx xrd``."""
    x.add_argument("inputs", nargs="+", metavar="INPUT", help="PDB file, build or run directory")
    x.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    x.add_argument("--q-min", type=float, default=1.0, help="1/Å (default 1.0)")
    x.add_argument("--q-max", type=float, default=4.0, help="1/Å (default 4.0)")
    x.add_argument("--dq", type=float, default=0.002, help="Q step, 1/Å (default 0.002)")
    x.add_argument("--a-A", type=float, help="cubic lattice constant (Å) for indexing the peaks "
                   "(default: the NC crystal's in build.json)")
    x.add_argument("--atoms", choices=("nc", "all"), default="nc",
                   help="structures: the NC's atoms from build.json (default) or all atoms")
    x.add_argument("--frames", type=_slice, default=slice(None), metavar="START:STOP:STEP",
                   help="run directories: frames to average (Python slice; default all)")
    x.add_argument("--form-factors", choices=("wk1995", "Z"), default="wk1995",
                   help="Waasmaier-Kirfel f(Q) (default) or the atomic number")
    x.add_argument("--conversion", type=_two_floats, metavar="PARENT_A,PRODUCT_A",
                   help="bulk lattice constants (Å) of parent and product, e.g. 5.94,5.81 for "
                   "PbS -> zb-CdS: report the conversion from the (220) position")
    x.add_argument("--no-plot", action="store_true", help="skip xrd.png")
    x.add_argument("--json", action="store_true", help="print the summary (xrd.json) as JSON")


def _line(s: dict) -> str:
    line = f"{s['label']}: {s['n_atoms']:.0f} atoms, {s['frames']} frame(s)"
    pk = s.get("peaks")
    if pk:
        line += "; Q (1/Å) " + ", ".join(f"{k} {pk[k]['q_centre_invA']:.4f}"
                                        for k in ("111", "200", "220") if k in pk)
        if "I111_over_I200" in pk:
            line += f"; I111/I200 {pk['I111_over_I200']:.3f}"
    if "conversion_from_q220" in s:
        line += f"; X(Q220) {s['conversion_from_q220']:.3f}"
    return line


def run(args: argparse.Namespace) -> int:
    """Compute the patterns, write xrd.csv/json/png and print the peaks."""
    from omm_cx.analysis.xrd.pipeline import xrd_of_inputs

    summary = xrd_of_inputs(args.inputs, args.output, q_min_invA=args.q_min,
                            q_max_invA=args.q_max, dq_invA=args.dq, frames=args.frames,
                            lattice_a_A=args.a_A, atoms=args.atoms,
                            form_factors=args.form_factors, conversion_a_A=args.conversion,
                            plot=not args.no_plot)
    if args.json:
        from omm_cx.io.tables import json_text

        print(json_text(summary, indent=2), end="")
        return 0
    for s in summary["patterns"]:
        print(_line(s))
    print(f"wrote {', '.join(summary['outputs'])} to {args.output}")
    return 0
