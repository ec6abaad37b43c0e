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


def build_report(out_dir: str | Path, spec: StudySpec | str | None = None) -> tuple[dict, dict]:
    """(report dict, aggregated groups) of a study folder."""
    out = Path(out_dir)
    info = _study_info(out)
    spec = load_study(spec if spec is not None else info.get("name"))
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


def write_report(out_dir: str | Path, spec: StudySpec | str | None = None) -> dict:
    """Write report.json, report.md and the figures into ``out_dir``; returns the report."""
    from omm_cx.studies.report_figures import write_figures

    out = Path(out_dir)
    report, agg = build_report(out, spec)
    report["figures"] = [p.name for p in write_figures(out, load_study(
        spec if spec is not None else report["study"]), agg, report["claims"])]
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


def format_markdown(report: dict) -> str:
    """report.md: paper, preset, runs, quantities (mean ± s.e.m.) and verdicts."""
    p, pre, c = report["paper"], report["preset"], report["runs"]["counts"]
    lines = [f"# {report['study']}: {report['title']}", "",
             f"Paper: {p['reference']}, {p['reproduces']} ({p['source']})", "",
             f"Preset: **{report['scale']}**. {pre['why'].strip()}", "",
             f"Runs: {c['finished']} finished, {c['running']} running, {c['failed']} failed, "
             f"{c['pending']} pending.", "", "## Published vs ours", "",
             "| statement | source | published | ours (mean ± s.e.m.) | verdict | why |",
             "|---|---|---|---|---|---|"]
    for cl in report["claims"]:
        pub = (f"{cl['published']:g}" + (f" ± {cl['published_sem']:g}" if cl["published_sem"] else "")
               if cl["published"] is not None else "statement")
        ours = "; ".join(f"{o['group']}: {_ms(o['mean'], o['sem'])}" for o in cl["ours"]) or "-"
        lines.append(f"| {cl['statement']} | {cl['source']} | {pub} | {ours} | "
                     f"**{cl['verdict']}** | {cl['reason']} |")
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
