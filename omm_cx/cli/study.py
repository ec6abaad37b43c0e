"""``omm-cx study``: list the studies, run one (on Dask), show its progress, write its report.

    omm-cx study list
    omm-cx study run 004-liquid-gr -o out/liquid --scale small [--executor local] [--workers 2]
    omm-cx study run 004-jumps --scale paper --dry-run
    omm-cx study status out/liquid
    omm-cx study report out/liquid [--accept-changed-spec]
    omm-cx study index docs/studies
"""

from __future__ import annotations

import argparse

DESCRIPTION = ("Studies (studies/*.yaml): every run of a published figure or table, run "
               "unattended and reported beside the paper's numbers.")
EPILOG = ("Scales: tiny (seconds, tests), small (a laptop's CPU, the published trend), paper "
          "(the published sizes and lengths). Re-running 'study run' on the same folder resumes.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx study``."""
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="each study with its paper and the cost of each preset")
    ls.add_argument("--json", action="store_true", help="print JSON")
    run = sub.add_parser("run", help="run a study into a folder (resumes an unfinished one)")
    run.add_argument("name", help="a study name (omm-cx study list) or a .yaml file")
    run.add_argument("-o", "--out", help="the study folder (required unless --dry-run)")
    run.add_argument("--scale", default="small", choices=("tiny", "small", "paper"))
    run.add_argument("--executor", default="local", choices=("local", "slurm", "pbs"))
    run.add_argument("--workers", type=int, default=None, help="Dask workers")
    run.add_argument("--threads-per-worker", type=int, default=None)
    run.add_argument("--segment-wall-time", default=None,
                     help="wall-time budget of one task (segment), e.g. 30m, 2h")
    run.add_argument("--platform", default=None, help="CUDA, OpenCL, CPU or Reference")
    run.add_argument("--cluster", metavar="YAML",
                     help="SLURM/PBS settings for --executor slurm|pbs (queue, account, "
                     "walltime, gpus_per_job, cores, memory; see docs/studies.md)")
    run.add_argument("--retry-failed", action="store_true",
                     help="run the failed runs of the folder again (default: keep them failed)")
    run.add_argument("--dry-run", action="store_true",
                     help="print the runs, simulated ns and estimated cost; run nothing")
    st = sub.add_parser("status", help="runs done/running/failed/pending, simulated ns, ETA")
    st.add_argument("dir")
    rep = sub.add_parser("report", help="write report.md, report.json and figures")
    rep.add_argument("dir")
    rep.add_argument("--accept-changed-spec", action="store_true",
                     help="judge the runs by the study file as it is now although it changed "
                     "since the run (the report says so at its top)")
    idx = sub.add_parser("index", help="write DIR/README.md: every claim of every study with "
                         "the verdict of its report in DIR")
    idx.add_argument("dir")


def _measured(spec, scale: str) -> str | None:
    """The preset's recorded wall time in words, or None."""
    from omm_cx.studies.cost import format_hours

    preset = spec.presets.get(scale)
    m = preset.measured if preset is not None else None
    if m is None:
        return None
    where = ", ".join(x for x in (str(m.date), f"{m.cores} CPU cores",
                                  m.commit and f"commit {m.commit}", m.note) if x)
    return f"{format_hours(m.wall_s / 3600)} wall ({where})"


def _list(args) -> int:
    import json

    from omm_cx.studies.cost import estimate
    from omm_cx.studies.plan import plan_runs
    from omm_cx.studies.spec import SCALES, available_studies, load_study

    rows = []
    for name in available_studies():
        spec = load_study(name)
        costs = {s: estimate(plan_runs(spec, s)) for s in SCALES}
        rows.append({"name": name, "reference": spec.reference, "title": spec.title,
                     "presets": {s: {"runs": c.n_runs, "simulated_ns": c.simulated_ns,
                                     "cpu_hours": c.cpu_hours, "gpu_hours": c.gpu_hours,
                                     "text": c.text(), "measured": _measured(spec, s)}
                                 for s, c in costs.items()}})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['name']}: {r['title']}\n  {r['reference']}")
        for s, c in r["presets"].items():
            print(f"  {s:5s}  {c['text']}" + (f"; measured {c['measured']}" if c["measured"] else ""))
    from omm_cx.studies.cost import CPU_MODEL, measured_gpu_ns_per_day

    gpu = measured_gpu_ns_per_day()
    print(f"cost model: {CPU_MODEL}; GPU: "
          f"{'measured' if gpu else 'unmeasured (no CUDA result in benchmarks/latest.json)'}")
    return 0


