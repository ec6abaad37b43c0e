"""Read a study folder and aggregate each quantity over seeds (mean and s.e.m.).

The folder layout (written by :mod:`omm_cx.studies.execute`; docs/studies.md):
``DIR/study.json``, ``DIR/runs/<key>/{plan.json, status.json, analysis/, result.json}``.
A *group* is one point of the matrix without its seed: the runs that differ only by the
seed are aggregated into mean, s.e.m. = std(ddof=1) / sqrt(n) (NaN for one run), and the
values. Series (``series:``, ``rdf:``) are averaged point by point over the common
length of the runs (a partly finished run shortens it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from omm_cx.errors import OmmCxError
from omm_cx.io.tables import read_csv, read_json
from omm_cx.analysis.record import SUMMARY_JSON
from omm_cx.studies.plan import RunPlan
from omm_cx.studies.segments import ANALYSIS, RESULT_JSON
from omm_cx.studies.state import PLAN_JSON, STATUS_JSON
from omm_cx.studies.spec import QuantityInput, StudySpec

__all__ = ["StudyRun", "Group", "load_runs", "read_quantity", "aggregate", "mean_sem"]


@dataclass
class StudyRun:
    """One run folder: its plan, status (None: never started) and folder."""

    key: str
    plan: RunPlan
    status: dict | None
    path: Path

    @property
    def state(self) -> str:
        return (self.status or {}).get("state", "pending")

    @property
    def finished(self) -> bool:
        return self.state == "finished"


@dataclass
class Group:
    """The runs of one matrix point (all seeds): ``labels`` (axis -> value), the run
    ``keys`` with data, ``values`` (floats, or (x, y) arrays for series), ``errors``
    (each run's own error of its value where the quantity names one, else NaN), ``mean``,
    ``sem`` (floats or arrays), ``x`` (series), ``missing`` (keys without data),
    ``absent`` (the finished runs among them: their outputs lack the quantity)."""

    labels: dict
    keys: list = field(default_factory=list)
    values: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    mean: Any = float("nan")
    sem: Any = float("nan")
    x: Any = None

    @property
    def n(self) -> int:
        return len(self.values)

    def label_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.labels.items()) or "all"

    def matches(self, selector: str) -> bool:
        axis, _, value = selector.partition("=")
        return axis in self.labels and str(self.labels[axis]) == value

    def as_json(self) -> dict:
        d = {"labels": self.labels, "n": self.n, "keys": self.keys, "missing": self.missing,
             "absent": self.absent}
        if self.x is None:
            d.update(mean=self.mean, sem=self.sem, values=self.values)
            if any(math.isfinite(e) for e in self.errors):
                d["errors"] = self.errors
        else:
            d.update(x=np.asarray(self.x).tolist(), mean=np.asarray(self.mean).tolist(),
                     sem=np.asarray(self.sem).tolist())
        return d


def mean_sem(values) -> tuple[float, float]:
    """Mean and standard error of the mean (std with ddof=1 / sqrt(n); NaN for n < 2)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan")
    sem = float(np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(np.mean(v)), sem


def load_runs(out_dir: str | Path) -> list[StudyRun]:
    """The runs of a study folder in the order of study.json's keys (else sorted)."""
    out = Path(out_dir)
    keys = None
    if (out / "study.json").is_file():
        keys = read_json(out / "study.json", "study.json").get("keys")
    runs_dir = out / "runs"
    if keys is None:
        keys = sorted(p.name for p in runs_dir.iterdir()) if runs_dir.is_dir() else []
    records = []
    for key in keys:
        d = runs_dir / key
        if not (d / PLAN_JSON).is_file():
            continue
        plan = RunPlan.from_json(read_json(d / PLAN_JSON, PLAN_JSON))
        status = read_json(d / STATUS_JSON, STATUS_JSON) if (d / STATUS_JSON).is_file() else None
        records.append(StudyRun(key, plan, status, d))
    return records


def _dig(data: Any, path: str) -> Any:
    """``data["a"]["b"][-1]`` for "a.b.-1"; keys may contain spaces and '->'."""
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(part)
    return data


def read_quantity(run: StudyRun, q: QuantityInput | str) -> Any:
    """The quantity of one run (``q``: a quantity or its ``from`` text): a float, an
    (x, y) pair of arrays, or None when the run has no such output (not finished,
    analysis skipped, key absent)."""
    kind, _, rest = (q if isinstance(q, str) else q.from_).partition(":")
    try:
        rest = rest.format(**run.plan.params)
    except (KeyError, IndexError, ValueError):
        pass
    a = run.path / ANALYSIS
    try:
        if kind == "summary":
            return float(_dig(read_json(a / SUMMARY_JSON)["analyses"], rest))
        if kind == "result":
            return float(_dig(read_json(run.path / RESULT_JSON), rest))
        if kind == "result_series":
            xkey, _, ykey = rest.partition(":")
            res = read_json(run.path / RESULT_JSON)
            return np.asarray(_dig(res, xkey), float), np.asarray(_dig(res, ykey), float)
        if kind == "json":
            name, _, path = rest.partition(":")
            return float(_dig(read_json(a / name), path))
        if kind == "series":
            name, xcol, ycol = rest.split(":")
            t = read_csv(a / name)
            return np.asarray(t[xcol], float), np.asarray(t[ycol], float)
        if kind == "rdf":
            t = read_csv(a / "rdf.csv")
            col = f"g_{rest}"
            if col not in t:
                b, _, c = rest.partition("-")
                col = f"g_{c}-{b}"
            return np.asarray(t["r_A"], float), np.asarray(t[col], float)
    except (OmmCxError, OSError, KeyError, ValueError, TypeError, IndexError):
        return None
    return None


def group_labels(spec: StudySpec, plan: RunPlan) -> dict:
    """Axis -> value of a run (system first where the study has several), without seed."""
    names = (["system"] if len(spec.systems) > 1 else []) + list(spec.matrix)
    return {n: plan.params[n] for n in names if n in plan.params}


def aggregate(spec: StudySpec, runs: list[StudyRun]) -> dict[str, list[Group]]:
    """quantity name -> the groups (in run order) with mean and s.e.m. over seeds. Only
    finished runs contribute; the others are listed in ``missing``."""
    out: dict[str, list[Group]] = {}
    for name, q in spec.quantities.items():
        groups: dict[tuple, Group] = {}
        for run in runs:
            labels = group_labels(spec, run.plan)
            g = groups.setdefault(tuple(sorted((k, str(v)) for k, v in labels.items())),
                                  Group(labels))
            value = read_quantity(run, q) if run.finished else None
            if value is None:
                g.missing.append(run.key)
                if run.finished:
                    g.absent.append(run.key)
            else:
                g.keys.append(run.key)
                g.values.append(value)
                err = read_quantity(run, q.error) if q.error else None
                g.errors.append(float(err) if isinstance(err, float) else float("nan"))
        for g in groups.values():
            _finish(g)
        out[name] = list(groups.values())
    return out


def _finish(g: Group) -> None:
    if not g.values:
        return
    if isinstance(g.values[0], tuple):
        n = min(len(x) for x, _ in g.values)
        ys = np.array([y[:n] for _, y in g.values], float)
        g.x = g.values[0][0][:n]
        g.mean = ys.mean(axis=0)
        g.sem = (ys.std(axis=0, ddof=1) / math.sqrt(len(ys)) if len(ys) > 1
                 else np.full(n, np.nan))
        g.values = [None] * len(ys)  # curves are not repeated in report.json
        return
    g.mean, g.sem = mean_sem(g.values)
