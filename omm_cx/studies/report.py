"""The report of a study folder: ``report.json``, ``report.md`` and figures.

    write_report("out/004-liquid-gr")   # reads DIR/study.json and DIR/runs/*

It puts the paper's value or statement beside ours (mean ± s.e.m. over seeds), names
the preset used and gives every published statement a verdict (reproduced, not
reproduced, not testable at this scale; :mod:`omm_cx.studies.verdicts`). It works on a
partly finished study: unfinished runs are listed as missing and the statements that
need them are 'not testable at this scale'.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from omm_cx.errors import ConfigError
from omm_cx.io.atomic import atomic_write_text
from omm_cx.io.tables import read_json, write_json
from omm_cx.studies.aggregate import aggregate, load_runs
from omm_cx.studies.spec import StudySpec, load_study
from omm_cx.studies.verdicts import VERDICTS, judge_all

__all__ = ["write_report", "build_report", "format_markdown"]


def _study_info(out: Path) -> dict:
    if not (out / "study.json").is_file():
        raise ConfigError(f"{out}: no study.json; is this a study folder ('omm-cx study run "
                          f"NAME -o {out}')?")
    return read_json(out / "study.json", "study.json")


def check_spec_hash(out: Path, info: dict, spec: StudySpec, accept_changed: bool) -> dict | None:
    """The study file must be the one the folder was run with: a changed file raises
    ConfigError naming both hashes unless ``accept_changed`` (then the change is
    returned, for the report's top)."""
    at_run = info.get("spec_sha256")
    if not at_run or at_run == spec.sha256:
        return None
    if not accept_changed:
        raise ConfigError(f"{out}: the study file {spec.origin} changed since the run (sha256 "
                          f"at run {at_run[:12]}, now {spec.sha256[:12]}); its claims or "
                          f"settings may not be what was run: run it again into a new folder, "
                          f"or give --accept-changed-spec to judge the runs by the new file")
    return {"at_run": at_run, "now": spec.sha256}


def build_report(out_dir: str | Path, spec: StudySpec | str | None = None,
                 accept_changed_spec: bool = False) -> tuple[dict, dict]:
    """(report dict, aggregated groups) of a study folder. Refuses (ConfigError) when
    the study file changed since the run, unless ``accept_changed_spec``."""
    out = Path(out_dir)
    info = _study_info(out)
    spec = load_study(spec if spec is not None else info.get("name"))
    changed = check_spec_hash(out, info, spec, accept_changed_spec)
    scale = info.get("scale", "small")
    runs = load_runs(out)
    agg = aggregate(spec, runs)
    counts = {s: 0 for s in ("finished", "running", "failed", "pending")}
    for r in runs:
        counts[r.state if r.state in counts else "pending"] += 1
    missing = [k for k in info.get("keys", []) if k not in {r.key for r in runs}]
    counts["pending"] += len(missing)
    claims = judge_all(spec, scale, agg)
    report = {
        "study": spec.name, "title": spec.title, "paper": spec.paper.model_dump(),
        "scale": scale, "preset": spec.presets[scale].model_dump(),
        "spec_sha256": spec.sha256, "study_spec_sha256_at_run": info.get("spec_sha256"),
        "spec_changed_since_run": changed,
        "run_started": info.get("created"), "run_updated": info.get("updated"),
        "run_commit": info.get("commit"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "runs": {"counts": counts, "complete": not missing and counts["finished"] == len(runs),
                 "table": [{"key": r.key, "state": r.state, "params": r.plan.params,
                            "simulated_ps": (r.status or {}).get("simulated_ps"),
                            "length_ps": r.plan.length_ps, "wall_s": (r.status or {}).get("wall_s"),
                            "error": (r.status or {}).get("error")} for r in runs]
                 + [{"key": k, "state": "pending"} for k in missing]},
        "quantities": {name: {"unit": spec.quantities[name].unit,
                              "description": spec.quantities[name].description,
                              "groups": [g.as_json() for g in groups]}
                       for name, groups in agg.items()},
        "claims": claims,
        "verdicts": {v: sum(c["verdict"] == v for c in claims) for v in VERDICTS},
    }
    return report, agg


def write_report(out_dir: str | Path, spec: StudySpec | str | None = None,
                 accept_changed_spec: bool = False) -> dict:
    """Write report.json, report.md and the figures into ``out_dir``; returns the report.
    Refuses a folder whose study file changed since the run (see :func:`build_report`)."""
    from omm_cx.studies.report_figures import write_figures

    out = Path(out_dir)
    spec = load_study(spec if spec is not None else _study_info(out).get("name"))
    report, agg = build_report(out, spec, accept_changed_spec)
    report["figures"] = [p.name for p in write_figures(out, spec, agg, report["claims"])]
    write_json(out / "report.json", report)
    atomic_write_text(out / "report.md", format_markdown(report))
    return report


def _num(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _ms(m, s) -> str:
    if m is None or not math.isfinite(m):
        return "n/a"
    return f"{m:.4g} ± {s:.2g}" if s is not None and math.isfinite(s) else f"{m:.4g} (n=1)"


def _ours_text(o: dict) -> str:
    if "y" in o:
        return f"{o['group']}: " + ", ".join(f"{v:.4g}" for v in o["y"])
    if "mean" not in o:
        return f"{o.get('group', '')}: {len(o.get('D', []))} runs"
    text = f"{o['group']}: {_ms(o['mean'], o['sem'])}"
    if o.get("ci95"):
        text += f", 95 % [{o['ci95'][0]:.4g}, {o['ci95'][1]:.4g}]"
    return text + (f" (n={o['n']})" if o.get("n", 1) > 1 else "")


def _short_commit(commit: str | None) -> str:
    if not commit:
        return "?"
    return commit[:10] + ("-dirty (uncommitted changes)" if commit.endswith("-dirty") else "")


def _published(cl: dict) -> str:
    if cl["published"] is not None:
        return f"{cl['published']:g}" + (f" ± {cl['published_sem']:g}" if cl["published_sem"] else "")
    if cl.get("threshold") is not None:
        return f"{'>' if cl['test'] in ('above', 'ratio') else '<'} {cl['threshold']:g}"
    return "statement"


def _measured_text(preset: dict) -> str:
    m = preset.get("measured")
    if not m:
        return ""
    extra = ", ".join(x for x in (m.get("commit") and f"commit {m['commit']}", m.get("note")) if x)
    return (f" Measured wall time of this preset: {m['wall_s']:.0f} s on {m['cores']} CPU cores "
            f"({m['date']}{', ' + extra if extra else ''}).")


def format_markdown(report: dict) -> str:
    """report.md: paper, preset, runs, claims (the paper's words, ours with a 95 %
    interval, the verdict and why), quantities (mean ± s.e.m.)."""
    p, pre, c = report["paper"], report["preset"], report["runs"]["counts"]
    lines = [f"# {report['study']}: {report['title']}", ""]
    if report.get("spec_changed_since_run"):
        ch = report["spec_changed_since_run"]
        lines += [f"> **The study file changed since these runs** (sha256 at run "
                  f"{ch['at_run'][:12]}, judged with {ch['now'][:12]}; --accept-changed-spec).", ""]
    refs = ", ".join(p.get("refs") or [])
    lines += [f"Paper: {p['reference']}, {p['reproduces']} [{refs}] (docs/references.md)", "",
              f"Preset: **{report['scale']}**. {pre['why'].strip()}", "",
              f"Runs: {c['finished']} finished, {c['running']} running, {c['failed']} failed, "
              f"{c['pending']} pending; started {report.get('run_started') or '?'}, commit "
              f"{_short_commit(report.get('run_commit'))}." + _measured_text(pre), "",
              "## Published vs ours", "",
              ("Deterministic study (no sampling noise): one run is exact, and each claim is "
               "compared within its tolerance, the paper's printed precision."
               if any(cl.get("deterministic") for cl in report["claims"]) else
               "Intervals are 95 % Student's t over seeds (Welch for differences); one run has "
               "no spread and is 'not resolved'."), "",
              "| claim | the paper's words | published | ours | verdict | why |",
              "|---|---|---|---|---|---|"]
    for cl in report["claims"]:
        where = f"{cl.get('ref') or ''} {cl['source']}" + (f", line {cl['line']}" if cl.get("line") else "")
        quote = f"\"{cl['quote']}\" ({where})" if cl.get("quote") else where
        ours = "; ".join(_ours_text(o) for o in cl["ours"]) or "-"
        why = cl["reason"] + (f" Seeds to resolve: ~{cl['seeds_to_resolve']}."
                              if cl.get("seeds_to_resolve") else "")
        lines.append(f"| **{cl['id']}**: {cl['statement']} | {quote} | {_published(cl)} | "
                     f"{ours} | **{cl['verdict']}** | {why} |".replace("\n", " "))
    lines += ["", "## Quantities", "", "| quantity | group | n | mean ± s.e.m. | missing runs |",
              "|---|---|---|---|---|"]
    for name, q in report["quantities"].items():
        for g in q["groups"]:
            labels = ", ".join(f"{k}={v}" for k, v in g["labels"].items()) or "all"
            value = ("curve (see figure)" if "x" in g else
                     f"{_ms(g['mean'], g['sem'])} {q['unit']}".strip())
            lines.append(f"| {name} | {labels} | {g['n']} | {value} | "
                         f"{', '.join(g['missing']) or '-'} |")
    failed = [r for r in report["runs"]["table"] if r.get("state") == "failed"]
    if failed:
        lines += ["", "## Failed runs", ""] + [f"- {r['key']}: {r.get('error')}" for r in failed]
    if report.get("figures"):
        lines += ["", "## Figures", ""] + [f"![{f}]({f})" for f in report["figures"]]
    return "\n".join(lines) + "\n"
