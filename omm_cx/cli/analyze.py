"""``omm-cx analyze``: the analyses of a run directory or of any trajectory.

    omm-cx analyze DIR [DIR ...] [--what exchange,density,rdf,jumps,rmsd,msd,facets]
    omm-cx analyze --traj T --top S.pdb [--build-json B] -o OUT [--dt-ps DT]
    omm-cx analyze DIR --what rdf --set rdf.r_max_A=10 --set rdf.bin_A=0.1
    omm-cx analyze --describe          # every analysis: its settings and summary keys

The settings of every registered analysis (its ``Options``) are reachable with
``--set NAME.FIELD=VALUE`` (the value read as JSON where it parses, else as text); the
named flags below are shortcuts for the built-in analyses.

This module imports only argparse at import time; the handler imports the analyses
(numpy, scipy, mdtraj) when it runs.
"""

from __future__ import annotations

import argparse

WHAT = "exchange,density,rdf,jumps,rmsd,msd"


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected numbers separated by commas") from None


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for item in text.split(","):
        parts = item.strip().split("-")
        if len(parts) != 2 or not all(parts):
            raise argparse.ArgumentTypeError(f"{item!r}: expected A-B, e.g. Cd-PSL")
        out.append((parts[0], parts[1]))
    return out


def _roles(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(","):
        if "=" not in item:
            raise argparse.ArgumentTypeError(f"{item!r}: expected SPECIES=ROLE, e.g. Pb=cation")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


DESCRIPTION = (
    "Analyse a run directory (structure.pdb, build.json and traj.dcd or traj.xtc; outputs in "
    "DIR/analysis) or any trajectory with --traj/--top (outputs in -o OUT). Several DIRs: each "
    "is analysed, and jumps over runs (mean and s.e.m.) and the Arrhenius fit of D(T) go to "
    "-o OUT. Without build.json the NC and its original cations come from the first frame "
    "(geometric fallback, stated in summary.json). Lengths in Å, times in ps.")


def _setting(text: str) -> tuple[str, str, object]:
    import json

    name, dot, rest = text.partition(".")
    field, eq, value = rest.partition("=")
    if not (name and dot and field and eq):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME.FIELD=VALUE, e.g. "
                                         f"rdf.r_max_A=10")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return name.strip(), field.strip(), parsed