def _dry_run(args) -> int:
    from omm_cx.studies.cost import estimate, plan_cpu_seconds
    from omm_cx.studies.plan import plan_runs
    from omm_cx.studies.spec import load_study

    spec = load_study(args.name)
    plans = plan_runs(spec, args.scale)
    print(f"{spec.name} ({spec.reference}), scale {args.scale}: {len(plans)} runs")
    for p in plans:
        what = (f"{p.length_ps / 1000:.4g} ns, ~{p.n_atoms} atoms, ~{plan_cpu_seconds(p) / 3600:.3g} CPU-h"
                if p.kind == "md" else f"call {p.call}")
        print(f"  {p.key:40s} {what}")
    print(_seeds_line(spec, plans, args.scale))
    c = estimate(plans)
    print(f"total simulated: {c.simulated_ns:.4g} ns")
    print(f"estimated CPU time (2 cores): {c.cpu_hours:.4g} h ({c.cpu_model})")
    gpu = f"{c.gpu_hours:.4g} GPU-hours" if c.gpu_hours is not None else "unmeasured"
    print(f"estimated GPU time: {gpu} ({c.gpu_model})")
    return 0


def _seeds_line(spec, plans, scale: str) -> str:
    """Seeds per group (a matrix point without its seed), and whether the claims judged
    at this scale have the >= 3 a t interval needs."""
    from collections import Counter

    from omm_cx.studies.aggregate import group_labels
    from omm_cx.studies.spec import SCALES

    per = Counter(tuple(sorted((k, str(v)) for k, v in group_labels(spec, p).items()))
                  for p in plans)
    judged = [c.id for c in spec.claims if SCALES.index(c.testable_from) <= SCALES.index(scale)]
    lo, hi = (min(per.values()), max(per.values())) if per else (0, 0)
    text = f"seeds per group: {lo}" + (f"-{hi}" if hi != lo else "") + f" ({len(per)} groups)"
    if spec.deterministic:
        return text + "; deterministic study: one run is exact"
    if judged and lo < 3:
        return text + f"; claims judged at {scale} ({', '.join(judged)}) need >= 3: they will be 'not resolved'"
    return text + (f"; claims judged at {scale}: {', '.join(judged)}" if judged else
                   f"; no claim is judged at {scale}")


def run(args: argparse.Namespace) -> int:
    """Dispatch the action."""
    from omm_cx.errors import ConfigError

    if args.action == "list":
        return _list(args)
    if args.action == "run":
        if args.dry_run:
            return _dry_run(args)
        if not args.out:
            raise ConfigError("study run needs -o DIR (the study folder), or --dry-run")
        from omm_cx.studies.execute import run_study  # helper F's executor
        from omm_cx.studies.report import write_report
        from omm_cx.studies.spec import load_study

        spec = load_study(args.name)
        cluster = None
        if args.cluster:
            from omm_cx.io.yaml_input import load_yaml

            cluster = load_yaml(args.cluster)
        status = run_study(spec, args.out, args.scale, executor=args.executor,
                           n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                           segment_wall_s=args.segment_wall_time, platform=args.platform,
                           cluster=cluster, retry_failed=args.retry_failed)
        print(status.table())
        report = write_report(args.out, spec)
        print(_verdict_line(report, args.out))
        return 0
    if args.action == "status":
        from omm_cx.studies.execute import study_status

        print(study_status(args.dir).table())
        return 0
    if args.action == "index":
        from omm_cx.studies.index import write_index

        print(f"index: {write_index(args.dir)}")
        return 0
    from omm_cx.studies.report import write_report

    report = write_report(args.dir, accept_changed_spec=args.accept_changed_spec)
    print(_verdict_line(report, args.dir))
    return 0


def _verdict_line(report: dict, out) -> str:
    v = report["verdicts"]
    lines = [f"{c['id']}: {c['verdict']}" for c in report["claims"]]
    counts = ", ".join(f"{n} {k}" for k, n in v.items())
    return "\n".join(lines + [f"report: {out}/report.md ({counts})"])
