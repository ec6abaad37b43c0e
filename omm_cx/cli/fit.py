"""``omm-cx fit``: relaxed fit of Buckingham parameters (argument parsing only; :func:`run`
imports the fitting code lazily, so registering the parser imports nothing heavy).

Exit codes: 0 done; 2 bad fit file, bad input or a failed fit (message names the cause).
``python -m omm_cx.cli.fit FIT.yaml -o OUT.yaml`` is ``omm-cx fit FIT.yaml -o OUT.yaml``.
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


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx fit``."""
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
    p.add_argument("--json-file", metavar="FILE",
                   help="also write the provenance/evaluation as JSON to FILE")
    # --json prints the provenance/evaluation as JSON; the old --json FILE is --json-file FILE
    p.add_argument("--json", nargs="?", const=True, default=False, metavar="FILE",
                   help="print the provenance/evaluation as JSON instead of the tables")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress messages")


def _emit_json(args: argparse.Namespace, data: dict) -> None:
    text = json.dumps(data, indent=2, default=str)
    if args.json is True:
        print(text)
    path = args.json_file or (args.json if isinstance(args.json, str) else None)
    if path:
        from omm_cx.io.atomic import atomic_write_text

        atomic_write_text(path, text)


def _evaluate(args: argparse.Namespace, spec) -> int:
    from omm_cx.fitting import comparison_table, evaluate

    ev = evaluate(spec, None if args.evaluate == "start" else args.evaluate)
    columns = {args.evaluate: ev, **{name: evaluate(spec, name) for name in args.compare}}
    if args.json is not True:
        print(comparison_table(spec, columns, markdown=args.markdown))
    if ev.failures:
        print("failed phases: " + "; ".join(f"{k}: {v}" for k, v in ev.failures.items()),
              file=sys.stderr)
    _emit_json(args, {"evaluate": args.evaluate, "values": ev.values,
                      "residuals": ev.residuals.tolist(), "cost": ev.cost,
                      "failures": ev.failures})
    return 0


def _fit(args: argparse.Namespace, spec) -> int:
    from omm_cx.errors import FitError
    from omm_cx.fitting import comparison_table, evaluate, run_fit

    if not args.output:
        raise FitError(f"{args.fitfile}: give -o/--output FILE for the fitted parameter file "
                       f"(or --evaluate FORCEFIELD)")
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    result = run_fit(spec, max_nfev=args.max_nfev, log=log)
    command = f"omm-cx fit {args.fitfile} -o {args.output}"
    path = result.write(args.output, fit_file=args.fitfile, command=command)
    out = sys.stderr if args.json is True else sys.stdout
    columns = {"start": result.start, **{name: evaluate(spec, name) for name in args.compare},
               "fitted": result.final}
    print(comparison_table(spec, columns, markdown=args.markdown), file=out)
    print("\nfitted parameters:", file=out)
    for p, v0, v in zip(spec.free, result.start_values, result.values):
        print(f"  {p.label:12s} {v0:14.6g} -> {v:14.6g}", file=out)
    print(f"optimizer: {result.optimizer['message']} ({result.n_evaluations} evaluations, "
          f"{result.runtime_s:.1f} s)", file=out)
    print(f"wrote {path}", file=out)
    _emit_json(args, result.provenance(args.fitfile, command))
    return 0


def run(args: argparse.Namespace) -> int:
    """Evaluate (``--evaluate``) or fit, print the comparison table."""
    from omm_cx.fitting import load_fit_spec

    spec = load_fit_spec(args.fitfile)
    return _evaluate(args, spec) if args.evaluate else _fit(args, spec)


if __name__ == "__main__":
    from omm_cx.cli.main import main

    sys.exit(main(["fit", *sys.argv[1:]]))