def add_arguments(a: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx analyze``."""
    a.add_argument("dirs", nargs="*", metavar="DIR", help="run directories")
    a.add_argument("--set", type=_setting, action="append", default=[], metavar="NAME.FIELD=V",
                   help="a setting of one analysis (repeatable), e.g. rdf.r_max_A=10; "
                   "--describe lists them")
    a.add_argument("--describe", action="store_true",
                   help="list every registered analysis with its settings (defaults) and the "
                   "keys of its summary.json entry, and exit")
    a.add_argument("--traj", metavar="T", help="trajectory file (DCD, XTC, ...; any mdtraj format)")
    a.add_argument("--top", metavar="S.pdb", help="topology for --traj (atom names = species)")
    a.add_argument("--build-json", metavar="B", help="build record with the groups (optional)")
    a.add_argument("-o", "--output", metavar="OUT",
                   help="output folder (needed with --traj and with several DIRs)")
    a.add_argument("--what", default=WHAT,
                   help=f"comma-separated analyses (default: {WHAT}; also facets: exchange per "
                   "facet family of the NC's outer layer)")
    a.add_argument("--dt-ps", type=float, help="time between frames in ps (default: from the "
                   "trajectory file: DCD header, XTC times)")
    a.add_argument("--chunk", type=int, default=500, help="frames read at a time (default 500)")
    a.add_argument("--no-plots", action="store_true", help="write tables only")
    a.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress line on stderr (default: only when stderr is a terminal)")
    g = a.add_argument_group("groups and NC membership")
    g.add_argument("--roles", type=_roles, help="species roles, e.g. Pb=cation,Se=anion,PSL=ligand "
                   "(needed without build.json for species omm_cx does not know)")
    g.add_argument("--in-going", metavar="SPECIES", help="in-going cation species, comma-separated "
                   "(default: build.json solution cations; fallback: cation species other than the NC's)")
    g.add_argument("--membership", choices=("coordination", "radius"), default="coordination",
                   help="NC membership rule (default coordination)")
    g.add_argument("--cutoff-A", type=float, default=3.6,
                   help="cation-anion distance for NC membership (default 3.6 Å)")
    g.add_argument("--min-anions", type=int, default=1,
                   help="framework anions a cation needs within the cutoff (default 1)")
    g.add_argument("--framework-cutoff-A", type=float,
                   help="anion-anion link of the NC framework (default 1.2 x nearest anion distance)")
    d = a.add_argument_group("density, g(r)")
    d.add_argument("--density-bin-A", type=float, default=0.5, help="shell width (default 0.5 Å)")
    d.add_argument("--density-windows", type=int, default=4, help="time windows (default 4)")
    d.add_argument("--rdf-pairs", type=_pairs, help="pairs A-B,C-D (species or groups; default: "
                   "every pair of species)")
    d.add_argument("--rdf-rmax-A", type=float, default=12.0, help="g(r) range (default 12 Å)")
    d.add_argument("--rdf-bin-A", type=float, default=0.05, help="g(r) bin (default 0.05 Å)")
    d.add_argument("--rdf-frames", type=int, default=200,
                   help="at most this many frames, evenly spaced, for g(r) (default 200)")
    j = a.add_argument_group("jumps (004 criteria)")
    j.add_argument("--jump-site-rule", choices=("two-class", "strict"), default="two-class",
                   help="target-site classes: two-class (004: >= 5 anions within 4.1 Å octa, "
                   "else tetra; default) or strict (6 octa, 4 tetra, others 'other')")
    j.add_argument("--jump-neighbors-frame", choices=("pre", "post"), default="pre",
                   help="evaluate the Pb-neighbour criteria 4/5 before (default) or after the jump")
    j.add_argument("--kick-core", choices=("density", "local"), default="density",
                   help="core region of a kick-out partner: density (default: inside the "
                   "core/shell boundary of the pre-jump frame's radial profile) or local "
                   "(>= 3 leaving-species ions within 4.5 Å)")
    j.add_argument("--core-radius-A", type=float,
                   help="kick-out partner in the core: closer to the NC centre than this "
                   "(overrides --kick-core)")
    r = a.add_argument_group("RMSD, MSD")
    r.add_argument("--rmsd-select", default="nc", help="atoms for the RMSD map (default nc: the "
                   "NC as built; or a species or group)")
    r.add_argument("--rmsd-fit", choices=("rigid", "translation"), default="rigid",
                   help="drift removal (default rigid: translation and rotation)")
    r.add_argument("--rmsd-threshold-A", type=float, default=0.84,
                   help="mobile atoms: RMSD above this (default 0.84 Å, 000 Fig. S25)")
    r.add_argument("--msd-select", default="in_going",
                   help="atoms for the MSD (default in_going; or a species or group)")
    r.add_argument("--msd-max-lag-ps", type=float, help="longest lag (default half the run)")
    r.add_argument("--msd-fit-ps", type=_floats, metavar="T0,T1",
                   help="lag window of the Einstein fit (default max_lag/10 to max_lag/2)")
    r.add_argument("--temperatures-K", type=_floats, metavar="T1,T2,...",
                   help="temperature of each DIR for the Arrhenius fit (default: mean of "
                   "DIR/state.csv)")


def _options(args):
    from omm_cx.analysis.jumps import JumpCriteria
    from omm_cx.analysis.membership import MembershipCriterion
    from omm_cx.analysis.options import AnalysisOptions

    crit = MembershipCriterion(method=args.membership, cutoff_A=args.cutoff_A,
                               min_anions=args.min_anions, framework_cutoff_A=args.framework_cutoff_A)
    jc = JumpCriteria(neighbors_frame=args.jump_neighbors_frame, core_radius_A=args.core_radius_A,
                      site_rule=args.jump_site_rule, kick_core=args.kick_core)
    return AnalysisOptions(
        membership=crit, jumps=jc, roles=args.roles,
        in_going_species=[s.strip() for s in args.in_going.split(",")] if args.in_going else None,
        density_bin_A=args.density_bin_A, density_windows=args.density_windows,
        rdf_pairs=args.rdf_pairs, rdf_r_max_A=args.rdf_rmax_A, rdf_bin_A=args.rdf_bin_A,
        rdf_max_frames=args.rdf_frames, rmsd_select=args.rmsd_select, rmsd_fit=args.rmsd_fit,
        rmsd_threshold_A=args.rmsd_threshold_A, msd_select=args.msd_select,
        msd_max_lag_ps=args.msd_max_lag_ps,
        msd_fit_window_ps=tuple(args.msd_fit_ps) if args.msd_fit_ps else None,
        chunk_frames=args.chunk, plots=not args.no_plots, progress=args.progress,
        per_analysis=_per_analysis(args.set))


def _per_analysis(settings) -> dict:
    from omm_cx.analysis.registry import analysis_class

    out: dict = {}
    for name, field, value in settings:
        analysis_class(name)  # an unknown analysis: AnalysisError listing the known ones
        out.setdefault(name, {})[field] = value
    return out


def describe() -> str:
    """Every registered analysis: its settings with defaults and its summary keys."""
    import json
    from dataclasses import MISSING, fields

    from omm_cx.analysis.registry import ANALYSES, WHAT_DEFAULT, analysis_class

    lines = []
    for name in ANALYSES:
        cls = analysis_class(name)
        doc = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        lines.append(f"{name}{'' if name in WHAT_DEFAULT else ' (opt-in)'}: {doc}")
        for f in fields(cls.Options) if cls.Options is not None else ():
            default = json.dumps(f.default, default=str) if f.default is not MISSING else "?"
            lines.append(f"  --set {name}.{f.name}={default}")
        for key, meaning in cls.summary_keys.items():
            lines.append(f"  summary:{name}.{key}  {meaning}")
    return "\n".join(lines)


def _report(s: dict) -> None:
    from omm_cx.analysis.registry import ANALYSES, analysis_class

    f = s["frames"]
    print(f"{s['inputs']['trajectory']}: {f['n_frames']} frames, {f['dt_ps']:g} ps apart "
          f"({f['time_source']}); groups: {s['groups']['source'].split(':')[0]}")
    for name, entry in s["analyses"].items():
        line = analysis_class(name).report_line(entry) if name in ANALYSES else None
        if line:
            print(f"  {name}: {line}")
    for k, why in s.get("skipped", {}).items():
        print(f"  {k}: skipped ({why})")
    print(f"  outputs in {s['out_dir']}")


def run(args: argparse.Namespace) -> int:
    """Analyse the run directories or the trajectory and print a summary of each."""
    from pathlib import Path

    from omm_cx.errors import AnalysisError
    from omm_cx.analysis.driver import analyze_run_dir, analyze_trajectory
    from omm_cx.analysis.runs import combine_runs, run_temperature_K

    if args.describe:
        print(describe())
        return 0
    strict = args.what != WHAT
    opts = _options(args)
    if args.traj:
        if args.dirs:
            raise AnalysisError("give run directories or --traj, not both")
        if not args.top or not args.output:
            raise AnalysisError("--traj needs --top and -o OUT")
        s = analyze_trajectory(args.traj, args.top, args.output, args.build_json, args.what,
                               args.dt_ps, opts, strict)
        _report(s)
        return 0
    if not args.dirs:
        raise AnalysisError("give a run directory (DIR) or --traj T --top S.pdb -o OUT")
    if args.build_json:
        raise AnalysisError("--build-json goes with --traj; a run directory has its own build.json")
    if len(args.dirs) > 1 and not args.output:
        raise AnalysisError("several run directories: give -o OUT for the combined tables")
    if args.temperatures_K and len(args.temperatures_K) != len(args.dirs):
        raise AnalysisError(f"--temperatures-K has {len(args.temperatures_K)} values for "
                            f"{len(args.dirs)} run directories")
    summaries = []
    for d in args.dirs:
        out = args.output if len(args.dirs) == 1 and args.output else None
        s = analyze_run_dir(d, args.what, args.dt_ps, opts, out, strict)
        _report(s)
        summaries.append(s)
    if len(args.dirs) > 1:
        temps = args.temperatures_K or [run_temperature_K(d) for d in args.dirs]
        c = combine_runs(summaries, args.output, [Path(d).name for d in args.dirs], temps,
                         plots=not args.no_plots)
        if "jumps" in c:
            print(f"runs combined: n_kick/n_intf = {c['jumps']['kick_ratio_mean']:.3f} "
                  f"({c['jumps']['kick_ratio_sem']:.3f} s.e.m.)")
        if "Ea_eV" in c.get("arrhenius", {}):
            print(f"runs combined: E_a = {c['arrhenius']['Ea_eV']:.3f} ± "
                  f"{c['arrhenius']['Ea_err_eV']:.3f} eV")
        print(f"combined outputs in {args.output}")
    return 0
