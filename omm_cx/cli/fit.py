"""``omm-cx fit``: relaxed fit of Buckingham parameters (argument parsing only; the
handler imports the fitting code lazily, so registering the parser imports nothing heavy).

Exit codes: 0 done; 2 bad fit file, bad input or a failed fit (message names the cause).
"""

from __future__ import annotations

import argparse
import json
import sys

DESCRIPTION = (
    "Fit chosen Buckingham parameters (A, rho, C per pair; fitted as ln A, rho, C) to "
    "weighted crystal targets (lattice constants, u, elastic constants, bulk moduli, phase "
    "energies), relaxing every target phase at each evaluation (relaxed fitting, as GULP). "
    "Deterministic: fixed start values, scipy least_squares. Writes a parameter file whose "
    "'provenance' records the targets (value, weight, source), start values, achieved "
    "values, residuals and the optimizer's report. See docs/fitting.md."
)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``fit`` subcommand on an argparse subparsers object."""
    p = subparsers.add_parser("fit", help="fit Buckingham parameters to crystal data "
                              "(relaxed fitting)", description=DESCRIPTION)
    p.add_argument("fitfile", help="fit file (YAML), e.g. examples/fit-pbcds-omm_cx.yaml")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="parameter file to write (e.g. forcefields/NAME.yaml); required "
                        "unless --evaluate is given")
    p.add_argument("--evaluate", metavar="FORCEFIELD",
                   help="do not fit: evaluate the targets with this force field (name or "
                        "file, e.g. pbcdse) or 'start' for the fit's start values")
    p.add_argument("--compare", metavar="FORCEFIELD", action="append", default=[],
                   help="add a column with this force field's values to the final table "
                        "(repeatable), e.g. --compare pbcdse")
    p.add_argument("--max-nfev", type=int, metavar="N",
                   help="override the optimizer's maximum number of evaluations")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--json", metavar="FILE", help="also write the provenance/evaluation as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress messages")
    p.set_defaults(func=fit_command, command="fit")
    return p


def fit_command(args: argparse.Namespace) -> int:
    """Handler of ``omm-cx fit``; returns the exit code."""
    from omm_cx.errors import OmmCxError
    from omm_cx.fitting import comparison_table, evaluate, load_fit_spec, run_fit

    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        spec = load_fit_spec(args.fitfile)
        columns = {}
        if args.evaluate:
            ev = evaluate(spec, None if args.evaluate == "start" else args.evaluate)
            columns[args.evaluate] = ev
            for name in args.compare:
                columns[name] = evaluate(spec, name)
            print(comparison_table(spec, columns, markdown=args.markdown))
            if ev.failures:
                print("failed phases: " + "; ".join(f"{k}: {v}" for k, v in ev.failures.items()),
                      file=sys.stderr)
            if args.json:
                _write_json(args.json, {"evaluate": args.evaluate, "values": ev.values,
                                        "residuals": ev.residuals.tolist(), "cost": ev.cost,
                                        "failures": ev.failures})
            return 0
        if not args.output:
            raise OmmCxError("give -o/--output FILE (or --evaluate FORCEFIELD)")
        result = run_fit(spec, max_nfev=args.max_nfev, log=log)
        command = f"omm-cx fit {args.fitfile} -o {args.output}"
        path = result.write(args.output, fit_file=args.fitfile, command=command)
        columns = {"start": result.start}
        for name in args.compare:
            columns[name] = evaluate(spec, name)
        columns["fitted"] = result.final
        print(comparison_table(spec, columns, markdown=args.markdown))
        print("\nfitted parameters:")
        for p, v0, v in zip(spec.free, result.start_values, result.values):
            print(f"  {p.label:12s} {v0:14.6g} -> {v:14.6g}")
        print(f"optimizer: {result.optimizer['message']} ({result.n_evaluations} evaluations, "
              f"{result.runtime_s:.1f} s)")
        print(f"wrote {path}")
        if args.json:
            _write_json(args.json, result.provenance(args.fitfile, command))
        return 0
    except OmmCxError as exc:
        print(f"omm-cx fit: error: {exc}", file=sys.stderr)
        return 2


def _write_json(path: str, data) -> None:
    from omm_cx.io.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=2, default=str))


def main(argv=None) -> int:
    """``python -m omm_cx.cli.fit FIT.yaml -o OUT.yaml`` (same as ``omm-cx fit``)."""
    parser = argparse.ArgumentParser(prog="omm-cx")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["fit", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
